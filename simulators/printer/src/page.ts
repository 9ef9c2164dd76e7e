import QRCode from 'qrcode';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font';
import type { Align, QrLevel, Style } from './parser';
import { encodePng } from './png';

/** What came out on paper between two cuts. */
export type PrintedItem =
  | { kind: 'text'; text: string; style: Style }
  | { kind: 'feed'; lines: number }
  | { kind: 'qr'; payload: string; moduleSize: number; level: QrLevel };

/** Paper: 48 columns of font A on 80 mm (576 dots). */
export const COLUMNS = 48;
const SCALE = 2; // dots per font pixel: 6x9 cells become 12x18 dots, 48 of them fill 576 dots
const CELL_W = (GLYPH_WIDTH + 1) * SCALE;
const CELL_H = (GLYPH_HEIGHT + 1) * SCALE;
export const PAPER_DOTS = COLUMNS * CELL_W;
const MARGIN = 8;

function pad(text: string, cells: number, align: Align, cellWidth: number): string {
  const used = text.length * cellWidth;
  const free = Math.max(0, cells - used);
  const before = align === 'center' ? Math.floor(free / 2) : align === 'right' ? free : 0;
  return ' '.repeat(before) + text;
}

/** The page as text, one printed line per line: what a person reading the paper sees. */
export function pageText(items: PrintedItem[]): string {
  const out: string[] = [];
  for (const item of items) {
    if (item.kind === 'text')
      out.push(pad(item.text, COLUMNS, item.style.align, item.style.double ? 2 : 1).trimEnd());
    else if (item.kind === 'feed') for (let i = 0; i < item.lines; i++) out.push('');
    else out.push(pad(`[QR ${item.payload}]`, COLUMNS, 'center', 1));
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}

interface Bitmap {
  width: number;
  height: number;
  /** 0 black, 255 white. */
  grey: Uint8Array;
}

function qrSymbol(payload: string, level: QrLevel): ReturnType<typeof QRCode.create> | undefined {
  try {
    return QRCode.create(payload, { errorCorrectionLevel: level });
  } catch {
    return undefined;
  }
}

/** The page as a greyscale bitmap, 576 dots wide, text in the built-in font, QR codes as modules. */
export function pageBitmap(items: PrintedItem[]): Bitmap {
  const qrs = new Map<PrintedItem, ReturnType<typeof QRCode.create>>();
  let height = MARGIN * 2;
  for (const item of items) {
    if (item.kind === 'text') height += item.style.double ? CELL_H * 2 : CELL_H;
    else if (item.kind === 'feed') height += item.lines * CELL_H;
    else {
      const qr = qrSymbol(item.payload, item.level);
      if (qr) qrs.set(item, qr);
      // 4-module quiet zone above and below; a payload no QR symbol can hold prints nothing.
      height += qr ? (qr.modules.size + 8) * item.moduleSize : 0;
    }
  }
  const width = PAPER_DOTS + MARGIN * 2;
  const grey = new Uint8Array(width * height).fill(255);
  const dot = (x: number, y: number, size: number) => {
    for (let dy = 0; dy < size; dy++)
      for (let dx = 0; dx < size; dx++) {
        const px = x + dx;
        const py = y + dy;
        if (px >= 0 && px < width && py >= 0 && py < height) grey[py * width + px] = 0;
      }
  };
  let y = MARGIN;
  for (const item of items) {
    if (item.kind === 'text') {
      const mul = item.style.double ? 2 : 1;
      const scale = SCALE * mul;
      const free = Math.max(0, COLUMNS - item.text.length * mul);
      const before =
        item.style.align === 'center' ? Math.floor(free / 2) : item.style.align === 'right' ? free : 0;
      const text = item.text;
      for (let i = 0; i < text.length; i++) {
        const x0 = MARGIN + (before + i * mul) * CELL_W;
        if (x0 >= MARGIN + PAPER_DOTS) break;
        const cols = glyph(text[i]!);
        cols.forEach((col, cx) => {
          for (let row = 0; row < GLYPH_HEIGHT; row++)
            if (col & (1 << row)) {
              dot(x0 + cx * scale, y + row * scale, scale);
              if (item.style.bold) dot(x0 + cx * scale + 1, y + row * scale, scale);
            }
        });
      }
      y += CELL_H * mul;
    } else if (item.kind === 'feed') y += item.lines * CELL_H;
    else {
      const qr = qrs.get(item);
      if (!qr) continue;
      const n = qr.modules.size;
      const x0 = MARGIN + Math.floor((PAPER_DOTS - n * item.moduleSize) / 2);
      const y0 = y + 4 * item.moduleSize;
      for (let r = 0; r < n; r++)
        for (let c = 0; c < n; c++)
          if (qr.modules.get(r, c)) dot(x0 + c * item.moduleSize, y0 + r * item.moduleSize, item.moduleSize);
      y += (n + 8) * item.moduleSize;
    }
  }
  return { width, height, grey };
}

export function pagePng(items: PrintedItem[]): Uint8Array {
  const { width, height, grey } = pageBitmap(items);
  return encodePng(width, height, grey);
}
