import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { p256 } from '@noble/curves/p256';
import { sha256 } from '@noble/hashes/sha256';
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import {
  decodeUploadBatch,
  denyListMessage,
  encodeUploadBatch,
  MAX_BATCH_RECORDS,
  signTerminalRequest,
  terminalRequestMessage,
  UploadBatchFormatError,
} from '../src/index';

const cert = new Uint8Array(165).fill(7);
const plain = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UploadBatchFormatError);
    return (err as UploadBatchFormatError).code;
  }
  throw new Error('expected a throw');
};

describe('upload batch codec', () => {
  it('encodes a fixed batch to the CBOR map cbor-x writes (b9 0003 61 76 01 …)', () => {
    const bytes = encodeUploadBatch({ terminalCertificate: cert, records: [Uint8Array.of(1, 2)] });
    const hex = Buffer.from(bytes).toString('hex');
    // map(3) with a 16-bit length (as cbor-x writes it), "v" 1, "terminalCertificate" bstr(165), "records" [bstr(2) 0102]
    expect(hex.startsWith('b90003617601737465726d696e616c4365727469666963617465' + '58a5')).toBe(true);
    expect(hex.endsWith('677265636f7264738142' + '0102')).toBe(true);
    expect(bytes.length).toBe(3 + 2 + 1 + 20 + 2 + 165 + 8 + 1 + 3);
  });

  it('round-trips any records byte-exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 40 }), (records) => {
        const back = decodeUploadBatch(encodeUploadBatch({ terminalCertificate: cert, records }));
        expect(back.records.map((r) => Buffer.from(r).toString('hex'))).toEqual(
          records.map((r) => Buffer.from(r).toString('hex')),
        );
        expect(back.terminalCertificate).toEqual(cert);
      }),
      { numRuns: 200 },
    );
  });

  it('carries an optional 64-byte seal as a fourth key, and only that', () => {
    const seal = new Uint8Array(64).fill(9);
    const back = decodeUploadBatch(
      encodeUploadBatch({ terminalCertificate: cert, records: [Uint8Array.of(1)], seal }),
    );
    expect(back.seal).toEqual(seal);
    expect(
      decodeUploadBatch(encodeUploadBatch({ terminalCertificate: cert, records: [Uint8Array.of(1)] })).seal,
    ).toBeUndefined();
    const enc = (o: unknown) => new Uint8Array(plain.encode(o));
    const base = { v: 1, terminalCertificate: cert, records: [Uint8Array.of(1)] };
    expect(codeOf(() => decodeUploadBatch(enc({ ...base, seal: seal.subarray(1) })))).toBe(
      'ERR_BATCH_FORMAT',
    );
    expect(codeOf(() => decodeUploadBatch(enc({ ...base, seal: 'x'.repeat(64) })))).toBe('ERR_BATCH_FORMAT');
    expect(codeOf(() => decodeUploadBatch(enc({ ...base, sea1: seal })))).toBe('ERR_BATCH_FORMAT');
  });

  it('refuses what the service refuses, with the same codes', () => {
    expect(codeOf(() => decodeUploadBatch(Uint8Array.of(0xff, 0x00)))).toBe('ERR_BATCH_CBOR');
    expect(codeOf(() => decodeUploadBatch(new Uint8Array(plain.encode([1, 2]))))).toBe('ERR_BATCH_FORMAT');
    const enc = (o: unknown) => new Uint8Array(plain.encode(o));
    expect(codeOf(() => decodeUploadBatch(enc({ v: 1, terminalCertificate: cert })))).toBe(
      'ERR_BATCH_FORMAT',
    );
    expect(
      codeOf(() => decodeUploadBatch(enc({ v: 2, terminalCertificate: cert, records: [Uint8Array.of(1)] }))),
    ).toBe('ERR_BATCH_FORMAT');
    expect(
      codeOf(() =>
        decodeUploadBatch(enc({ v: 1, terminalCertificate: cert.subarray(1), records: [Uint8Array.of(1)] })),
      ),
    ).toBe('ERR_BATCH_FORMAT');
    expect(codeOf(() => decodeUploadBatch(enc({ v: 1, terminalCertificate: cert, records: [] })))).toBe(
      'ERR_BATCH_FORMAT',
    );
    expect(codeOf(() => decodeUploadBatch(enc({ v: 1, terminalCertificate: cert, records: ['x'] })))).toBe(
      'ERR_BATCH_FORMAT',
    );
    const tooMany = Array.from({ length: MAX_BATCH_RECORDS + 1 }, () => Uint8Array.of(0));
    expect(
      codeOf(() => decodeUploadBatch(encodeUploadBatch({ terminalCertificate: cert, records: tooMany }))),
    ).toBe('ERR_BATCH_FORMAT');
  });

  it('never throws anything but UploadBatchFormatError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeUploadBatch(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(UploadBatchFormatError);
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});

describe('terminal request signature', () => {
  it('lays out domain v2, method, path, timestamp, nonce, content length and body hash', () => {
    const body = new TextEncoder().encode('{"a":1}');
    const nonce = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const bodySha256 = new Uint8Array(createHash('sha256').update(body).digest());
    const m = terminalRequestMessage({
      method: 'post',
      path: '/v1/x?y=1',
      timestampMs: 0x0102030405,
      nonce,
      contentLength: body.length,
      bodySha256,
    });
    const domain = 'HUDUMA-CLEARING/TERMINAL-REQUEST/v2';
    let at = domain.length;
    expect(Buffer.from(m.subarray(0, at)).toString('ascii')).toBe(domain);
    expect(m[at++]).toBe(0);
    expect(m[at++]).toBe(4);
    expect(Buffer.from(m.subarray(at, at + 4)).toString()).toBe('POST');
    at += 4;
    expect((m[at]! << 8) | m[at + 1]!).toBe(9);
    at += 2 + 9;
    expect(Buffer.from(m.subarray(at, at + 8)).toString('hex')).toBe('0000000102030405');
    at += 8;
    expect(Buffer.from(m.subarray(at, at + 16))).toEqual(Buffer.from(nonce));
    at += 16;
    expect(Buffer.from(m.subarray(at, at + 8)).toString('hex')).toBe('0000000000000007');
    at += 8;
    expect(Buffer.from(m.subarray(at)).toString('hex')).toBe(Buffer.from(bodySha256).toString('hex'));
  });

  it('signs headers a P-256 verifier accepts; a changed path, nonce or length breaks the signature', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = privateKey.export({ format: 'jwk' });
    const priv = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
    const pub = p256.getPublicKey(priv, false);
    const body = new TextEncoder().encode('{"a":1}');
    const headers = signTerminalRequest({
      method: 'POST',
      path: '/v1/terminals/T-1/state',
      body,
      certificate: cert,
      privateKey: priv,
      publicKey: pub,
      timestampMs: 1_700_000_000_000,
    });
    expect(headers['x-huduma-timestamp']).toBe('1700000000000');
    expect(Buffer.from(headers['x-huduma-certificate']!, 'base64')).toEqual(Buffer.from(cert));
    expect(headers['x-huduma-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    const nonce = new Uint8Array(Buffer.from(headers['x-huduma-nonce']!, 'hex'));
    expect(nonce.length).toBe(16);
    const sig = new Uint8Array(Buffer.from(headers['x-huduma-signature']!, 'base64'));
    const message = (path: string, n = nonce, contentLength = body.length) =>
      terminalRequestMessage({
        method: 'POST',
        path,
        timestampMs: 1_700_000_000_000,
        nonce: n,
        contentLength,
        bodySha256: new Uint8Array(Buffer.from(headers['x-huduma-content-sha256']!, 'hex')),
      });
    const ok = (m: Uint8Array) => p256.verify(sig, sha256(m), pub, { lowS: false });
    expect(ok(message('/v1/terminals/T-1/state'))).toBe(true);
    expect(ok(message('/v1/terminals/T-2/state'))).toBe(false);
    expect(ok(message('/v1/terminals/T-1/state', new Uint8Array(16)))).toBe(false);
    expect(ok(message('/v1/terminals/T-1/state', nonce, body.length + 1))).toBe(false);
    // node:crypto agrees (the service verifies with OpenSSL).
    expect(
      verify(
        'sha256',
        message('/v1/terminals/T-1/state'),
        { key: privateKey, dsaEncoding: 'ieee-p1363' },
        sig,
      ),
    ).toBe(true);
    // A fresh nonce per call.
    const again = signTerminalRequest({
      method: 'GET',
      path: '/',
      certificate: cert,
      privateKey: priv,
      publicKey: pub,
    });
    expect(again['x-huduma-nonce']).not.toBe(headers['x-huduma-nonce']);
  });
});

describe('deny-list message', () => {
  it('encodes versions, BCD card numbers and actions', () => {
    const m = denyListMessage({
      sinceVersion: 1,
      version: 3,
      issuedAtMs: 2,
      entries: [
        { version: 2, cardNumber: '1234567890123456', action: 'add' },
        { version: 3, cardNumber: '0000000000000009', action: 'remove' },
      ],
    });
    const hex = Buffer.from(m).toString('hex');
    const domainHex = Buffer.from('HUDUMA-CLEARING/DENY-LIST/v1\0').toString('hex');
    expect(hex).toBe(
      `${domainHex}0000000000000001` +
        '0000000000000003' +
        '0000000000000002' +
        '00000002' +
        '0000000000000002123456789012345601' +
        '0000000000000003000000000000000902',
    );
  });
});
