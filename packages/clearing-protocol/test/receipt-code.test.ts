import fc from 'fast-check';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
// The page script bundles this subpath; it must be the same parser as the package's entry.
import * as pageEntry from '../src/index';
import {
  encodeReceiptCode,
  parseReceiptCode,
  RECEIPT_CODE_MAX_LENGTH,
  ReceiptCodeError,
  type ReceiptCodeField,
  type ReceiptCodeFields,
} from '../src/receipt-code';

/** Shared vectors: what the terminal writes and the public page reads (also in the README). */
const VECTORS: Array<[ReceiptCodeFields, string]> = [
  [{ terminalId: 'T-HC1', terminalSeq: 42, proofRef: 'A1B2C3D4' }, 'HPR1:T-HC1:42:A1B2C3D4'],
  [{ terminalId: 'T-0001', terminalSeq: 0, proofRef: '00000000' }, 'HPR1:T-0001:0:00000000'],
  [
    { terminalId: 'ABCDEFGH', terminalSeq: 4_294_967_295, proofRef: 'FFFFFFFF' },
    'HPR1:ABCDEFGH:4294967295:FFFFFFFF',
  ],
];

const HOSTILE: Array<[unknown, ReceiptCodeField]> = [
  [undefined, 'code'],
  [42, 'code'],
  ['', 'code'],
  ['   \n', 'code'],
  ['HPAY1|HC-NBI01|T-0001|1|105000|1|A1B2C3D4', 'prefix'],
  ['HPAY1:T-0001:1:sale:AAAA:BBBB', 'prefix'],
  ['HUDUMA-RECEIPT:1:T-HC1:42:A1B2C3D4', 'prefix'],
  ['https://example.com/HPR1:T-HC1:42:A1B2C3D4', 'prefix'],
  ['HPR:T-HC1:42:A1B2C3D4', 'prefix'],
  ['HPR01:T-HC1:42:A1B2C3D4', 'prefix'],
  ['HPR2:T-HC1:42:A1B2C3D4:MORE', 'version'],
  ['HPR1:T-HC1:42', 'code'],
  ['HPR1:T-HC1:42:A1B2C3D4:', 'code'],
  [`HPR1:T-HC1:42:A1B2C3D4${'0'.repeat(100_000)}`, 'code'],
  ['HPR1::42:A1B2C3D4', 'terminalId'],
  ['HPR1:T_HC1:42:A1B2C3D4', 'terminalId'],
  ['HPR1:T-HC1-XYZ:42:A1B2C3D4', 'terminalId'],
  ['HPR1:T-HC1:-1:A1B2C3D4', 'terminalSeq'],
  ['HPR1:T-HC1:042:A1B2C3D4', 'terminalSeq'],
  ['HPR1:T-HC1:1E3:A1B2C3D4', 'terminalSeq'],
  ['HPR1:T-HC1:4294967296:A1B2C3D4', 'terminalSeq'],
  ['HPR1:T-HC1::A1B2C3D4', 'terminalSeq'],
  ['HPR1:T-HC1:42:A1B2C3D', 'proofRef'],
  ['HPR1:T-HC1:42:A1B2C3DG', 'proofRef'],
  ['HPR1:T-HC1:42:A1B2 3D4', 'proofRef'],
];

function fieldOf(run: () => unknown): ReceiptCodeField | 'no error' {
  try {
    run();
    return 'no error';
  } catch (err) {
    // Anything but a ReceiptCodeError fails the test here.
    if (!(err instanceof ReceiptCodeError)) throw err;
    expect(err.code).toBe('ERR_RECEIPT_CODE');
    expect(err.message.startsWith(`${err.field}: `)).toBe(true);
    return err.field;
  }
}

const fieldsArb = fc.record({
  terminalId: fc.stringMatching(/^[A-Z0-9-]{1,8}$/),
  terminalSeq: fc.integer({ min: 0, max: 0xffff_ffff }),
  proofRef: fc.stringMatching(/^[0-9A-F]{8}$/),
});

describe('receipt code', () => {
  it('encodes and parses the shared vectors', () => {
    for (const [fields, code] of VECTORS) {
      expect(encodeReceiptCode(fields)).toBe(code);
      expect(parseReceiptCode(code)).toEqual(fields);
      expect(pageEntry.parseReceiptCode(code)).toEqual(fields);
    }
  });

  it('reads a typed code in any case with white space around it, and gives canonical fields', () => {
    expect(parseReceiptCode('  hpr1:t-hc1:42:a1b2c3d4\n')).toEqual(VECTORS[0]![0]);
    expect(encodeReceiptCode({ ...VECTORS[0]![0], proofRef: 'a1b2c3d4' })).toBe(VECTORS[0]![1]);
  });

  it('round-trips every valid sale, within the length and QR character set budget', () => {
    fc.assert(
      fc.property(fieldsArb, (fields) => {
        const code = encodeReceiptCode(fields);
        expect(code.length).toBeLessThanOrEqual(RECEIPT_CODE_MAX_LENGTH);
        expect(code).toMatch(/^[0-9A-Z:-]+$/); // QR alphanumeric mode
        expect(parseReceiptCode(code)).toEqual(fields);
        expect(parseReceiptCode(code.toLowerCase())).toEqual(fields);
      }),
      { numRuns: propertyRuns(1000) },
    );
  });

  it('the longest code fits a version 2 QR symbol at error level M (25 mm at module size 6)', () => {
    const longest = encodeReceiptCode({
      terminalId: 'ABCDEFGH',
      terminalSeq: 0xffff_ffff,
      proofRef: 'FFFFFFFF',
    });
    expect(longest.length).toBe(RECEIPT_CODE_MAX_LENGTH);
    const qr = QRCode.create(longest, { errorCorrectionLevel: 'M' });
    expect(qr.version).toBeLessThanOrEqual(2);
  });

  it('refuses hand-picked hostile codes, naming the field', () => {
    for (const [text, field] of HOSTILE)
      expect(
        fieldOf(() => parseReceiptCode(text)),
        String(text).slice(0, 60),
      ).toBe(field);
  });

  it('refuses fields it cannot carry, naming the field', () => {
    const ok = VECTORS[0]![0];
    const bad: Array<[ReceiptCodeFields, ReceiptCodeField]> = [
      [{ ...ok, terminalId: 't-hc1' }, 'terminalId'],
      [{ ...ok, terminalId: 'T:HC1' }, 'terminalId'],
      [{ ...ok, terminalId: '' }, 'terminalId'],
      [{ ...ok, terminalSeq: -1 }, 'terminalSeq'],
      [{ ...ok, terminalSeq: 1.5 }, 'terminalSeq'],
      [{ ...ok, terminalSeq: Number.NaN }, 'terminalSeq'],
      [{ ...ok, terminalSeq: 2 ** 32 }, 'terminalSeq'],
      [{ ...ok, proofRef: 'A1B2C3D4E5' }, 'proofRef'],
      [{ ...ok, proofRef: undefined as unknown as string }, 'proofRef'],
    ];
    for (const [fields, field] of bad) expect(fieldOf(() => encodeReceiptCode(fields))).toBe(field);
  });

  it('throws only ReceiptCodeError, for any text, and accepts only what it would write', () => {
    const near = fc
      .array(
        fc.constantFrom(
          'HPR1',
          'HPR2',
          ':',
          'T-HC1',
          '42',
          '0',
          'A1B2C3D4',
          '-',
          ' ',
          'g',
          '\u0000',
          '\u00df',
        ),
        {
          maxLength: 8,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary-ascii' }), fc.string({ unit: 'grapheme' }), near, fc.anything()),
        (input) => {
          const field = fieldOf(() => parseReceiptCode(input));
          if (field === 'no error') {
            const parsed = parseReceiptCode(input);
            expect(encodeReceiptCode(parsed)).toBe((input as string).trim().toUpperCase());
          }
        },
      ),
      { numRuns: propertyRuns(2000) },
    );
  });
});
