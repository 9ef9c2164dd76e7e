import { CardRemovedError, ReaderUnavailableError, TransportError } from '@huduma/apdu';

/** PC/SC return codes this package tells apart (winscard / pcsclite.h). */
export const SCARD = {
  E_CANCELLED: 0x80100002,
  E_INVALID_HANDLE: 0x80100003,
  E_UNKNOWN_READER: 0x80100009,
  E_TIMEOUT: 0x8010000a,
  E_SHARING_VIOLATION: 0x8010000b,
  E_NO_SMARTCARD: 0x8010000c,
  E_PROTO_MISMATCH: 0x8010000f,
  F_COMM_ERROR: 0x80100013,
  E_NOT_TRANSACTED: 0x80100016,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;

const START_PCSCD =
  'Start it with `systemctl start pcscd.socket` (or `pcscd`), or install it with `apt-get install pcscd`';

/** A PC/SC call failed in a way not covered by a more specific class. Code `ERR_PCSC`. */
export class PcscError extends TransportError {
  /** The raw PC/SC return code (e.g. 0x80100016), when known. */
  readonly pcscCode: number | undefined;
  constructor(message: string, options: { code?: string; pcscCode?: number; cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'ERR_PCSC', cause: options.cause });
    this.pcscCode = options.pcscCode;
  }
}

/** pcscd is not running or went away. Code `ERR_PCSC_NO_SERVICE`. */
export class PcscNoServiceError extends PcscError {
  constructor(detail: string, options: { pcscCode?: number; cause?: unknown } = {}) {
    super(`PC/SC daemon (pcscd) not reachable: ${detail}. ${START_PCSCD}.`, {
      ...options,
      code: 'ERR_PCSC_NO_SERVICE',
    });
  }
}

/** Another connection holds the card in a mode that excludes ours. Code `ERR_PCSC_SHARING_VIOLATION`. */
export class PcscSharingViolationError extends PcscError {
  constructor(message: string, options: { pcscCode?: number; cause?: unknown } = {}) {
    super(message, { ...options, code: 'ERR_PCSC_SHARING_VIOLATION' });
  }
}

/** No reader has that name. Code `ERR_PCSC_UNKNOWN_READER`; `readers` lists the ones present. */
export class UnknownReaderError extends PcscError {
  readonly readers: readonly string[];
  constructor(
    name: string,
    readers: readonly string[],
    options: { pcscCode?: number; cause?: unknown } = {},
  ) {
    const present = readers.length > 0 ? readers.map((r) => JSON.stringify(r)).join(', ') : 'none';
    super(`unknown reader ${JSON.stringify(name)}; readers present: ${present}`, {
      ...options,
      code: 'ERR_PCSC_UNKNOWN_READER',
    });
    this.readers = readers;
  }
}

/** Reads the PC/SC return code out of a pcsclite error message (`... (0x80100069)`). */
export function pcscCodeOf(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const match = /\(0x([0-9a-f]{8})\)/i.exec(message);
  return match ? Number.parseInt(match[1]!, 16) : undefined;
}

/** Turns a pcsclite failure into the typed error a caller can act on. */
export function toTransportError(
  error: unknown,
  context: { operation: string; reader?: string; readers?: readonly string[] },
): TransportError {
  if (error instanceof TransportError) return error;
  const pcscCode = pcscCodeOf(error);
  const where = context.reader ? ` on reader ${JSON.stringify(context.reader)}` : '';
  const what = `${context.operation}${where}`;
  const options = { pcscCode, cause: error };
  switch (pcscCode) {
    case SCARD.W_REMOVED_CARD:
    case SCARD.E_NO_SMARTCARD:
    case SCARD.W_RESET_CARD:
    case SCARD.W_UNPOWERED_CARD:
    case SCARD.W_UNRESPONSIVE_CARD:
      return new CardRemovedError(`${what}: card removed, reset or mute (${hexCode(pcscCode)})`, options);
    case SCARD.E_READER_UNAVAILABLE:
      return new ReaderUnavailableError(`${what}: reader unavailable (${hexCode(pcscCode)})`, options);
    case SCARD.E_UNKNOWN_READER:
      return context.reader && context.readers
        ? new UnknownReaderError(context.reader, context.readers, options)
        : new ReaderUnavailableError(`${what}: reader gone (${hexCode(pcscCode)})`, options);
    case SCARD.E_NO_SERVICE:
    case SCARD.E_SERVICE_STOPPED:
    case SCARD.F_COMM_ERROR:
      return new PcscNoServiceError(`${what} failed (${hexCode(pcscCode)})`, options);
    case SCARD.E_SHARING_VIOLATION:
      return new PcscSharingViolationError(
        `${what}: the card is held by another connection in a conflicting share mode (${hexCode(pcscCode)})`,
        options,
      );
    default:
      return new PcscError(
        `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
        options,
      );
  }
}

function hexCode(code: number): string {
  return `0x${code.toString(16).toUpperCase()}`;
}
