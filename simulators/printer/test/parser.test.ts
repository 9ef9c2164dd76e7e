import fc from 'fast-check';
import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { EscPosParser, type PrintedItem, PrinterSimulator, pageBitmap, pageText } from '../src/index';

const SEED = Number(process.env.HUDUMA_SEED ?? 20_261_130);
const bytes = (...parts: Array<number[] | string>) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

function qr(payload: string): number[] {
  const fn = (f: number, params: number[]) => {
    const len = params.length + 2;
    return [0x1d, 0x28, 0x6b, len & 0xff, len >> 8, 0x31, f, ...params];
  };
  const data = [...payload].map((c) => c.charCodeAt(0));
  return [...fn(65, [50, 0]), ...fn(67, [4]), ...fn(69, [49]), ...fn(80, [48, ...data]), ...fn(81, [48])];
}

describe('EscPosParser', () => {
  it('parses styles, alignment, feeds, a QR code and a cut, split at every byte', () => {
    const stream = bytes(
      [0x1b, 0x40],
      [0x1b, 0x61, 1, 0x1b, 0x45, 1, 0x1d, 0x21, 0x11],
      'HUDUMA PAY\n',
      [0x1d, 0x21, 0, 0x1b, 0x45, 0, 0x1b, 0x61, 0],
      'Amount  Ksh 250.00\n',
      [0x1b, 0x64, 2],
      qr('HPR1:T-0001:7:A1B2C3D4'),
      [0x1d, 0x56, 66, 3],
    );
    const whole = new EscPosParser().feed(stream);
    const split = new EscPosParser();
    const pieces = [...stream].flatMap((b) => split.feed(Uint8Array.of(b)));
    expect(pieces).toEqual(whole);
    expect(whole.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(whole).toContainEqual({
      kind: 'text',
      text: 'HUDUMA PAY',
      style: { bold: true, double: true, align: 'center' },
    });
    expect(whole).toContainEqual({
      kind: 'text',
      text: 'Amount  Ksh 250.00',
      style: { bold: false, double: false, align: 'left' },
    });
    expect(whole).toContainEqual({
      kind: 'qr',
      payload: 'HPR1:T-0001:7:A1B2C3D4',
      moduleSize: 4,
      level: 'M',
    });
    expect(whole.at(-1)).toEqual({ kind: 'cut', partial: true });
  });

  it('flags commands outside the subset with their offset, and keeps going', () => {
    const events = new EscPosParser().feed(
      bytes('A', [0x1b, 0x7e], 'B\n', [0x07], [0x1d, 0x28, 0x6b, 3, 0, 0x30, 65, 0], 'C\n'),
    );
    const unknown = events.filter((e) => e.kind === 'unknown');
    expect(unknown.map((e) => e.offset)).toEqual([1, 5, 6]);
    expect(unknown[2]!.reason).toMatch(/QR code symbol/);
    expect(events.filter((e) => e.kind === 'text').map((e) => e.text)).toEqual(['AB', 'C']);
  });

  it('never throws on random bytes, and bounds what it keeps (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const sim = new PrinterSimulator();
        for (const c of chunks) {
          const answer = sim.receive(c);
          for (const b of answer) expect(b & 0x93).toBe(0x12);
        }
        for (const page of sim.pages) {
          expect(typeof page.text).toBe('string');
          page.png();
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('never throws on streams built from real command prefixes (seeded)', () => {
    const pieces = [
      [0x1b],
      [0x1b, 0x40],
      [0x1b, 0x61],
      [0x1d, 0x28, 0x6b],
      [0x1d, 0x56],
      [0x10, 0x04],
      [0x1d, 0x21],
      [0x0a],
      [0x31, 0x50, 0x30],
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constantFrom(...pieces), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 })),
          {
            maxLength: 60,
          },
        ),
        (parts) => {
          const parser = new EscPosParser();
          parser.feed(Uint8Array.from(parts.flat()));
          parser.flush();
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('page rendering', () => {
  const items: PrintedItem[] = [
    { kind: 'text', text: 'HUDUMA PAY', style: { bold: true, double: true, align: 'center' } },
    { kind: 'text', text: 'Total  Ksh 1,050.00', style: { bold: false, double: false, align: 'right' } },
    { kind: 'qr', payload: 'HPR1:T-0001:42:A1B2C3D4', moduleSize: 6, level: 'M' },
  ];

  it('renders text aligned on 48 columns', () => {
    const text = pageText(items).split('\n');
    expect(text[0]).toBe(`${' '.repeat(14)}HUDUMA PAY`);
    expect(text[1]).toBe(`${' '.repeat(48 - 19)}Total  Ksh 1,050.00`);
    expect(text[2]).toContain('[QR HPR1:T-0001:42:A1B2C3D4]');
  });

  it('draws the QR code as modules that decode back to the payload', () => {
    const { width, height, grey } = pageBitmap(items);
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < grey.length; i++) rgba.set([grey[i]!, grey[i]!, grey[i]!, 255], i * 4);
    expect(jsQR(rgba, width, height)?.data).toBe('HPR1:T-0001:42:A1B2C3D4');
  });
});
