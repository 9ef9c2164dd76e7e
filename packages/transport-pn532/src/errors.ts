import { TransportError } from '@huduma/apdu';

/** Why a frame was refused (`Pn532FrameError.reason`). */
export type FrameFault = 'length-checksum' | 'data-checksum' | 'too-long' | 'empty' | 'bad-tfi' | 'postamble';

/**
 * Bytes from the serial line that are not a well-formed PN532 frame (or kept arriving garbled
 * after every resend the link asked for). Code `ERR_PN532_BAD_FRAME`; `reason` says what was wrong.
 */
export class Pn532FrameError extends TransportError {
  readonly reason: FrameFault;
  constructor(reason: FrameFault, message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_PN532_BAD_FRAME' });
    this.reason = reason;
  }
}

/** The PN532 answered a command with its error frame (syntax error in the command). Code `ERR_PN532_SYNTAX`. */
export class Pn532SyntaxError extends TransportError {
  readonly command: number;
  constructor(command: number) {
    super(`the PN532 refused command 0x${hex2(command)} with its error frame (syntax error)`, {
      code: 'ERR_PN532_SYNTAX',
    });
    this.command = command;
  }
}

/**
 * A PN532 command completed with a non-zero status byte (§7.1 error codes of the user manual)
 * that is not a card removal. Code `ERR_PN532_STATUS`; `status` is the 6-bit error code.
 */
export class Pn532StatusError extends TransportError {
  readonly status: number;
  readonly command: number;
  constructor(command: number, status: number) {
    super(
      `PN532 command 0x${hex2(command)} failed with status 0x${hex2(status)} (${describeStatus(status)})`,
      { code: 'ERR_PN532_STATUS' },
    );
    this.status = status;
    this.command = command;
  }
}

/** The device on the line answered, but not as a PN532 does. Code `ERR_PN532_PROTOCOL`. */
export class Pn532ProtocolError extends TransportError {
  constructor(message: string) {
    super(message, { code: 'ERR_PN532_PROTOCOL' });
  }
}

/** Error codes of the PN532 status byte (user manual §7.1), the ones a reader meets. */
export const PN532_STATUS = {
  OK: 0x00,
  TIMEOUT: 0x01,
  CRC: 0x02,
  PARITY: 0x03,
  FRAMING: 0x05,
  BUFFER_TOO_SMALL: 0x07,
  RF_PROTOCOL: 0x0b,
  INVALID_PARAMETER: 0x10,
  WRONG_CONTEXT: 0x27,
  RELEASED: 0x29,
  CARD_EXCHANGED: 0x2a,
  CARD_DISAPPEARED: 0x2b,
} as const;

const STATUS_TEXT: Record<number, string> = {
  1: 'the card did not answer in time',
  2: 'CRC error',
  3: 'parity error',
  5: 'framing error',
  7: 'communication buffer too small',
  11: 'RF protocol error',
  16: 'invalid parameter',
  39: 'command not acceptable in the current context',
  41: 'target released',
  42: 'card exchanged',
  43: 'the activated card has disappeared',
};

export function describeStatus(status: number): string {
  return STATUS_TEXT[status] ?? 'error';
}

export function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
