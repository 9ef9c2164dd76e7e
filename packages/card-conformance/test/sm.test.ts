/**
 * The suite's independent §4.6–4.7 implementation and byte layouts, pinned to the worked example
 * of SPEC §15 (computed there by an independent script): if these fail, the suite would judge
 * cards by wrong keys.
 */

import * as spec from '@huduma/card-applet-spec';
import { concatBytes, fromHex, publicKeyOf, sha256, toHex, vectorPrivateKey } from '@huduma/card-applet-spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cmac, ecdh, extract, linkKey, protectCommand, sessionKeys, unprotectResponse } from '../src/sm';
import {
  billRef,
  certId,
  decodeFci,
  decodeOutcome,
  decodeRecord,
  encodeDebitRequest,
  encodeLoadAuthorization,
  encodeUndebitRequest,
  verifyProof,
} from '../src/wire';

const hex = (b: Uint8Array) => toHex(b).toUpperCase();
const CERT = fromHex(
  '0202 04003E101CEA1BCD 54524D2D30303031 45434954495A454E 000B 67748580 6B36EC80' +
    '04E6381191F7C6F591C5A7A091CE15C0AF4BD929FA21FA19366FF19EB1C08BB4' +
    '6ACE537252FAA47829B4304A259F2B36FD60A0A12C45E76628952E6483CF273FA4' +
    '938CF0FE411F2FE0E224FCC644A4D7EB7041CD3E7F38F9A569056AE686CA96B1' +
    '4E4DC5A52B4716862B2B42789CC9068F5D28DA7F7074E49568D4C650170B9EC1',
);
const KA_CARD = fromHex('E93FA5381D1A52E4033076AF4D9C6DD188745BFF1B800C076DEC67870EF7936C');
const CARD_NUMBER = fromHex('8404000123456787');
const RND_C = fromHex('2054AA22C5674816C296ED696AC43A1A');
const RND_T = sha256(new TextEncoder().encode('huduma-v2-vector:rnd-t')).slice(0, 16);

describe('SPEC §15 worked example, recomputed by the suite', () => {
  it('AES-CMAC matches RFC 4493', () => {
    const k = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
    expect(hex(cmac(k, new Uint8Array()))).toBe('BB1D6929E95937287FA37D129B756746');
    expect(hex(cmac(k, fromHex('6bc1bee22e409f96e93d7e117393172a')))).toBe(
      '070A16B46B4D4144F79BDD9DD04A287C',
    );
  });

  it('termCertId, K.link, session keys, card cryptogram, C-MAC and R-MAC', () => {
    expect(hex(certId(CERT))).toBe('3B55F825F828E876');
    const qt = CERT.slice(36, 101);
    expect(hex(publicKeyOf(KA_CARD))).toBe(
      '045665DF3591986387DBC276111DA08968ED7B6CAF05709F8CD85C07F17B6651761F0E654BC9839020DE6D22BDFA08FE42195165CF1374359CB131DF85DADBBD97',
    );
    const zs = ecdh(KA_CARD, qt, 0);
    expect(hex(zs)).toBe('44E17EAA0D392BD31E9B1CA1C93EE542CFB9C8A7E528DAC086CBE281764BFF10');
    const kLink = linkKey(zs, CARD_NUMBER, certId(CERT));
    expect(hex(kLink)).toBe('9B2E9FE650D3CB079CF5D31564C7CC26');
    expect(hex(RND_T)).toBe('239281EA2D58E154A3A52C7B3E42941B');
    const { keys, cryptogram } = sessionKeys(kLink, RND_C, RND_T, 0);
    expect(hex(keys.mac)).toBe('E0545033BBED08DD00320B00AF8ECE5C');
    expect(hex(keys.rmac)).toBe('22B67E59BBBF769E2AEE74D7F48B09BC');
    expect(keys.enc).toBeUndefined();
    expect(hex(cryptogram)).toBe('760BDC5B21C9D920');

    const request = encodeDebitRequest({
      expectedCounter: 1,
      amount: 15000,
      terminalSeq: 42,
      terminalNonce: fromHex('8309A1D5F11BC296'),
      time: 0x684ee3d8,
      billRef: billRef('ECZ-2025-000123'),
      serviceCode: 0x0101,
    });
    const data = protectCommand(keys, 1, { cla: 0x8c, ins: 0x54, p1: 0, p2: 0 }, request, false);
    expect(hex(data.subarray(44))).toBe('51C897E82ECD966B');

    const body = fromHex(
      '01 9000 00000002 00000001' +
        '01 00000002 00003A98 0404 000088B8 00003A98 54524D2D30303031 0000002A' +
        '8309A1D5F11BC296 684EE3D8 45435A2D323032352D30303031323300 0101 00000000 00' +
        'DFF68805540BB33F222AAE5D730363A140D2C638296849B3F3DA63374C8420C5' +
        '6941FF30B1A42BF812F07A4953C5B8B6757CA80403D6AB85C5094D4BD5C7BD1E',
    );
    const r = unprotectResponse(
      keys,
      1,
      concatBytes(fromHex('9000'), body, fromHex('7B13BD1CC626B41D')),
      false,
    );
    expect(r.rmacValid).toBe(true);
    expect(r.innerSw).toBe(0x9000);
    const outcome = decodeOutcome(r.payload);
    expect(outcome).toMatchObject({ outcome: 1, reason: 0x9000, counter: 2, syncedThrough: 1 });
    const rec = decodeRecord(outcome.proof!.subarray(0, 66));
    expect(rec).toMatchObject({
      type: 1,
      counter: 2,
      amount: 15000,
      balanceAfter: 35000,
      terminalId: 'TRM-0001',
      cvm: 0,
    });
    const pkCard = publicKeyOf(vectorPrivateKey('huduma-v1-vector:card'));
    expect(verifyProof(CARD_NUMBER, outcome.proof!, pkCard)).toBe(true);
    const tampered = outcome.proof!.slice();
    tampered[5]! ^= 1;
    expect(verifyProof(CARD_NUMBER, tampered, pkCard)).toBe(false);
  });

  it('decodes the §15 FCI', () => {
    const fci = decodeFci(
      fromHex(
        '6F5E 840B F0485544554D4150415902 A54F C00102 C10102 C2088404000123456787 C3102054AA22C5674816C296ED696AC43A1A' +
          'C428 0000C350 00989680 00000001 00000001 00000000 001E8480 0007A120 00000000 000F4240 0404 02 03 C50100',
      ),
    );
    expect(fci).toMatchObject({ version: 2, state: 2, profile: 0 });
    expect(fci.purse).toMatchObject({
      balance: 50000,
      counter: 1,
      syncedThrough: 1,
      noCvmLimit: 1_000_000,
      pinStatus: 3,
    });
    expect(hex(fci.challenge)).toBe(hex(RND_C));
  });
});

describe("the suite's SM agrees with the spec package's (randomised; the seed is printed on failure)", () => {
  const seed = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  it(`wrapped commands, responses and session keys are byte-identical (seed ${seed})`, () => {
    fc.assert(
      fc.property(
        bytes(16),
        bytes(16),
        bytes(16),
        fc.constantFrom(0, 1),
        fc.integer({ min: 1, max: 0xffffff }),
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(0x8c, 0x0c, 0x9c),
        fc.boolean(),
        (link, rndC, rndT, type, ssc, payload, cla, enc) => {
          const ze = link.slice().reverse();
          const mine = sessionKeys(type ? extract(link, ze) : link, rndC, rndT, type).keys;
          const theirs = spec.deriveSessionKeys({
            linkKey: link,
            type: type as 0 | 1,
            rndC,
            rndT,
            ...(type ? { ze } : {}),
          });
          expect(hex(mine.mac)).toBe(hex(theirs.mac));
          expect(hex(mine.rmac)).toBe(hex(theirs.rmac));
          expect(mine.enc && hex(mine.enc)).toBe(theirs.enc && hex(theirs.enc));
          const encrypt = enc && type === 1;
          const header = { cla, ins: 0x54, p1: 0, p2: 0x81 };
          expect(hex(protectCommand(mine, ssc, header, payload, encrypt))).toBe(
            hex(spec.wrapCommand(theirs, ssc, header, payload, encrypt)),
          );
          const resp = spec.wrapResponse(theirs, ssc, 0x9000, payload, encrypt);
          const back = unprotectResponse(mine, ssc, resp, encrypt);
          expect(back.rmacValid).toBe(true);
          expect(hex(back.payload)).toBe(hex(payload));
        },
      ),
      { seed, numRuns: 200 },
    );
  });
});

describe("the suite's byte layouts agree with the spec package's codecs (randomised)", () => {
  const seed = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const nonce = fc.uint8Array({ minLength: 8, maxLength: 8 });
  const ref = fc.stringMatching(/^[ -~]{0,16}$/);
  const id = fc.stringMatching(/^[A-Z0-9-]{1,8}$/);
  it(`DEBIT, UNDEBIT and load authorization bodies are byte-identical (seed ${seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(
        u32,
        u32,
        u32,
        u32,
        nonce,
        ref,
        fc.integer({ min: 0, max: 0xffff }),
        id,
        async (c, amount, seq, time, n, text, service, terminalId) => {
          const req = {
            expectedCounter: c,
            amount,
            currency: 0x0404,
            terminalSeq: seq,
            terminalNonce: n,
            time,
            serviceCode: service,
          };
          expect(hex(encodeDebitRequest({ ...req, billRef: billRef(text) }))).toBe(
            hex(spec.encodeDebitRequest({ ...req, billRef: text })),
          );
          const un = { refCounter: c, amount, currency: 0x0404, terminalSeq: seq, terminalNonce: n, time };
          expect(hex(encodeUndebitRequest(un))).toBe(hex(spec.encodeUndebitRequest(un)));
          const keyId = sha256(n).slice(0, 8);
          const challenge = sha256(keyId).slice(0, 16);
          const mine = await encodeLoadAuthorization(
            {
              keyId,
              cardNumber: CARD_NUMBER,
              counter: c,
              challenge,
              amount,
              currency: 0x0404,
              time,
              terminalId,
              terminalSeq: seq,
              terminalNonce: n,
              loadRef: billRef(text),
            },
            async () => new Uint8Array(64),
          );
          const theirs = spec.encodeLoadAuthorizationBody({
            keyId,
            cardNumber: '8404000123456787',
            cardCounter: c,
            cardChallenge: challenge,
            amount,
            currency: 0x0404,
            time,
            terminalId,
            terminalSeq: seq,
            terminalNonce: n,
            loadRef: text,
          });
          expect(hex(mine.subarray(0, 82))).toBe(hex(theirs));
        },
      ),
      { seed, numRuns: 100 },
    );
  });
});
