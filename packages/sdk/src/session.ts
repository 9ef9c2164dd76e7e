import { type Transport, transceive } from '@huduma/apdu';
import {
  CLA_OF_INS,
  INS,
  type InsName,
  type SessionKeys,
  SessionType,
  type SessionTypeCode,
  unwrapResponse,
  wrapCommand,
} from '@huduma/card-applet-spec';
import { errorForStatusWord, SecureMessagingError } from './errors';

/** The session types a terminal opens (SPEC-v2 §4.5); PERSO is personalization's own. */
export type SessionKind = 'tap' | 'secure';

export const SESSION_TYPE_OF: Record<SessionKind, typeof SessionType.TAP | typeof SessionType.SECURE> = {
  tap: SessionType.TAP,
  secure: SessionType.SECURE,
};

/** How one SM command is protected (fixed per command by §6, never negotiated). */
export interface SmCommand {
  name: InsName;
  p1?: number;
  p2?: number;
  payload?: Uint8Array;
  /** The command data is encrypted (PIN blocks, STORE DATA). */
  encryptCommand?: boolean;
  /** The response data is encrypted (READ IDENTITY). */
  encryptResponse?: boolean;
}

/**
 * The terminal's half of one secure-messaging session (§4.7): its keys and its copy of the
 * send sequence counter. Each command increments the SSC before wrapping, exactly as the card
 * does on receipt, and every response's R-MAC is verified before anything in it is believed.
 *
 * A plain status word (not authenticated) throws its typed error (errorForStatusWord); an R-MAC that does not
 * verify throws {@link SecureMessagingError} — for a value command both mean "no answer"
 * (§4.7.5). After 6988, a plain error or an R-MAC failure the session is dead (`open` false).
 */
export class SecureSession {
  private ssc = 0;
  private alive = true;

  constructor(
    readonly kind: SessionKind | 'perso',
    private readonly keys: SessionKeys,
  ) {}

  get type(): SessionTypeCode {
    return this.kind === 'perso' ? SessionType.PERSO : SESSION_TYPE_OF[this.kind];
  }

  /** False once the card may have destroyed the session (any failure). */
  get open(): boolean {
    return this.alive;
  }

  close(): void {
    this.alive = false;
  }

  /** Sends one SM command; resolves with the authenticated inner status word and payload. */
  async send(transport: Transport, cmd: SmCommand): Promise<{ sw: number; payload: Uint8Array }> {
    if (!this.alive) throw new SecureMessagingError('session-closed', `${cmd.name}: the session is closed`);
    this.ssc += 1;
    const header = { cla: CLA_OF_INS[cmd.name], ins: INS[cmd.name], p1: cmd.p1 ?? 0, p2: cmd.p2 ?? 0 };
    const data = wrapCommand(
      this.keys,
      this.ssc,
      header,
      cmd.payload ?? new Uint8Array(0),
      cmd.encryptCommand === true,
    );
    let r: { sw: number; data: Uint8Array };
    try {
      r = await transceive(transport, { ...header, data, le: 256 });
    } catch (err) {
      this.alive = false;
      throw err;
    }
    if (r.sw !== 0x9000) {
      this.alive = false;
      throw errorForStatusWord(r.sw, cmd.name);
    }
    try {
      return unwrapResponse(this.keys, this.ssc, r.data, cmd.encryptResponse === true);
    } catch (err) {
      this.alive = false;
      throw new SecureMessagingError(
        'response-mac',
        `${cmd.name}: the response is not authenticated by the card (R-MAC)`,
        err,
      );
    }
  }
}
