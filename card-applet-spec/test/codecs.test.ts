import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Capability,
  cardNumberFromAccount,
  decodeAuthenticatedCommand,
  decodeBillRef,
  decodeBlockRequest,
  decodeCardNumber,
  decodeCertificate,
  decodeDebitRequest,
  decodeEntityId,
  decodeIdentity,
  decodeIdentityReadRequest,
  decodeLoadAuthorization,
  decodePurse,
  decodePurseParameters,
  decodeRecoveryRequest,
  decodeRecoveryResponse,
  decodeSelectResponse,
  decodeTransactionProof,
  decodeTransactionRecord,
  decodeTrustedKey,
  decodeUndebitRequest,
  encodeBillRef,
  encodeBlockRequest,
  encodeCardNumber,
  encodeCertificate,
  encodeDebitRequest,
  encodeEntityId,
  encodeIdentity,
  encodeIdentityReadRequest,
  encodeLoadAuthorization,
  encodePinBlock,
  encodePurse,
  encodePurseParameters,
  encodeRecoveryRequest,
  encodeRecoveryResponseBody,
  encodeSelectResponse,
  encodeTransactionProof,
  encodeTransactionRecord,
  encodeTrustedKey,
  encodeUndebitRequest,
  formatCardNumber,
  fromHex,
  type HolderIdentity,
  IdentityType,
  isValidCardNumber,
  isValidPinBlock,
  KeyUsage,
  keyIdOf,
  LifeCycle,
  maskCardNumber,
  parseSimpleTlv,
  publicKeyOf,
  Size,
  SpecCodecError,
  sha256,
  TxType,
  tlv,
  toHex,
} from '../src/index';

const RUNS = 3000;
const prop = <T>(arb: fc.Arbitrary<T>, check: (value: T) => void, numRuns = RUNS) =>
  fc.assert(
    fc.property(arb, (value) => {
      check(value);
    }),
    { numRuns },
  );

// A pool of valid P-256 keys: deriving a public key per run would dominate the test time.
const KEYS = Array.from({ length: 8 }, (_, i) =>
  publicKeyOf(sha256(new TextEncoder().encode(`codec-key-${i}`))),
);
const publicKey = fc.constantFrom(...KEYS);
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const entityId = fc.stringMatching(/^[A-Z0-9-]{1,8}$/);
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});
const billRef = printable.filter((s) => s.length <= 16);
const asciiId = printable.filter((s) => s.length >= 1 && s.length <= 20);
const cardNumber = fc.stringMatching(/^\d{11}$/).map(cardNumberFromAccount);
const txType = fc.constantFrom(TxType.DEBIT, TxType.UNDEBIT, TxType.RELOAD);
const lifeCycle = fc.constantFrom(...Object.values(LifeCycle));

const record = fc.record({
  type: txType,
  counter: u32,
  amount: u32,
  balanceAfter: u32,
  offlineSpendAfter: u32,
  terminalId: entityId,
  terminalSeq: u32,
  terminalNonce: bytes(8),
  time: u32,
  billRef,
  serviceCode: u16,
  refCounter: u32,
});
const purse = fc.record({
  balance: u32,
  maxBalance: u32,
  counter: u32,
  offlineSpend: u32,
  offlineLimit: u32,
  cvmLimit: u32,
  currency: fc.constant(0x0404),
  lifeCycle,
  pinTriesLeft: fc.integer({ min: 0, max: 255 }),
});
const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => {
  const n = new TextEncoder().encode(s).length;
  // Lone surrogates are not text: TextEncoder would silently replace them.
  return n >= 1 && n <= 64 && !/\p{Surrogate}/u.test(s);
});
const identity: fc.Arbitrary<HolderIdentity> = fc
  .record(
    {
      idType: fc.constantFrom(...Object.values(IdentityType)),
      hudumaNamba: asciiId,
      idNumber: asciiId,
      name,
      nhifNumber: asciiId,
      nssfNumber: asciiId,
    },
    { requiredKeys: ['idType', 'hudumaNamba', 'idNumber', 'name'] },
  )
  .filter((id) => {
    try {
      encodeIdentity(id);
      return true;
    } catch {
      return false; // longer than the 240-byte template limit
    }
  });
const terminalCert = fc.record({
  type: fc.constant('terminal' as const),
  issuerKeyId: bytes(8),
  terminalId: entityId,
  merchantId: entityId,
  capabilities: u16,
  notBefore: u32,
  notAfter: u32,
  publicKey,
  signature: bytes(64),
});
const cardCert = fc.record({
  type: fc.constant('card' as const),
  issuerKeyId: bytes(8),
  cardNumber,
  notBefore: u32,
  notAfter: u32,
  publicKey,
  signature: bytes(64),
});
const ordered = <T extends { notBefore: number; notAfter: number }>(c: T): T =>
  c.notAfter >= c.notBefore ? c : { ...c, notBefore: c.notAfter, notAfter: c.notBefore };

describe('round trips: decode(encode(x)) = x and encode(decode(b)) = b', () => {
  it('card number', () => {
    prop(cardNumber, (cn) => {
      const b = encodeCardNumber(cn);
      expect(b.length).toBe(8);
      expect(decodeCardNumber(b)).toBe(cn);
    });
  });
  it('entity ids and bill references', () => {
    prop(entityId, (id) => expect(decodeEntityId(encodeEntityId(id))).toBe(id));
    prop(billRef, (ref) => expect(decodeBillRef(encodeBillRef(ref))).toBe(ref));
  });
  it('certificates (card and terminal)', () => {
    prop(fc.oneof(terminalCert, cardCert).map(ordered), (cert) => {
      const b = encodeCertificate(cert);
      expect(b.length).toBe(Size.CERTIFICATE);
      expect(decodeCertificate(b)).toEqual(cert);
      expect(encodeCertificate(decodeCertificate(b))).toEqual(b);
    });
  });
  it('transaction record and proof', () => {
    prop(fc.tuple(record, bytes(64)), ([rec, signature]) => {
      const b = encodeTransactionRecord(rec);
      expect(b.length).toBe(Size.TRANSACTION_RECORD);
      expect(decodeTransactionRecord(b)).toEqual(rec);
      const proof = encodeTransactionProof({ recordBytes: b, signature });
      const decoded = decodeTransactionProof(proof);
      expect(decoded.record).toEqual(rec);
      expect(encodeTransactionProof(decoded)).toEqual(proof);
    });
  });
  it('debit, undebit, identity-read and block bodies', () => {
    const debit = fc.record({
      amount: u32,
      terminalSeq: u32,
      terminalNonce: bytes(8),
      time: u32,
      billRef,
      serviceCode: u16,
    });
    prop(debit, (req) => {
      const b = encodeDebitRequest(req);
      expect(b.length).toBe(Size.DEBIT_BODY);
      expect(decodeDebitRequest(b)).toEqual(req);
    });
    const undebit = fc.record({
      refCounter: u32,
      amount: u32,
      terminalSeq: u32,
      terminalNonce: bytes(8),
      time: u32,
    });
    prop(undebit, (req) => {
      const b = encodeUndebitRequest(req);
      expect(b.length).toBe(Size.UNDEBIT_BODY);
      expect(decodeUndebitRequest(b)).toEqual(req);
    });
    prop(fc.record({ terminalNonce: bytes(8), time: u32 }), (req) => {
      const b = encodeIdentityReadRequest(req);
      expect(b.length).toBe(Size.IDENTITY_BODY);
      expect(decodeIdentityReadRequest(b)).toEqual(req);
    });
    prop(fc.record({ reason: fc.integer({ min: 0, max: 255 }), terminalSeq: u32, time: u32 }), (req) => {
      const b = encodeBlockRequest(req);
      expect(b.length).toBe(Size.BLOCK_BODY);
      expect(decodeBlockRequest(b)).toEqual(req);
    });
  });
  it('authenticated command envelope splits at the right offsets', () => {
    prop(fc.tuple(bytes(165), fc.uint8Array({ maxLength: 60 }), bytes(64)), ([cert, body, sig]) => {
      const data = new Uint8Array([...cert, ...body, ...sig]);
      const split = decodeAuthenticatedCommand(data, body.length);
      expect(split).toEqual({ certificate: cert, body, signature: sig });
    });
  });
  it('load authorization', () => {
    const auth = fc.record({
      keyId: bytes(8),
      cardNumber,
      cardCounter: u32,
      cardChallenge: bytes(16),
      amount: u32,
      time: u32,
      terminalId: entityId,
      terminalSeq: u32,
      terminalNonce: bytes(8),
      loadRef: billRef,
      signature: bytes(64),
    });
    prop(auth, (a) => {
      const b = encodeLoadAuthorization(a);
      expect(b.length).toBe(Size.LOAD_AUTHORIZATION);
      expect(decodeLoadAuthorization(b)).toEqual(a);
    });
  });
  it('recovery request and response', () => {
    prop(fc.record({ terminalId: entityId, terminalSeq: u32, terminalNonce: bytes(8) }), (req) => {
      const b = encodeRecoveryRequest(req);
      expect(b.length).toBe(Size.RECOVERY_REQUEST);
      expect(decodeRecoveryRequest(b)).toEqual(req);
    });
    prop(
      fc.tuple(fc.boolean(), u32, u32, record, bytes(64), bytes(64)),
      ([found, counter, balance, rec, recordSignature, attestation]) => {
        const recordBytes = encodeTransactionRecord(rec);
        const body = encodeRecoveryResponseBody({ found, counter, balance, recordBytes, recordSignature });
        const decoded = decodeRecoveryResponse(new Uint8Array([...body, ...attestation]));
        expect(decoded).toMatchObject({ found, counter, balance, attestation, attestedBytes: body });
        if (found) {
          expect(decoded.record).toEqual(rec);
          expect(decoded.recordSignature).toEqual(recordSignature);
        } else {
          expect(body.subarray(9).every((b) => b === 0)).toBe(true);
        }
      },
    );
  });
  it('purse, purse parameters and the FCI', () => {
    prop(purse, (p) => {
      const b = encodePurse(p);
      expect(b.length).toBe(Size.PURSE);
      expect(decodePurse(b)).toEqual(p);
    });
    prop(fc.record({ maxBalance: u32, offlineLimit: u32, cvmLimit: u32 }), (p) => {
      expect(decodePurseParameters(encodePurseParameters(p))).toEqual(p);
    });
    prop(
      fc.record({
        version: fc.integer({ min: 0, max: 255 }),
        lifeCycle,
        cardNumber: fc.option(cardNumber, { nil: undefined }),
        challenge: bytes(16),
        purse,
      }),
      (fci) => {
        const expected = fci.cardNumber === undefined ? (({ cardNumber: _, ...rest }) => rest)(fci) : fci;
        expect(decodeSelectResponse(encodeSelectResponse(fci))).toEqual(expected);
      },
    );
  });
  it('identity, including UTF-8 names', () => {
    prop(identity, (id) => {
      const b = encodeIdentity(id);
      expect(b.length).toBeLessThanOrEqual(240);
      expect(decodeIdentity(b)).toEqual(id);
    });
    for (const n of ['Wanjiru Müller', "Ng'ang'a Kamau", 'Ολυμπία', '李小龍', 'Amina 👩🏾‍⚕️']) {
      const id = { idType: IdentityType.ALIEN_ID, hudumaNamba: 'HN-1', idNumber: 'A123', name: n } as const;
      expect(decodeIdentity(encodeIdentity(id)).name).toBe(n);
    }
    // Overlong names (65 bytes of UTF-8) and invalid UTF-8 are refused.
    expect(() =>
      encodeIdentity({ idType: 1, hudumaNamba: 'H', idNumber: 'I', name: 'é'.repeat(32) + 'x' }),
    ).toThrow(SpecCodecError);
    const bad = encodeIdentity({ idType: 1, hudumaNamba: 'H', idNumber: 'I', name: 'ab' });
    bad[bad.length - 1] = 0xff; // the name's last byte
    expect(() => decodeIdentity(bad)).toThrow(/UTF-8/);
  });
  it('PIN blocks and trusted keys', () => {
    prop(fc.stringMatching(/^\d{4,8}$/), (pin) => expect(isValidPinBlock(encodePinBlock(pin))).toBe(true));
    prop(fc.stringMatching(/^\d{8}$/), (puk) =>
      expect(isValidPinBlock(encodePinBlock(puk, 'PUK'), 'PUK')).toBe(true),
    );
    expect(() => encodePinBlock('123')).toThrow(SpecCodecError);
    expect(() => encodePinBlock('1234567')).not.toThrow();
    expect(() => encodePinBlock('1234567', 'PUK')).toThrow(SpecCodecError);
    expect(isValidPinBlock(fromHex('31323334ff31ffff'))).toBe(false);
    prop(
      fc.tuple(fc.constantFrom(KeyUsage.TERMINAL_CA, KeyUsage.LOAD_AUTHORITY), publicKey),
      ([usage, pk]) => {
        const b = encodeTrustedKey({ usage, publicKey: pk });
        expect(decodeTrustedKey(b)).toEqual({ usage, keyId: keyIdOf(pk), publicKey: pk });
      },
      200,
    );
  });
  it('simple TLV', () => {
    prop(
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 0xfe }).filter((t) => (t & 0x1f) !== 0x1f),
          fc.uint8Array({ maxLength: 255 }),
        ),
        { maxLength: 4 },
      ),
      (items) => {
        const encoded = new Uint8Array(items.flatMap(([t, value]) => [...tlv(t, value)]));
        expect(parseSimpleTlv(encoded, 'test')).toEqual(items);
      },
    );
  });
});

describe('card number', () => {
  it('Luhn: a valid number becomes invalid when any one digit changes', () => {
    prop(
      fc.tuple(cardNumber, fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 9 })),
      ([cn, pos, delta]) => {
        const changed = cn.slice(0, pos) + String((Number(cn[pos]) + delta) % 10) + cn.slice(pos + 1);
        expect(isValidCardNumber(changed)).toBe(false);
      },
    );
  });
  it('known values', () => {
    expect(isValidCardNumber('4111111111111111')).toBe(true);
    expect(isValidCardNumber('4111111111111112')).toBe(false);
    expect(cardNumberFromAccount('00012345678')).toBe('8404000123456787');
    expect(formatCardNumber('8404000123456787')).toBe('8404 0001 2345 6787');
    expect(maskCardNumber('8404000123456787')).toBe('**** **** **** 6787');
    expect(() => decodeCardNumber(fromHex('840400012345678a'))).toThrow(/not BCD/);
    expect(() => decodeCardNumber(fromHex('8404000123456788'))).toThrow(/check digit/);
  });
});

describe('no input crashes a decoder: random bytes give a value or a SpecCodecError, never another exception', () => {
  const decoders: Array<[string, (b: Uint8Array) => unknown, number]> = [
    ['card number', decodeCardNumber, 8],
    ['certificate', decodeCertificate, Size.CERTIFICATE],
    ['debit request', decodeDebitRequest, Size.DEBIT_BODY],
    ['undebit request', decodeUndebitRequest, Size.UNDEBIT_BODY],
    ['identity read request', decodeIdentityReadRequest, Size.IDENTITY_BODY],
    ['block request', decodeBlockRequest, Size.BLOCK_BODY],
    ['transaction record', decodeTransactionRecord, Size.TRANSACTION_RECORD],
    ['transaction proof', decodeTransactionProof, Size.TRANSACTION_PROOF],
    ['load authorization', decodeLoadAuthorization, Size.LOAD_AUTHORIZATION],
    ['recovery request', decodeRecoveryRequest, Size.RECOVERY_REQUEST],
    ['recovery response', decodeRecoveryResponse, Size.RECOVERY_RESPONSE],
    ['purse', decodePurse, Size.PURSE],
    ['purse parameters', decodePurseParameters, Size.PURSE_PARAMETERS],
    ['FCI', decodeSelectResponse, 81],
    ['identity', decodeIdentity, 80],
    ['trusted key', decodeTrustedKey, Size.TRUSTED_KEY],
    ['simple TLV', (b) => parseSimpleTlv(b, 'fuzz'), 40],
    ['entity id', (b) => decodeEntityId(b), 8],
    ['bill reference', (b) => decodeBillRef(b), 16],
    ['authenticated envelope', (b) => decodeAuthenticatedCommand(b, 38), 267],
  ];
  const onlySpecErrors = (decode: (b: Uint8Array) => unknown) => (b: Uint8Array) => {
    try {
      decode(b);
    } catch (e) {
      if (!(e instanceof SpecCodecError)) throw e;
      expect(typeof e.code).toBe('string');
    }
  };
  it.each(decoders)('%s', (_name, decode, size) => {
    // Any length, the exact length (reaches the field checks), and its neighbours.
    prop(fc.uint8Array({ maxLength: 300 }), onlySpecErrors(decode));
    prop(fc.uint8Array({ minLength: size, maxLength: size }), onlySpecErrors(decode));
    prop(
      fc.uint8Array({ minLength: Math.max(0, size - 1), maxLength: size + 1 }),
      onlySpecErrors(decode),
      500,
    );
  });
  it('mutations of valid encodings (single byte changes) decode or fail cleanly', () => {
    const fci = encodeSelectResponse({
      version: 1,
      lifeCycle: LifeCycle.ACTIVE,
      cardNumber: '8404000123456787',
      challenge: new Uint8Array(16),
      purse: {
        balance: 1,
        maxBalance: 2,
        counter: 3,
        offlineSpend: 4,
        offlineLimit: 5,
        cvmLimit: 6,
        currency: 0x0404,
        lifeCycle: LifeCycle.ACTIVE,
        pinTriesLeft: 3,
      },
    });
    const id = encodeIdentity({
      idType: 1,
      hudumaNamba: 'HN',
      idNumber: '123',
      name: 'Müller',
      nhifNumber: 'N',
    });
    const cert = encodeCertificate({
      type: 'terminal',
      issuerKeyId: new Uint8Array(8),
      terminalId: 'T1',
      merchantId: 'M1',
      capabilities: Capability.DEBIT,
      notBefore: 0,
      notAfter: 1,
      publicKey: KEYS[0]!,
      signature: new Uint8Array(64),
    });
    for (const [decode, valid] of [
      [decodeSelectResponse, fci],
      [decodeIdentity, id],
      [decodeCertificate, cert],
    ] as const) {
      prop(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), ([at, value]) => {
        const mutated = valid.slice();
        mutated[at] = value;
        onlySpecErrors(decode as (b: Uint8Array) => unknown)(mutated);
      });
    }
  });
  it('fromHex rejects bad input with SpecCodecError', () => {
    prop(fc.string({ maxLength: 20 }), (s) => {
      try {
        const b = fromHex(s);
        expect(toHex(b)).toBe(s.replace(/\s+/g, '').toLowerCase());
      } catch (e) {
        expect(e).toBeInstanceOf(SpecCodecError);
      }
    });
  });
});
