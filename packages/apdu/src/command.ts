import { ApduDecodeError, ApduEncodeError } from './errors';
import { hex } from './hex';

/**
 * A command APDU as fields (ISO 7816-4 §5.1).
 *
 * `data` absent or empty means no command data (no Lc). `le` is Ne, the number of response bytes
 * expected: 1..256 fits the short form (256 is sent as `00`), up to 65536 needs the extended form
 * (65536 is sent as `0000`); `undefined` means no Le field.
 */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  le?: number;
}

/**
 * A command APDU as found on the wire: the fields plus the ISO case (1: header only, 2: Le only,
 * 3: data only, 4: data and Le) and whether the length fields used the extended form.
 * `data` is omitted in cases 1 and 2, `le` in cases 1 and 3.
 */
export interface DecodedCommandApdu extends CommandApdu {
  case: 1 | 2 | 3 | 4;
  extended: boolean;
}

const SHORT_MAX_NC = 255;
const SHORT_MAX_NE = 256;
const EXTENDED_MAX_NC = 65535;
const EXTENDED_MAX_NE = 65536;

function checkByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new ApduEncodeError('ERR_APDU_BAD_FIELD', `${name} must be an integer 0..255, got ${value}`);
  }
}

/**
 * Encodes a command APDU. The short form is used whenever data (≤ 255 bytes) and Le (≤ 256) fit,
 * unless `opts.extended` forces the extended form; a case 1 command is always just the 4 header bytes.
 *
 * Throws {@link ApduEncodeError} when a header byte is out of range, data exceeds 65535 bytes, or
 * `le` is not an integer 1..65536.
 */
export function encodeCommand(cmd: CommandApdu, opts?: { extended?: boolean }): Uint8Array {
  checkByte('cla', cmd.cla);
  checkByte('ins', cmd.ins);
  checkByte('p1', cmd.p1);
  checkByte('p2', cmd.p2);
  const nc = cmd.data?.length ?? 0;
  const ne = cmd.le;
  if (nc > EXTENDED_MAX_NC) {
    throw new ApduEncodeError(
      'ERR_APDU_DATA_TOO_LONG',
      `command data is ${nc} bytes; at most ${EXTENDED_MAX_NC} fit in an APDU (use chainCommand)`,
    );
  }
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > EXTENDED_MAX_NE)) {
    throw new ApduEncodeError(
      'ERR_APDU_BAD_LE',
      `le must be an integer 1..65536 (256 is sent as short Le 00; omit le for no Le), got ${ne}`,
    );
  }
  const extended = opts?.extended === true || nc > SHORT_MAX_NC || (ne !== undefined && ne > SHORT_MAX_NE);

  const size =
    4 + (nc > 0 ? (extended ? 3 : 1) + nc : 0) + (ne !== undefined ? (extended ? (nc > 0 ? 2 : 3) : 1) : 0);
  const out = new Uint8Array(size);
  out[0] = cmd.cla;
  out[1] = cmd.ins;
  out[2] = cmd.p1;
  out[3] = cmd.p2;
  let at = 4;
  if (nc > 0) {
    if (extended) {
      out[at++] = 0x00;
      out[at++] = nc >> 8;
      out[at++] = nc & 0xff;
    } else {
      out[at++] = nc;
    }
    out.set(cmd.data!, at);
    at += nc;
  }
  if (ne !== undefined) {
    if (extended) {
      // Extended Le without Lc carries its own 00 marker; after an extended Lc the marker is implied.
      if (nc === 0) out[at++] = 0x00;
      const wire = ne === EXTENDED_MAX_NE ? 0 : ne;
      out[at++] = wire >> 8;
      out[at++] = wire & 0xff;
    } else {
      out[at++] = ne === SHORT_MAX_NE ? 0 : ne;
    }
  }
  return out;
}

/**
 * Decodes a command APDU, telling the four ISO cases and short/extended lengths apart.
 *
 * Throws {@link ApduDecodeError} with `code` and `offset` when the bytes are not a well-formed
 * command: fewer than 4 bytes (`ERR_APDU_TOO_SHORT`), Lc disagreeing with the remaining length
 * (`ERR_APDU_LC_MISMATCH`), extended Lc of 0 (`ERR_APDU_BAD_LC`), or a length that is neither
 * form (`ERR_APDU_BAD_LENGTH`).
 */
export function decodeCommand(bytes: Uint8Array): DecodedCommandApdu {
  const n = bytes.length;
  if (n < 4) {
    throw new ApduDecodeError(
      'ERR_APDU_TOO_SHORT',
      `command APDU needs at least 4 header bytes, got ${n}${n > 0 ? ` (${hex(bytes)})` : ''}`,
      n,
    );
  }
  const header = { cla: bytes[0]!, ins: bytes[1]!, p1: bytes[2]!, p2: bytes[3]! };
  if (n === 4) return { ...header, case: 1, extended: false };
  const b4 = bytes[4]!;
  if (n === 5) return { ...header, le: b4 === 0 ? SHORT_MAX_NE : b4, case: 2, extended: false };

  if (b4 !== 0) {
    const nc = b4;
    if (n === 5 + nc) {
      return { ...header, data: bytes.slice(5, 5 + nc), case: 3, extended: false };
    }
    if (n === 6 + nc) {
      const le = bytes[5 + nc]!;
      return {
        ...header,
        data: bytes.slice(5, 5 + nc),
        le: le === 0 ? SHORT_MAX_NE : le,
        case: 4,
        extended: false,
      };
    }
    throw new ApduDecodeError(
      'ERR_APDU_LC_MISMATCH',
      `short Lc at offset 4 is ${nc}, so the APDU must be ${5 + nc} or ${6 + nc} bytes long, but it is ${n}`,
      4,
    );
  }

  // b4 == 00 with more than one byte after the header can only be the extended form's marker.
  if (n === 6) {
    throw new ApduDecodeError(
      'ERR_APDU_BAD_LENGTH',
      'byte 00 at offset 4 starts an extended length field, which needs 2 more bytes, but only 1 follows',
      5,
    );
  }
  const field = (bytes[5]! << 8) | bytes[6]!;
  if (n === 7) {
    return { ...header, le: field === 0 ? EXTENDED_MAX_NE : field, case: 2, extended: true };
  }
  const nc = field;
  if (nc === 0) {
    throw new ApduDecodeError(
      'ERR_APDU_BAD_LC',
      `extended Lc at offset 5 is 0000, which is not allowed; ${n - 7} bytes follow it`,
      5,
    );
  }
  if (n === 7 + nc) {
    return { ...header, data: bytes.slice(7, 7 + nc), case: 3, extended: true };
  }
  if (n === 9 + nc) {
    const le = (bytes[7 + nc]! << 8) | bytes[8 + nc]!;
    return {
      ...header,
      data: bytes.slice(7, 7 + nc),
      le: le === 0 ? EXTENDED_MAX_NE : le,
      case: 4,
      extended: true,
    };
  }
  throw new ApduDecodeError(
    'ERR_APDU_LC_MISMATCH',
    `extended Lc at offset 5 is ${nc}, so the APDU must be ${7 + nc} or ${9 + nc} bytes long, but it is ${n}`,
    5,
  );
}

/** Bit b7 of CLA: set for the further interindustry class (and its proprietary mirror 0xC0-0xFF). */
const FURTHER_INTERINDUSTRY = 0x40;
const PROPRIETARY = 0x80;
const CHAINING_BIT = 0x10;

/**
 * Returns the logical channel number (0-19) encoded in a CLA byte.
 *
 * First interindustry CLA (0x00-0x3F) carries channels 0-3 in b2-b1; further interindustry CLA
 * (0x40-0x7F) carries channels 4-19 in b4-b1. Proprietary CLAs (b8 set) are read the same way, as
 * GlobalPlatform does (0x80-0xBF like first, 0xC0-0xFF like further interindustry).
 */
export function logicalChannelOf(cla: number): number {
  return cla & FURTHER_INTERINDUSTRY ? 4 + (cla & 0x0f) : cla & 0x03;
}

/**
 * Returns `cla` rewritten to address logical `channel` (0-19), keeping the proprietary bit, the
 * chaining bit and secure-messaging indication. Moves between the first and further interindustry
 * encodings as the channel requires.
 *
 * Throws {@link ApduEncodeError} (`ERR_APDU_BAD_CHANNEL`) for a channel outside 0-19, or when the
 * secure-messaging bits of `cla` cannot be expressed in the other class encoding (further
 * interindustry only has "SM, header not processed").
 */
export function withLogicalChannel(cla: number, channel: number): number {
  if (!Number.isInteger(cla) || cla < 0 || cla > 0xff) {
    throw new ApduEncodeError('ERR_APDU_BAD_FIELD', `cla must be an integer 0..255, got ${cla}`);
  }
  if (!Number.isInteger(channel) || channel < 0 || channel > 19) {
    throw new ApduEncodeError('ERR_APDU_BAD_CHANNEL', `logical channel must be 0..19, got ${channel}`);
  }
  const isFurther = (cla & FURTHER_INTERINDUSTRY) !== 0;
  const kept = cla & (PROPRIETARY | CHAINING_BIT);
  // Secure messaging: first interindustry uses b4-b3 (00 none, 01 proprietary, 10 header not
  // processed, 11 header authenticated); further interindustry uses b6 (1 = header not processed).
  let smFirst: number;
  if (isFurther) {
    smFirst = cla & 0x20 ? 0x08 : 0x00;
  } else {
    smFirst = cla & 0x0c;
  }
  if (channel <= 3) return kept | smFirst | channel;
  if (smFirst !== 0x00 && smFirst !== 0x08) {
    throw new ApduEncodeError(
      'ERR_APDU_BAD_CHANNEL',
      `CLA ${cla.toString(16).padStart(2, '0')} uses secure-messaging indication ${smFirst >> 2} which ` +
        `further interindustry CLA (channels 4-19) cannot express`,
    );
  }
  const result = kept | FURTHER_INTERINDUSTRY | (smFirst ? 0x20 : 0) | (channel - 4);
  if (result === 0xff) {
    throw new ApduEncodeError('ERR_APDU_BAD_CHANNEL', 'CLA FF is reserved (PPS) and cannot be used');
  }
  return result;
}
