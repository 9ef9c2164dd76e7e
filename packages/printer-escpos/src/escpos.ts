import { MAX_QR_PAYLOAD, type PrintableDocument, type PrintBlock, type QrErrorLevel } from './document';
import { InvalidDocumentError } from './errors';

/** ESC/POS command bytes used here (Epson ESC/POS reference; the subset every 80 mm printer has). */
export const ESC = 0x1b;
export const GS = 0x1d;
export const DLE = 0x10;
export const EOT = 0x04;
export const LF = 0x0a;

export const INIT = [ESC, 0x40]; // ESC @
const ALIGN = { left: 0, center: 1, right: 2 } as const; // ESC a n
const QR_LEVEL: Record<QrErrorLevel, number> = { L: 48, M: 49, Q: 50, H: 51 };

export interface EncodeOptions {
  /** Characters per line in font A: 48 on 80 mm paper, 32 on 58 mm. */
  width?: number;
}

/** Printers print one byte per character (code page 437 here): anything else becomes '?'. */
function printable(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out.push(c >= 0x20 && c <= 0x7e ? c : 0x3f);
  }
  return out;
}

function qrFunction(fn: number, params: number[]): number[] {
  const len = params.length + 2; // cn + fn + params
  return [GS, 0x28, 0x6b, len & 0xff, len >> 8, 0x31, fn, ...params];
}

/** GS ( k: select model 2, module size, error level, store the data, print it. */
export function qrCommands(payload: string, moduleSize = 6, errorLevel: QrErrorLevel = 'M'): number[] {
  const data = printable(payload);
  return [
    ...qrFunction(65, [50, 0]), // fn 165: model 2
    ...qrFunction(67, [moduleSize]), // fn 167: module size in dots
    ...qrFunction(69, [QR_LEVEL[errorLevel]]), // fn 169: error correction level
    ...qrFunction(80, [48, ...data]), // fn 180: store in the symbol storage area
    ...qrFunction(81, [48]), // fn 181: print the stored symbol
  ];
}

function checkBlock(block: PrintBlock, i: number): void {
  const field = `blocks[${i}]`;
  if (block.kind === 'qr') {
    if (
      typeof block.payload !== 'string' ||
      block.payload.length === 0 ||
      block.payload.length > MAX_QR_PAYLOAD
    )
      throw new InvalidDocumentError(
        `${field}.payload`,
        `QR payload must be 1..${MAX_QR_PAYLOAD} characters`,
      );
    const size = block.moduleSize ?? 6;
    if (!Number.isInteger(size) || size < 1 || size > 16)
      throw new InvalidDocumentError(`${field}.moduleSize`, 'QR module size must be an integer 1..16');
    if (block.errorLevel !== undefined && !(block.errorLevel in QR_LEVEL))
      throw new InvalidDocumentError(`${field}.errorLevel`, 'QR error level must be L, M, Q or H');
  } else if (block.kind === 'feed') {
    if (!Number.isInteger(block.lines) || block.lines < 0 || block.lines > 255)
      throw new InvalidDocumentError(`${field}.lines`, 'feed lines must be an integer 0..255');
  } else if (block.kind === 'text') {
    if (typeof block.text !== 'string')
      throw new InvalidDocumentError(`${field}.text`, 'text must be a string');
  } else if (block.kind === 'row') {
    if (typeof block.left !== 'string' || typeof block.right !== 'string')
      throw new InvalidDocumentError(field, 'row left and right must be strings');
  } else if (block.kind !== 'rule') {
    throw new InvalidDocumentError(`${field}.kind`, 'unknown block kind');
  }
}

/** Splits text into lines of at most `width` characters (hard wrap; receipts are short). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) out.push('');
    for (let i = 0; i < line.length; i += width) out.push(line.slice(i, i + width));
  }
  return out;
}

/**
 * Renders a document to ESC/POS bytes: ESC @, then each block with its style set and reset, then
 * a partial cut (GS V 66 n feeds n lines first so the last line clears the cutter).
 * Throws InvalidDocumentError naming the block at fault; nothing is sent then.
 */
export function encodeDocument(doc: PrintableDocument, options: EncodeOptions = {}): Uint8Array {
  const width = options.width ?? 48;
  if (!doc || !Array.isArray(doc.blocks))
    throw new InvalidDocumentError('blocks', 'document needs a blocks array');
  doc.blocks.forEach(checkBlock);
  const out: number[] = [...INIT];
  for (const block of doc.blocks) {
    switch (block.kind) {
      case 'text': {
        const perLine = block.double ? Math.floor(width / 2) : width;
        out.push(ESC, 0x61, ALIGN[block.align ?? 'left']);
        if (block.bold) out.push(ESC, 0x45, 1);
        if (block.double) out.push(GS, 0x21, 0x11);
        for (const l of wrap(block.text, perLine)) out.push(...printable(l), LF);
        if (block.double) out.push(GS, 0x21, 0x00);
        if (block.bold) out.push(ESC, 0x45, 0);
        out.push(ESC, 0x61, 0);
        break;
      }
      case 'row': {
        const right = block.right.slice(0, width);
        const left = block.left.slice(0, Math.max(0, width - right.length - 1));
        const space = Math.max(1, width - left.length - right.length);
        if (block.bold) out.push(ESC, 0x45, 1);
        out.push(...printable(left + ' '.repeat(space) + right), LF);
        if (block.bold) out.push(ESC, 0x45, 0);
        break;
      }
      case 'rule':
        out.push(...printable('-'.repeat(width)), LF);
        break;
      case 'feed':
        out.push(ESC, 0x64, block.lines); // ESC d n
        break;
      case 'qr':
        out.push(ESC, 0x61, 1);
        out.push(...qrCommands(block.payload, block.moduleSize, block.errorLevel), LF);
        out.push(ESC, 0x61, 0);
        break;
    }
  }
  if (doc.cut !== false) out.push(GS, 0x56, 66, 3); // GS V 66 n: feed n lines, partial cut
  return Uint8Array.from(out);
}
