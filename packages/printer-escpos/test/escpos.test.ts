import { EscPosParser } from '@huduma/sim-printer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import {
  DeviceSpecError,
  encodeDocument,
  formatShillings,
  InvalidDocumentError,
  PRINT_FAILURE_REASONS,
  parsePrinterSpec,
  parseStatus,
  printerMessage,
} from '../src/index';

const SEED = Number(process.env.HUDUMA_SEED ?? 20_261_130);

describe('encodeDocument', () => {
  it('starts with ESC @, ends with a partial cut, and uses GS ( k for the QR code', () => {
    const bytes = encodeDocument({ blocks: [{ kind: 'qr', payload: 'AB', moduleSize: 5, errorLevel: 'Q' }] });
    expect([...bytes.subarray(0, 2)]).toEqual([0x1b, 0x40]);
    expect([...bytes.subarray(-4)]).toEqual([0x1d, 0x56, 66, 3]);
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex).toContain('1d286b0400314132'); // model 2
    expect(hex).toContain('1d286b03003143' + '05'); // module size 5
    expect(hex).toContain('1d286b03003145' + '32'); // level Q
    expect(hex).toContain('1d286b050031503041' + '42'); // store "AB"
    expect(hex).toContain('1d286b0300315130'); // print
  });

  it('replaces characters outside ASCII, wraps long text, and is read back by the simulator parser', () => {
    const bytes = encodeDocument(
      { blocks: [{ kind: 'text', text: `Malipo ✓ ${'x'.repeat(60)}` }] },
      { width: 32 },
    );
    const events = new EscPosParser().feed(bytes);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    const lines = events.flatMap((e) => (e.kind === 'text' ? [e.text] : []));
    expect(lines[0]).toBe(`Malipo ? ${'x'.repeat(23)}`);
    expect(lines.every((l) => l.length <= 32)).toBe(true);
  });

  it('names the block at fault', () => {
    expect(() =>
      encodeDocument({
        blocks: [
          { kind: 'text', text: 'ok' },
          { kind: 'feed', lines: 999 },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_PRINTER_DOCUMENT', field: 'blocks[1].lines' }));
    expect(() => encodeDocument({ blocks: [{ kind: 'qr', payload: 'x', moduleSize: 0 }] })).toThrow(
      InvalidDocumentError,
    );
  });

  it('any document of valid blocks parses back without unknown commands (seeded)', () => {
    const block = fc.oneof(
      fc.record({
        kind: fc.constant('text' as const),
        text: fc.string({ maxLength: 120 }),
        bold: fc.boolean(),
        double: fc.boolean(),
        align: fc.constantFrom('left' as const, 'center' as const, 'right' as const),
      }),
      fc.record({
        kind: fc.constant('row' as const),
        left: fc.string({ maxLength: 60 }),
        right: fc.string({ maxLength: 60 }),
      }),
      fc.record({ kind: fc.constant('feed' as const), lines: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('qr' as const), payload: fc.string({ minLength: 1, maxLength: 200 }) }),
    );
    fc.assert(
      fc.property(fc.array(block, { maxLength: 12 }), (blocks) => {
        const events = new EscPosParser().feed(encodeDocument({ blocks }));
        expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
        expect(events.at(-1)).toEqual({ kind: 'cut', partial: true });
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe('status and wording', () => {
  it('reads the DLE EOT bytes into typed states', () => {
    const ready = { printer: 0x12, offlineCause: 0x12, errorCause: 0x12, paperSensor: 0x12 };
    expect(parseStatus(ready)).toEqual({ state: 'ready', paperNearEnd: false, detail: [] });
    expect(parseStatus({ ...ready, printer: 0x1a, paperSensor: 0x72 }).state).toBe('paper-out');
    expect(parseStatus({ ...ready, printer: 0x1a, offlineCause: 0x16 }).state).toBe('cover-open');
    expect(parseStatus({ ...ready, printer: 0x1a }).state).toBe('offline');
    expect(parseStatus({ ...ready, paperSensor: 0x1e })).toMatchObject({
      state: 'ready',
      paperNearEnd: true,
    });
    expect(parseStatus({ ...ready, errorCause: 0x32 }).state).toBe('error');
    expect(parseStatus({ ...ready, printer: 0xff }).state).toBe('error');
  });

  it('any four answer bytes give one of the typed states (seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        ([a, b, c, d]) => {
          const status = parseStatus({ printer: a!, offlineCause: b!, errorCause: c!, paperSensor: d! });
          expect(['ready', 'paper-out', 'cover-open', 'offline', 'error']).toContain(status.state);
          if (status.state === 'ready') expect(status.detail).toEqual([]);
        },
      ),
      { seed: SEED, numRuns: propertyRuns(1000) },
    );
  });

  it('has English and Kiswahili wording for every failure, each saying the payment stands', () => {
    for (const reason of PRINT_FAILURE_REASONS) {
      expect(printerMessage(reason, 'en')).toMatch(/payment is complete/);
      expect(printerMessage(reason, 'sw')).toMatch(/Malipo yamekamilika/);
    }
  });

  it('formats shillings with Intl en-KE from integer cents', () => {
    expect(formatShillings(105_000)).toBe('Ksh 1,050.00');
    expect(formatShillings(5)).toBe('Ksh 0.05');
    expect(() => formatShillings(1.5)).toThrow(RangeError);
  });
});

describe('parsePrinterSpec', () => {
  it('parses device paths, baud rates and the simulator', () => {
    expect(parsePrinterSpec('escpos:/dev/ttyUSB0')).toEqual({
      kind: 'escpos',
      path: '/dev/ttyUSB0',
      baudRate: 19_200,
    });
    expect(parsePrinterSpec('escpos:/dev/ttyS1@115200')).toEqual({
      kind: 'escpos',
      path: '/dev/ttyS1',
      baudRate: 115_200,
    });
    expect(parsePrinterSpec('escpos:sim')).toEqual({ kind: 'escpos-sim' });
    expect(() => parsePrinterSpec('escpos:/dev/ttyS1@1234')).toThrow(
      expect.objectContaining({ field: 'printer.baudRate' }),
    );
    expect(() => parsePrinterSpec('epson:/dev/x')).toThrow(DeviceSpecError);
  });

  it('gives a typed error for any other string (seeded)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (s) => {
        try {
          const spec = parsePrinterSpec(s);
          expect(['escpos', 'escpos-sim']).toContain(spec.kind);
        } catch (err) {
          expect(err).toBeInstanceOf(DeviceSpecError);
          expect((err as DeviceSpecError).message).not.toMatch(/[^\x20-\x7e]/);
        }
      }),
      { seed: SEED, numRuns: propertyRuns(500) },
    );
  });
});
