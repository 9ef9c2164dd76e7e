/**
 * Reads the QR code off a printed page as a phone would: the printer simulator's PNG (8-bit
 * greyscale, the only kind it writes) decoded to pixels here, the QR found and read by jsqr.
 */
import { inflateSync } from 'node:zlib';
import jsQR from 'jsqr';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function greyPixels(png: Uint8Array): { width: number; height: number; grey: Uint8Array } {
  if (!SIGNATURE.every((b, i) => png[i] === b)) throw new Error('not a PNG');
  const view = new DataView(png.buffer, png.byteOffset, png.length);
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      if (data[8] !== 8 || data[9] !== 0 || data[12] !== 0)
        throw new Error('only 8-bit greyscale, non-interlaced PNGs are read here');
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width + 1);
    if (raw[row] !== 0) throw new Error(`PNG row ${y} uses filter ${raw[row]}, not read here`);
    grey.set(raw.subarray(row + 1, row + 1 + width), y * width);
  }
  return { width, height, grey };
}

/** The text of the (first) QR code jsqr finds on the page, or undefined. */
export function qrTextOfPng(png: Uint8Array): string | undefined {
  const { width, height, grey } = greyPixels(png);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < grey.length; i++) rgba.set([grey[i]!, grey[i]!, grey[i]!, 255], i * 4);
  return jsQR(rgba, width, height)?.data;
}
