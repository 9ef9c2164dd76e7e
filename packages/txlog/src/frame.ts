import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { TxLogCorruptError, TxLogNotALogError } from './errors';

/** "HUDTXL", 0x00, format version 0x01: identifies the file so a wrong path is never "recovered". */
export const FILE_HEADER: Uint8Array = Uint8Array.of(0x48, 0x55, 0x44, 0x54, 0x58, 0x4c, 0x00, 0x01);
export const FRAME_MAGIC = 0xd7;
export const FRAME_VERSION = 0x01;
/** magic (1) + version (1) + payload length u32 BE (4) + CRC-32 of payload u32 BE (4). */
export const FRAME_HEADER_LENGTH = 10;
export const MAX_PAYLOAD_LENGTH = 64 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;

export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + payload.length);
  frame[0] = FRAME_MAGIC;
  frame[1] = FRAME_VERSION;
  frame.writeUInt32BE(payload.length, 2);
  frame.writeUInt32BE(crc32(payload), 6);
  frame.set(payload, FRAME_HEADER_LENGTH);
  return frame;
}

export interface Frame {
  /** Byte offset of the frame header in the file. */
  offset: number;
  /** 0-based position of the frame in the file: the seq its record must carry. */
  index: number;
  /** View into the scanner's buffer: valid only until the next batch is requested. Copy to keep. */
  payload: Uint8Array;
}

/** Bytes after the last whole frame that are not followed by any intact frame. */
export interface TornTail {
  offset: number;
  bytes: number;
  reason: string;
}

/**
 * Checks the 8-byte file header. Returns 'torn' for a file that is a strict prefix of the header
 * (crash while the log was being created), which callers treat as an empty log.
 */
export async function readFileHeader(fh: FileHandle, size: number, path: string): Promise<'ok' | 'torn'> {
  const length = Math.min(size, FILE_HEADER.length);
  const head = Buffer.alloc(length);
  if (length > 0) await readFully(fh, head, 0);
  if (Buffer.compare(head, FILE_HEADER.subarray(0, length)) !== 0) {
    throw new TxLogNotALogError(`${path} is not a Huduma transaction log (bad file header)`);
  }
  return length < FILE_HEADER.length ? 'torn' : 'ok';
}

async function readFully(fh: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await fh.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** undefined if a whole valid frame starts at p; 'short' if it would run past `end`; else the defect. */
function checkFrameAt(buf: Buffer, p: number, end: number): string | 'short' | undefined {
  if (end - p < 2) return buf[p] === FRAME_MAGIC || end === p ? 'short' : 'bad frame magic';
  if (buf[p] !== FRAME_MAGIC) return 'bad frame magic';
  if (buf[p + 1] !== FRAME_VERSION) return `unsupported frame version ${buf[p + 1]}`;
  if (end - p < FRAME_HEADER_LENGTH) return 'short';
  const length = buf.readUInt32BE(p + 2);
  if (length > MAX_PAYLOAD_LENGTH) return `frame length ${length} exceeds ${MAX_PAYLOAD_LENGTH}`;
  if (end - p < FRAME_HEADER_LENGTH + length) return 'short';
  const start = p + FRAME_HEADER_LENGTH;
  if (crc32(buf.subarray(start, start + length)) !== buf.readUInt32BE(p + 6)) return 'CRC mismatch';
  return undefined;
}

/**
 * Is there any intact frame starting after `from`? Used to tell a torn tail (nothing valid after the
 * damage: a crash cut the last write short) from corruption (damage followed by good records).
 */
async function findIntactFrameAfter(
  fh: FileHandle,
  from: number,
  fileSize: number,
): Promise<number | undefined> {
  const window = Buffer.allocUnsafe(READ_CHUNK + FRAME_HEADER_LENGTH + MAX_PAYLOAD_LENGTH);
  for (let start = from; start < fileSize; start += READ_CHUNK) {
    const length = await readFully(fh, window.subarray(0, Math.min(window.length, fileSize - start)), start);
    const candidates = Math.min(READ_CHUNK, length);
    for (
      let i = window.indexOf(FRAME_MAGIC, 0);
      i !== -1 && i < candidates;
      i = window.indexOf(FRAME_MAGIC, i + 1)
    ) {
      if (i >= length) break;
      // A frame that starts in this window ends inside it unless the file ends first.
      if (checkFrameAt(window, i, length) === undefined) return start + i;
    }
  }
  return undefined;
}

/**
 * Reads the frames of a log file in batches, checking each frame's CRC. Damage followed by an
 * intact frame throws TxLogCorruptError; damage at the end is reported as `tail` and ends the scan.
 */
export class FrameScanner {
  /** Set when the scan stopped at a torn tail. */
  tail: TornTail | undefined;
  /** File offset just past the last whole frame seen so far. */
  endOffset: number;
  /** Number of whole frames seen so far. */
  count = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly fileSize: number,
    startOffset: number = FILE_HEADER.length,
  ) {
    this.endOffset = startOffset;
  }

  async *batches(): AsyncGenerator<Frame[]> {
    const buf = Buffer.allocUnsafe(READ_CHUNK + FRAME_HEADER_LENGTH + MAX_PAYLOAD_LENGTH);
    let bufStart = this.endOffset; // file offset of buf[0]
    let bufEnd = 0; // valid bytes in buf
    let p = 0;
    for (;;) {
      const fileLeft = this.fileSize - (bufStart + bufEnd);
      if (fileLeft > 0 && bufEnd - p < FRAME_HEADER_LENGTH + MAX_PAYLOAD_LENGTH) {
        buf.copy(buf, 0, p, bufEnd);
        bufStart += p;
        bufEnd -= p;
        p = 0;
        const want = Math.min(buf.length - bufEnd, fileLeft);
        const got = await readFully(this.fh, buf.subarray(bufEnd, bufEnd + want), bufStart + bufEnd);
        bufEnd += got;
        if (got < want) {
          throw new Error(`log file shrank while being read (expected ${this.fileSize} bytes)`);
        }
      }
      const atEof = bufStart + bufEnd >= this.fileSize;
      const batch: Frame[] = [];
      while (p < bufEnd) {
        const defect = checkFrameAt(buf, p, bufEnd);
        if (defect === 'short' && !atEof) break; // need more bytes
        if (defect !== undefined) {
          if (batch.length > 0) yield batch;
          await this.damage(bufStart + p, defect === 'short' ? 'frame runs past end of file' : defect);
          return;
        }
        const length = buf.readUInt32BE(p + 2);
        const start = p + FRAME_HEADER_LENGTH;
        batch.push({
          offset: bufStart + p,
          index: this.count++,
          payload: buf.subarray(start, start + length),
        });
        p = start + length;
        this.endOffset = bufStart + p;
      }
      if (batch.length > 0) yield batch;
      if (atEof && p >= bufEnd) return;
    }
  }

  private async damage(offset: number, reason: string): Promise<void> {
    const intact = await findIntactFrameAfter(this.fh, offset + 1, this.fileSize);
    if (intact !== undefined) {
      throw new TxLogCorruptError(
        `damaged frame ${this.count} at offset ${offset} (${reason}) is followed by an intact frame at offset ${intact}: the log is corrupt, not torn`,
        offset,
        this.count,
      );
    }
    this.tail = { offset, bytes: this.fileSize - offset, reason };
  }
}
