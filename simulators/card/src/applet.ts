import { decodeCommand, encodeResponse } from '@huduma/apdu';
import {
  CLA,
  type CommandSpec,
  commandByIns,
  concatBytes,
  encodePurse,
  generatePrivateKey,
  LifeCycle,
  Limits,
  Size,
  SW,
  unwrapCommand,
  wrapResponse,
} from '@huduma/card-applet-spec';
import {
  type AppletContext,
  type AppletHost,
  type CommandInfo,
  type Reply,
  reply,
  STORE_DATA_LENGTH,
} from './context';
import { PowerLossError } from './errors';
import { runPersoCommand } from './handlers-perso';
import { runPinCommand } from './handlers-pin';
import { runSelectionCommand } from './handlers-selection';
import { runValueCommand } from './handlers-value';
import type { CardState, Session, TransientState } from './state';

export type { AppletHost, CommandInfo } from './context';

export const memoryHost = (): AppletHost => ({
  write: () => {},
  tearPoint: () => {},
  randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
  generatePrivateKey,
});

const EMPTY = new Uint8Array(0);
const INTERINDUSTRY_INS = new Set([0xa4, 0x84, 0xca, 0x20, 0x24, 0x2c, 0xb2]);

/** STORE DATA's wrapped length rule 16·⌈(n+1)/16⌉ + 8 for an allowed n (§7.4). */
function storeDataLcOk(p1: number, lc: number): boolean {
  const rule = STORE_DATA_LENGTH[p1];
  if (!rule || (lc - 8) % 16 !== 0) return false;
  const blocks = (lc - 8) / 16;
  // n with 16·(blocks−1) ≤ n < 16·blocks must intersect [min, max]
  return blocks >= 1 && 16 * blocks - 1 >= rule[0] && 16 * (blocks - 1) <= rule[1];
}

/**
 * The Huduma applet v2 (SPEC.md) as a state machine over bytes. This file holds the processing
 * rules common to all commands (§6.0: chaining, the generic check order, secure messaging);
 * the commands themselves live in handlers-*.ts by concern. `process` never throws for any
 * input (internal failures answer 6F00 with no state change and the session destroyed); the only
 * exception that escapes is the PowerLossError injected by the host.
 */
export class CardApplet implements AppletContext {
  transient: TransientState = {};
  info: CommandInfo = CardApplet.freshInfo();

  constructor(
    public state: CardState,
    readonly host: AppletHost = memoryHost(),
  ) {}

  private static freshInfo(): CommandInfo {
    return { chainSegment: false, verifies: 0, signs: 0, ecdh: 0, writes: 0 };
  }

  /** Cost of the last command. */
  get lastCommand(): CommandInfo {
    return this.info;
  }

  /** Card reset or power-off: RAM is lost. */
  resetTransient(): void {
    this.transient = {};
  }

  get session(): Session {
    const s = this.transient.session;
    if (!s) throw new Error('no session');
    return s;
  }

  process(apdu: Uint8Array): Uint8Array {
    this.info = CardApplet.freshInfo();
    let res: Reply;
    try {
      this.host.tearPoint('command-start');
      res = this.dispatch(apdu);
    } catch (err) {
      if (err instanceof PowerLossError) throw err;
      // §6.0.3: an internal error aborts the transaction (the state object was never replaced)
      // and destroys the session.
      this.transient.session = undefined;
      res = reply(SW.NO_PRECISE_DIAGNOSIS);
    }
    return encodeResponse(res.data ?? EMPTY, res.sw);
  }

  persist(next: CardState, what: string): void {
    this.host.tearPoint(`before-write:${what}`);
    this.host.write(next);
    this.state = next;
    this.info.writes++;
    this.host.tearPoint(`after-write:${what}`);
  }

  tear(label: string): void {
    this.host.tearPoint(label);
  }

  endSession(): void {
    this.transient.session = undefined;
  }

  purseBytes(): Uint8Array {
    const s = this.state;
    return encodePurse({
      balance: s.balance,
      maxBalance: s.maxBalance,
      counter: s.counter,
      syncedThrough: s.syncedThrough,
      offlineSpend: s.offlineSpend,
      offlineLimit: s.offlineLimit,
      cvmLimit: s.cvmLimit,
      noCvmSpend: s.noCvmSpend,
      noCvmLimit: s.noCvmLimit,
      currency: s.currency,
      lifeCycle: s.lifeCycle,
      pinTriesLeft: s.pinTries,
      pukBlocked: s.pukTries === 0,
    });
  }

  /** §6.0.3 steps 0–8, then the command. */
  private dispatch(apdu: Uint8Array): Reply {
    let cmd: ReturnType<typeof decodeCommand>;
    try {
      cmd = decodeCommand(apdu);
    } catch {
      this.transient.chain = undefined;
      return reply(SW.WRONG_LENGTH);
    }
    if (cmd.extended) {
      this.transient.chain = undefined;
      return reply(SW.WRONG_LENGTH); // short APDUs only (Java Card 3.0.5 here)
    }
    const { cla, ins, p1, p2 } = cmd;
    const segment = cmd.data ?? EMPTY;

    // 0. a chain in progress: anything that is not a continuation aborts it, unprocessed.
    const pending = this.transient.chain;
    this.transient.chain = undefined;
    const continuation =
      pending !== undefined &&
      pending.cla === (cla & ~CLA.CHAINING) &&
      pending.ins === ins &&
      pending.p1 === p1 &&
      pending.p2 === p2;
    if (pending && !continuation) return reply(SW.LAST_COMMAND_OF_CHAIN_EXPECTED);

    // 1. class
    if (cla >= 0x40 && cla <= 0x7f) return reply(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    if (cla < 0x40 && (cla & 0x03) !== 0) return reply(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    const base = cla & ~CLA.CHAINING;
    if (base !== CLA.ISO && base !== CLA.ISO_SM && base !== CLA.PROPRIETARY && base !== CLA.PROPRIETARY_SM) {
      return reply(SW.CLA_NOT_SUPPORTED);
    }
    // 2. instruction for the class
    const interindustry = base === CLA.ISO || base === CLA.ISO_SM;
    const spec = commandByIns(ins);
    if (!spec || INTERINDUSTRY_INS.has(ins) !== interindustry) return reply(SW.INS_NOT_SUPPORTED);
    this.info.ins = ins;
    this.info.p1 = p1;
    // 3. secure-messaging bits
    const smBits = (base & CLA.SM_BITS) === CLA.SM_BITS;
    if (spec.sm.kind === 'session' && !smBits) return reply(SW.SM_DATA_MISSING);
    if (spec.sm.kind === 'none' && smBits) return reply(SW.CLA_NOT_SUPPORTED);
    // 4. chaining
    const chaining = (cla & CLA.CHAINING) !== 0;
    if (chaining && !spec.chainable) return reply(SW.CHAINING_NOT_SUPPORTED);
    const data = continuation ? concatBytes(pending.data, segment) : segment;
    if (data.length > Limits.CHAIN_BUFFER) return reply(SW.CHAINING_NOT_SUPPORTED);
    // 5. life cycle
    const lcSw = this.lifeCycleSw(spec);
    if (lcSw !== undefined) return reply(lcSw);
    // 6. P1-P2
    if (!this.p1p2Ok(spec, p1, p2)) return reply(SW.WRONG_P1P2);
    if (chaining) {
      this.transient.chain = { cla: base, ins, p1, p2, data };
      this.info.chainSegment = true;
      return reply(SW.OK);
    }
    this.info.lc = data.length;
    // 7. Lc (SELECT answers 6A82 to any data but the AID, whatever its length)
    if (spec.name !== 'SELECT' && !this.lcOk(spec, p1, data.length)) return reply(SW.WRONG_LENGTH);
    if (spec.sm.kind === 'none') return this.runPlain(spec, p1, p2, data);
    return this.runInSession(spec, { cla: base, ins, p1, p2 }, data);
  }

  private lifeCycleSw(spec: CommandSpec): number | undefined {
    const lc = this.state.lifeCycle;
    if (spec.states.includes(lc)) return undefined;
    // §3 table: when BLOCKED, the value and PIN commands answer 9F0B; personalization commands 6985.
    if (lc === LifeCycle.BLOCKED && spec.states.includes(LifeCycle.ACTIVE)) return SW.CARD_BLOCKED;
    return SW.CONDITIONS_NOT_SATISFIED;
  }

  private p1p2Ok(spec: CommandSpec, p1: number, p2: number): boolean {
    switch (spec.p1p2) {
      case 'record':
        return p1 >= 1 && p1 <= Limits.RING_SIZE && p2 === 0x04;
      case 'store':
        return STORE_DATA_LENGTH[p1] !== undefined && p2 === 0x00;
      case 'open-session':
        return (p1 === 0x00 || p1 === 0x01) && p2 === 0x00;
      case 'key-kind':
        return (p1 === 0x01 || p1 === 0x02) && p2 === 0x00;
      default:
        return ((p1 << 8) | p2) === spec.p1p2;
    }
  }

  private lcOk(spec: CommandSpec, p1: number, lc: number): boolean {
    if (spec.lc === 'store') return storeDataLcOk(p1, lc);
    if (spec.name === 'OPEN_SESSION') return lc === spec.lc[p1]!;
    return spec.lc.includes(lc);
  }

  private runPlain(spec: CommandSpec, p1: number, p2: number, data: Uint8Array): Reply {
    return (
      runSelectionCommand(this, spec.name, p1, data) ??
      runValueCommand(this, spec.name, p1, p2, data) ??
      runPersoCommand(this, spec.name, p1, data) ??
      reply(SW.INS_NOT_SUPPORTED)
    );
  }

  /** §6.0.3 step 8 and §4.7: session check, SSC, C-MAC, decryption; the answer is R-MACed. */
  private runInSession(
    spec: CommandSpec,
    header: { cla: number; ins: number; p1: number; p2: number },
    data: Uint8Array,
  ): Reply {
    if (spec.sm.kind !== 'session') return reply(SW.NO_PRECISE_DIAGNOSIS);
    const session = this.transient.session;
    if (!session || !spec.sm.sessions.includes(session.type)) return reply(SW.SECURITY_STATUS_NOT_SATISFIED);
    const isExtAuth = spec.name === 'EXTERNAL_AUTHENTICATE_PERSO';
    const persoSession = session.type === 0x02;
    if (persoSession && isExtAuth === session.authenticated) return reply(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (isExtAuth) {
      // §7.3 step 2: the failure counter is committed before any comparison (no free guess).
      const next = structuredClone(this.state);
      next.persoFailures += 1;
      this.persist(next, 'perso-failures');
    }
    session.ssc += 1;
    const ssc = session.ssc;
    // An empty payload travels MAC-only (VERIFY PIN's status query, §6.4).
    const encrypted = spec.sm.encryptCommand && data.length > Size.MAC;
    const unwrapped = unwrapCommand(session.keys, ssc, header, data, encrypted);
    if (!unwrapped.ok && unwrapped.reason === 'mac') {
      this.endSession();
      return reply(SW.SM_DATA_INCORRECT);
    }
    if (!persoSession) session.authenticated = true;
    const inner = unwrapped.ok
      ? this.runSessionCommand(spec, header.p1, unwrapped.payload)
      : reply(SW.WRONG_DATA); // valid C-MAC, bad padding: a terminal bug (§4.7.5)
    const payload = inner.data ?? EMPTY;
    // The R-MAC uses the keys of the session the command ran in, even if the command ended it.
    return reply(SW.OK, wrapResponse(session.keys, ssc, inner.sw, payload, spec.sm.encryptResponse));
  }

  private runSessionCommand(spec: CommandSpec, p1: number, payload: Uint8Array): Reply {
    return (
      runValueCommand(this, spec.name, p1, 0, payload) ??
      runPinCommand(this, spec.name, payload) ??
      runPersoCommand(this, spec.name, p1, payload) ??
      reply(SW.INS_NOT_SUPPORTED)
    );
  }
}
