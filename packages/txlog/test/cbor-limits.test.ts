import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import {
  decodeUploadBatch,
  encodeRecord,
  encodeUploadBatch,
  GENESIS_HASH,
  MAX_BATCH_RECORDS,
  MAX_RECORD_LENGTH,
  MAX_UPLOAD_BATCH_BYTES,
  UploadBatchFormatError,
} from '../src/index';

const cert = new Uint8Array(165).fill(7);
const SEED = Number(process.env.HUDUMA_SEED ?? 20261130);

function refusal(body: Uint8Array): UploadBatchFormatError {
  try {
    decodeUploadBatch(body);
  } catch (error) {
    expect(error).toBeInstanceOf(UploadBatchFormatError);
    return error as UploadBatchFormatError;
  }
  throw new Error('expected decodeUploadBatch to refuse the body');
}

/** A batch whose `records` array head claims `count` items, followed by `tail`. */
function batchHead(count: number): Buffer {
  const prefix = Buffer.from(encodeUploadBatch({ terminalCertificate: cert, records: [Uint8Array.of(1)] }));
  // Strip the encoded one-record array (0x81 0x41 0x01) and write a 32-bit array head instead.
  const head = prefix.subarray(0, prefix.length - 3);
  const arrayHead = Buffer.alloc(5);
  arrayHead[0] = 0x9a;
  arrayHead.writeUInt32BE(count, 1);
  return Buffer.concat([head, arrayHead]);
}

describe('CBOR limits before cbor-x decodes an upload', () => {
  it('refuses a truncated batch with ERR_BATCH_CBOR naming the offset, not a DataView error', () => {
    const bytes = encodeUploadBatch({ terminalCertificate: cert, records: [new Uint8Array(40).fill(3)] });
    const cut = bytes.subarray(0, bytes.length - 10);
    const error = refusal(cut);
    expect(error.code).toBe('ERR_BATCH_CBOR');
    expect(error.message).toMatch(/offset \d+/);
    expect(error.message).not.toMatch(/DataView/);
  });

  it('refuses a records array of more empty byte strings than a batch holds, at the first item past the limit', () => {
    const many = 200_000;
    const body = Buffer.concat([batchHead(many), Buffer.alloc(many, 0x40)]);
    const error = refusal(body);
    expect(error.code).toBe('ERR_BATCH_CBOR');
    expect(error.message).toMatch(/more than 10009 CBOR items/);
  });

  it('refuses an array head claiming more items than bytes left (no allocation up front)', () => {
    const error = refusal(Buffer.concat([batchHead(0xffff_fff0), Buffer.of(0x40)]));
    expect(error.code).toBe('ERR_BATCH_CBOR');
    expect(error.message).toMatch(/runs past the end|more than/);
  });

  it('refuses indefinite lengths, tags, deep nesting, long strings and trailing bytes, each by offset', () => {
    const ok = Buffer.from(encodeUploadBatch({ terminalCertificate: cert, records: [Uint8Array.of(1)] }));
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.of(0xbf, 0xff), /indefinite-length CBOR item at offset 0/],
      [Buffer.of(0x9f, 0xff), /indefinite-length CBOR item at offset 0/],
      [Buffer.of(0xc2, 0x41, 0x00), /CBOR tag at offset 0/],
      [Buffer.of(0x81, 0x81, 0x81, 0x40), /nested deeper than 2 at offset 2/],
      [Buffer.of(0x5a, 0x00, 0x01, 0x00, 0x00), /65536 bytes at offset 0 exceeds 2676/],
      [Buffer.of(0x45, 0x01), /runs past the end/],
      [Buffer.of(0x1c), /reserved CBOR additional information 28 at offset 0/],
      [
        Buffer.concat([ok, Buffer.of(0x40)]),
        new RegExp(`1 trailing bytes after the CBOR item at offset ${ok.length}`),
      ],
      [Buffer.alloc(0), /ends early at offset 0/],
    ];
    for (const [body, message] of cases) {
      const error = refusal(body);
      expect(error.code).toBe('ERR_BATCH_CBOR');
      expect(error.message).toMatch(message);
    }
  });

  it('bounds the upload body by the largest legal record: a full batch of them fits and decodes', () => {
    // The largest record the log writes: a recovered-sale with every field at its maximum.
    const largest = encodeRecord(Number.MAX_SAFE_INTEGER, GENESIS_HASH, {
      type: 'recovered-sale',
      time: Number.MAX_SAFE_INTEGER,
      terminalSeq: Number.MAX_SAFE_INTEGER,
      cardNumber: '4000123456789010',
      amountCents: Number.MAX_SAFE_INTEGER,
      billRef: 'b'.repeat(256),
      serviceCode: 's'.repeat(256),
      cardProof: new Uint8Array(1024),
      cardCertificate: new Uint8Array(1024),
    });
    expect(largest.length).toBe(MAX_RECORD_LENGTH);
    const records = Array.from({ length: MAX_BATCH_RECORDS }, () => largest);
    const body = encodeUploadBatch({ terminalCertificate: cert, records });
    expect(body.length).toBeLessThanOrEqual(MAX_UPLOAD_BATCH_BYTES);
    expect(MAX_UPLOAD_BATCH_BYTES - body.length).toBeLessThan(1024);
    expect(decodeUploadBatch(body).records.length).toBe(MAX_BATCH_RECORDS);
  });

  it(`random, truncated and mutated encodings only ever raise UploadBatchFormatError (seed ${SEED})`, () => {
    const batch = fc
      .array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 20 })
      .map((records) => encodeUploadBatch({ terminalCertificate: cert, records }));
    const mutated = fc
      .tuple(
        batch,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
      )
      .map(([bytes, edits, cut]) => {
        const copy = Uint8Array.from(bytes);
        for (const [at, value] of edits) copy[at % copy.length] = value;
        return cut % 3 === 0 ? copy.subarray(0, cut % (copy.length + 1)) : copy;
      });
    const body = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated);
    fc.assert(
      fc.property(body, (bytes) => {
        try {
          decodeUploadBatch(bytes);
        } catch (error) {
          if (!(error instanceof UploadBatchFormatError)) throw error;
        }
      }),
      { seed: SEED, numRuns: propertyRuns(3000) },
    );
    fc.assert(
      fc.property(batch, (bytes) => {
        expect(decodeUploadBatch(bytes).terminalCertificate).toEqual(cert);
      }),
      { seed: SEED, numRuns: propertyRuns(300) },
    );
  });
});
