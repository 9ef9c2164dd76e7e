/**
 * PN532 host-protocol frames (user manual §6.2): normal and extended information frames, ACK,
 * NACK and the error frame, with their length (LCS) and data (DCS) checksums.
 *
 *   normal:    00 00 FF LEN LCS TFI PD0..PDn DCS 00            LEN = |TFI PD|, LEN + LCS ≡ 0
 *   extended:  00 00 FF FF FF LENM LENL LCS TFI PD0..PDn DCS 00
 *   ACK:       00 00 FF 00 FF 00         NACK: 00 00 FF FF 00 00
 *   error:     00 00 FF 01 FF 7F 81 00   (application-level error: the command was not understood)
 *
 * TFI + PD0..PDn + DCS ≡ 0 (mod 256).
 */
import { Pn532FrameError } from './errors';

/** Frame identifier: host to PN532. */
export const TFI_HOST = 0xd4;
/** Frame identifier: PN532 to host. */
export const TFI_PN532 = 0xd5;
/** The TFI byte of the error frame. */
export const TFI_ERROR = 0x7f;

export const ACK_FRAME = Uint8Array.of(0x00, 0x00, 0xff, 0x00, 0xff, 0x00);
export const NACK_FRAME = Uint8Array.of(0x00, 0x00, 0xff, 0xff, 0x00, 0x00);
export const ERROR_FRAME = Uint8Array.of(0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00);

/** Largest TFI + PD a normal frame carries (LEN is one byte; 0xFF marks an extended frame). */
export const MAX_NORMAL_LENGTH = 0xfe;
/**
 * Largest TFI + PD accepted (the PN532's buffer: InDataExchange with 262 data bytes, plus TFI,
 * command code and Tg). Longer frames are refused, which bounds what a reader ever buffers.
 */
export const MAX_FRAME_LENGTH = 265;

export type Pn532Frame =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nack' }
  | { readonly kind: 'error' }
  | { readonly kind: 'information'; readonly tfi: number; readonly data: Uint8Array };

/** Encodes an information frame (normal when TFI + data fit in 254 bytes, extended otherwise). */
export function encodeInformationFrame(tfi: number, data: Uint8Array): Uint8Array {
  const length = data.length + 1;
  if (length > MAX_FRAME_LENGTH) {
    throw new RangeError(`PN532 frame data too long: ${data.length} bytes (at most ${MAX_FRAME_LENGTH - 1})`);
  }
  let sum = tfi;
  for (const b of data) sum += b;
  const dcs = (0x100 - (sum & 0xff)) & 0xff;
  const header =
    length <= MAX_NORMAL_LENGTH
      ? [0x00, 0x00, 0xff, length, (0x100 - length) & 0xff]
      : [
          0x00,
          0x00,
          0xff,
          0xff,
          0xff,
          length >> 8,
          length & 0xff,
          (0x100 - ((length >> 8) + (length & 0xff))) & 0xff,
        ];
  const out = new Uint8Array(header.length + length + 2);
  out.set(header, 0);
  out[header.length] = tfi;
  out.set(data, header.length + 1);
  out[header.length + length] = dcs;
  out[header.length + length + 1] = 0x00;
  return out;
}

/** Result of {@link decodeFrame}: the frame and how many bytes of the input it took. */
export interface DecodedFrame {
  frame: Pn532Frame;
  /** Bytes consumed from the start of the input (through the postamble). */
  consumed: number;
}

/**
 * Decodes the frame whose start code (00 FF) is at `start` of `bytes`. Returns undefined when the
 * bytes end before the frame does; throws {@link Pn532FrameError} (and nothing else) when the
 * bytes there cannot be a valid frame.
 */
export function decodeFrame(bytes: Uint8Array, start = 0): DecodedFrame | undefined {
  if (bytes[start] !== 0x00 || (bytes.length > start + 1 && bytes[start + 1] !== 0xff)) {
    throw new Pn532FrameError('length-checksum', `no start code 00 FF at offset ${start}`);
  }
  const at = (i: number) => bytes[start + i];
  const available = bytes.length - start;
  if (available < 4) return undefined;
  const len = at(2)!;
  const lcs = at(3)!;
  if (len === 0x00 && lcs === 0xff) return special(bytes, start, { kind: 'ack' });
  if (len === 0xff && lcs === 0x00) return special(bytes, start, { kind: 'nack' });
  let length: number;
  let body: number;
  if (len === 0xff && lcs === 0xff) {
    if (available < 7) return undefined;
    const m = at(4)!;
    const l = at(5)!;
    if (((m + l + at(6)!) & 0xff) !== 0) {
      throw new Pn532FrameError(
        'length-checksum',
        `extended frame length checksum wrong (LENM ${m} LENL ${l})`,
      );
    }
    length = (m << 8) | l;
    body = 7;
  } else {
    if (((len + lcs) & 0xff) !== 0) {
      throw new Pn532FrameError('length-checksum', `frame length checksum wrong (LEN ${len}, LCS ${lcs})`);
    }
    length = len;
    body = 4;
  }
  if (length === 0) throw new Pn532FrameError('empty', 'information frame with no TFI');
  if (length > MAX_FRAME_LENGTH) {
    throw new Pn532FrameError('too-long', `frame of ${length} bytes is longer than ${MAX_FRAME_LENGTH}`);
  }
  if (available < body + length + 2) return undefined;
  let sum = 0;
  for (let i = 0; i <= length; i++) sum += at(body + i)!;
  if ((sum & 0xff) !== 0) throw new Pn532FrameError('data-checksum', 'frame data checksum (DCS) wrong');
  if (at(body + length + 1) !== 0x00) throw new Pn532FrameError('postamble', 'frame postamble is not 00');
  const tfi = at(body)!;
  const consumed = body + length + 2;
  if (tfi === TFI_ERROR && length === 1) return { frame: { kind: 'error' }, consumed };
  if (tfi !== TFI_HOST && tfi !== TFI_PN532) {
    throw new Pn532FrameError('bad-tfi', `frame identifier 0x${tfi.toString(16)} is neither D4 nor D5`);
  }
  const data = bytes.slice(start + body + 1, start + body + length);
  return { frame: { kind: 'information', tfi, data }, consumed };
}

function special(bytes: Uint8Array, start: number, frame: Pn532Frame): DecodedFrame | undefined {
  if (bytes.length - start < 5) return undefined;
  if (bytes[start + 4] !== 0x00)
    throw new Pn532FrameError('postamble', `${frame.kind} frame postamble is not 00`);
  return { frame, consumed: 5 };
}

/** What a {@link FrameReader} found in the byte stream. */
export type FrameEvent =
  | { readonly type: 'frame'; readonly frame: Pn532Frame }
  | { readonly type: 'garbled'; readonly error: Pn532FrameError };

/**
 * Cuts a byte stream (as it arrives from the serial line, in any chunking) into frames. Bytes
 * before a start code (preamble, wake-up 55s, line noise) are skipped; a malformed frame is
 * reported as `garbled` and scanning resumes after its start code. Memory is bounded: it never
 * holds more than one maximal frame.
 */
export class FrameReader {
  private buffer = new Uint8Array(0);

  /** Feeds bytes; returns the frames and garbled frames completed by them, in order. */
  push(chunk: Uint8Array): FrameEvent[] {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer, 0);
    joined.set(chunk, this.buffer.length);
    const events: FrameEvent[] = [];
    let i = 0;
    for (;;) {
      const s = findStartCode(joined, i);
      if (s < 0) {
        // Keep a trailing 00: it may be the first half of a start code.
        i = joined.length > i && joined[joined.length - 1] === 0x00 ? joined.length - 1 : joined.length;
        break;
      }
      let decoded: DecodedFrame | undefined;
      try {
        decoded = decodeFrame(joined, s);
      } catch (error) {
        events.push({ type: 'garbled', error: error as Pn532FrameError });
        i = s + 2;
        continue;
      }
      if (!decoded) {
        i = s;
        break;
      }
      events.push({ type: 'frame', frame: decoded.frame });
      i = s + decoded.consumed;
    }
    this.buffer = joined.slice(i);
    return events;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Forgets any partial frame (before a resend, the old bytes are useless). */
  reset(): void {
    this.buffer = new Uint8Array(0);
  }
}

function findStartCode(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x00 && bytes[i + 1] === 0xff) return i;
  }
  return -1;
}
