import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Capability,
  certificateIdOf,
  cmac,
  decodeCertificate,
  decodeDebitRequest,
  decodeGetTransactionResponse,
  decodeIdentity,
  decodeInitializePersoResponse,
  decodeLoadAuthorization,
  decodePurse,
  decodePurseParameters,
  decodeSelectResponse,
  decodeTransactionRecord,
  decodeTrustedKey,
  decodeUndebitRequest,
  decodeValueResponse,
  derivePersoSessionKeys,
  encodeCertificate,
  encodeDebitRequest,
  encodeLoadAuthorization,
  encodePurse,
  encodeTransactionRecord,
  fromHex,
  hostCryptogram,
  Outcome,
  publicKeyOf,
  SessionType,
  TransactionStatus,
  toHex,
  unwrapCommand,
  unwrapResponse,
  verifyCertificateBytes,
  verifyLoadAuthorizationBytes,
  verifyMessage,
  verifyRecoveryAttestation,
  verifyTransactionProof,
} from '../src/index';
import { VECTORS_PATH, type VectorsV2, vectorsJson } from '../vectors/generate';

const v = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as VectorsV2;
const specPath = new URL('../SPEC.md', import.meta.url);
/** The spec text with all whitespace removed, upper-case: hex values split over lines still match. */
const specHex = readFileSync(specPath, 'utf8').replace(/\s+/g, '').toUpperCase();

describe('vectors/v2.json', () => {
  it('is what vectors/generate.ts produces (regenerate after a codec change)', () => {
    expect(readFileSync(VECTORS_PATH, 'utf8')).toBe(vectorsJson());
  });
});

// Every value of §15, copied from the spec text; each is also asserted to appear in the spec so
// the spec, these literals and the code cannot drift apart (§14: the vectors reproduce §15).
const EXAMPLE = {
  termCertId: '3B55F825F828E876',
  qaCard:
    '045665DF3591986387DBC276111DA08968ED7B6CAF05709F8CD85C07F17B6651761F0E654BC9839020DE6D22BDFA08FE42195165CF1374359CB131DF85DADBBD97',
  kaCard: 'E93FA5381D1A52E4033076AF4D9C6DD188745BFF1B800C076DEC67870EF7936C',
  zs: '44E17EAA0D392BD31E9B1CA1C93EE542CFB9C8A7E528DAC086CBE281764BFF10',
  prkLink: '6F4986F1B1D29D7D44C9921C67CE30E6',
  kLink: '9B2E9FE650D3CB079CF5D31564C7CC26',
  rndT: '239281EA2D58E154A3A52C7B3E42941B',
  sMac: 'E0545033BBED08DD00320B00AF8ECE5C',
  sRmac: '22B67E59BBBF769E2AEE74D7F48B09BC',
  cardCryptogram: '760BDC5B21C9D920',
  debitRequest: '0000000100003A9804040000002A8309A1D5F11BC296684EE3D845435A2D323032352D303030313233000101',
  cmac: '51C897E82ECD966B',
  record:
    '010000000200003A980404000088B800003A9854524D2D303030310000002A8309A1D5F11BC296684EE3D845435A2D323032352D303030313233000101000000000',
  signature:
    'DFF68805540BB33F222AAE5D730363A140D2C638296849B3F3DA63374C8420C56941FF30B1A42BF812F07A4953C5B8B6757CA80403D6AB85C5094D4BD5C7BD1E',
  rmac: '7B13BD1CC626B41D',
  fci: '6F5E840BF0485544554D4150415902A54FC00102C10102C2088404000123456787C3102054AA22C5674816C296ED696AC43A1AC4280000C35000989680000000010000000100000000001E84800007A12000000000000F424004040203C50100',
} as const;

describe('§15 worked example, byte by byte', () => {
  const ex = v.example;
  it('every literal appears in the spec text', () => {
    // (the record and the FCI are printed with annotations between their fields: their literals
    // were transcribed from those listings)
    for (const [name, value] of Object.entries(EXAMPLE).filter(([n]) => n !== 'record' && n !== 'fci')) {
      // the signature is printed in two 32-byte lines with annotations between them
      const parts = name === 'signature' ? [value.slice(0, 64), value.slice(64)] : [value];
      for (const part of parts) expect(specHex.includes(part), `${name} not in spec`).toBe(true);
    }
  });
  it('registration: termCertId, QA.card, Z.s, PRK.link, K.link', () => {
    expect(ex.registration.termCertId).toBe(EXAMPLE.termCertId.toLowerCase());
    expect(v.keys.cardKeyAgreement.privateKey).toBe(EXAMPLE.kaCard.toLowerCase());
    expect(ex.registration.qaCard).toBe(EXAMPLE.qaCard.toLowerCase());
    expect(ex.registration.zs).toBe(EXAMPLE.zs.toLowerCase());
    expect(ex.registration.prkLink).toBe(EXAMPLE.prkLink.toLowerCase());
    expect(ex.registration.kLink).toBe(EXAMPLE.kLink.toLowerCase());
    expect(specHex).toContain(v.certificates.terminal.hex.slice(0, 72).toUpperCase());
  });
  it('SELECT: the 96-byte FCI', () => {
    expect(ex.select.fci).toBe(EXAMPLE.fci.toLowerCase());
    const fci = decodeSelectResponse(fromHex(ex.select.fci));
    expect(fci.purse.counter).toBe(1);
    expect(fci.purse.syncedThrough).toBe(1);
    expect(fci.cryptoProfile).toBe(0);
    expect(fromHex(ex.select.fci).length).toBe(96);
  });
  it('OPEN SESSION (TAP): S.MAC, S.RMAC, card cryptogram', () => {
    expect(ex.openSession.rndT).toBe(EXAMPLE.rndT.toLowerCase());
    expect(ex.openSession.sMac).toBe(EXAMPLE.sMac.toLowerCase());
    expect(ex.openSession.sRmac).toBe(EXAMPLE.sRmac.toLowerCase());
    expect(ex.openSession.cardCryptogram).toBe(EXAMPLE.cardCryptogram.toLowerCase());
  });
  it('DEBIT: request, C-MAC, record, signature, R-MAC', () => {
    expect(ex.debit.request).toBe(EXAMPLE.debitRequest.toLowerCase());
    expect(ex.debit.cmac).toBe(EXAMPLE.cmac.toLowerCase());
    expect(`${ex.debit.recordHex}`.startsWith(EXAMPLE.record.toLowerCase())).toBe(true);
    expect(ex.debit.recordHex.length).toBe(132);
    expect(ex.debit.signature).toBe(EXAMPLE.signature.toLowerCase());
    expect(ex.debit.rmac).toBe(EXAMPLE.rmac.toLowerCase());
  });
  it('the card side accepts the C-MAC and the terminal side the R-MAC', () => {
    const keys = { mac: fromHex(ex.openSession.sMac), rmac: fromHex(ex.openSession.sRmac) };
    const apdu = fromHex(ex.debit.apdu);
    const data = apdu.subarray(5, 5 + apdu[4]!);
    const card = unwrapCommand(keys, 1, { cla: apdu[0]!, ins: apdu[1]!, p1: 0, p2: 0 }, data, false);
    expect(card.ok && toHex(card.payload)).toBe(ex.debit.request);
    const { sw, payload } = unwrapResponse(keys, 1, fromHex(ex.debit.responseData), false);
    expect(sw).toBe(0x9000);
    const outcome = decodeValueResponse(payload);
    expect(outcome.outcome).toBe(Outcome.EXECUTED);
    if (outcome.outcome !== Outcome.EXECUTED) return;
    expect(outcome.counter).toBe(2);
    const cardPub = fromHex(v.keys.card.publicKey);
    expect(verifyTransactionProof('8404000123456787', outcome.proof, cardPub)).toBe(true);
  });
});

describe('structures decode and re-encode byte for byte', () => {
  it('certificates verify with their CA and round-trip', () => {
    for (const [hex, ca] of [
      [v.certificates.card.hex, v.keys.issuerCa.publicKey],
      [v.certificates.terminal.hex, v.keys.terminalCa.publicKey],
    ] as const) {
      const bytes = fromHex(hex);
      const cert = verifyCertificateBytes(bytes, fromHex(ca));
      expect(cert).toBeDefined();
      expect(toHex(encodeCertificate(decodeCertificate(bytes)))).toBe(hex);
      expect(verifyCertificateBytes(bytes, fromHex(v.keys.loadAuthority.publicKey))).toBeUndefined();
    }
    expect(toHex(certificateIdOf(fromHex(v.certificates.terminal.hex)))).toBe(
      v.example.registration.termCertId,
    );
  });
  it('records, purse, requests, load authorization round-trip', () => {
    const rec = decodeTransactionRecord(fromHex(v.example.debit.recordHex));
    expect(rec.currency).toBe(0x0404);
    expect(rec.cvm).toBe(0);
    expect(toHex(encodeTransactionRecord(rec))).toBe(v.example.debit.recordHex);
    expect(toHex(encodePurse(decodePurse(fromHex(v.purse))))).toBe(v.purse);
    expect(toHex(encodeDebitRequest(decodeDebitRequest(fromHex(v.example.debit.request))))).toBe(
      v.example.debit.request,
    );
    expect(decodeUndebitRequest(fromHex(v.undebit.request)).refCounter).toBe(2);
    const auth = fromHex(v.reload.authorization);
    expect(auth.length).toBe(146);
    expect(toHex(encodeLoadAuthorization(decodeLoadAuthorization(auth)))).toBe(v.reload.authorization);
    expect(verifyLoadAuthorizationBytes(auth, fromHex(v.keys.loadAuthority.publicKey))).toBe(true);
    expect(
      verifyTransactionProof(
        '8404000123456787',
        { recordBytes: fromHex(v.reload.recordHex), signature: fromHex(v.reload.signature) },
        fromHex(v.keys.card.publicKey),
      ),
    ).toBe(true);
    for (const k of v.personalization.trustedKeys) expect(decodeTrustedKey(fromHex(k)).keyId.length).toBe(8);
    expect(decodeIdentity(fromHex(v.personalization.identity)).name).toBe('Wanjiru Njoroge Müller');
  });
  it('GET TRANSACTION answer is FOUND with a valid attestation', () => {
    const r = decodeGetTransactionResponse(fromHex(v.getTransaction.response));
    expect(r.status).toBe(TransactionStatus.FOUND);
    expect(toHex(r.recordBytes!)).toBe(v.example.debit.recordHex);
    expect(
      verifyRecoveryAttestation(
        '8404000123456787',
        fromHex(v.getTransaction.request),
        r,
        fromHex(v.keys.card.publicKey),
      ),
    ).toBe(true);
    const tampered = fromHex(v.getTransaction.response);
    tampered[9]! ^= 1;
    expect(
      verifyRecoveryAttestation(
        '8404000123456787',
        fromHex(v.getTransaction.request),
        decodeGetTransactionResponse(tampered),
        fromHex(v.keys.card.publicKey),
      ),
    ).toBe(false);
  });
});

describe('personalization vectors (§7)', () => {
  const p = v.personalization;
  it('the host verifies the card cryptogram and the card the host cryptogram', () => {
    const resp = decodeInitializePersoResponse(fromHex(p.initializePerso.response));
    expect(toHex(resp.chipSerial)).toBe(p.chipSerial.toLowerCase());
    const keys = derivePersoSessionKeys({
      persoEncKey: fromHex(p.persoEncKey),
      persoMacKey: fromHex(p.persoMacKey),
      rndC: resp.rndC,
      rndH: fromHex(p.initializePerso.rndH),
    });
    expect(toHex(keys.mac)).toBe(p.initializePerso.sMac);
    expect(toHex(hostCryptogram(keys, fromHex(p.initializePerso.rndH), resp.rndC))).toBe(
      p.externalAuthenticate.hostCryptogram,
    );
    const apdu = fromHex(p.storePurseParameters.apdu);
    const out = unwrapCommand(
      keys,
      2,
      { cla: apdu[0]!, ins: apdu[1]!, p1: apdu[2]!, p2: 0 },
      apdu.subarray(5, 5 + apdu[4]!),
      true,
    );
    expect(out.ok && decodePurseParameters(out.payload).noCvmLimit).toBe(1_000_000);
    expect(SessionType.PERSO).toBe(2);
  });
  it('key attestations: attSig under PK.card, attMac under K.att', () => {
    const pk = fromHex(v.keys.card.publicKey);
    for (const a of [p.keyAttestation.signing, p.keyAttestation.keyAgreement]) {
      expect(fromHex(a.message).length).toBe(106);
      expect(verifyMessage(pk, fromHex(a.message), fromHex(a.attSig))).toBe(true);
      expect(toHex(cmac(fromHex(p.attestationKey), fromHex(a.message)))).toBe(a.attMac);
    }
    expect(toHex(publicKeyOf(fromHex(v.keys.cardKeyAgreement.privateKey)))).toBe(
      v.keys.cardKeyAgreement.publicKey,
    );
  });
});

describe('refusals of the codecs (§5, §6.8)', () => {
  const term = fromHex(v.certificates.terminal.hex);
  const ca = fromHex(v.keys.terminalCa.publicKey);
  it('a version-01 certificate, undefined capability bits or notAfter < notBefore do not decode', () => {
    const v1 = term.slice();
    v1[0] = 0x01;
    expect(() => decodeCertificate(v1)).toThrow(/version/);
    const caps = term.slice();
    caps[26] = 0x00;
    caps[27] = 0x40;
    expect(() => decodeCertificate(caps)).toThrow(/capability/);
    const validity = term.slice();
    validity.set([0xff, 0xff, 0xff, 0xff], 28);
    expect(() => decodeCertificate(validity)).toThrow(/notAfter/);
    expect(verifyCertificateBytes(caps, ca)).toBeUndefined();
  });
  it('capabilities raised after signing fail verification', () => {
    const raised = term.slice();
    raised[27]! |= Capability.BLOCK;
    expect(verifyCertificateBytes(raised, ca)).toBeUndefined();
  });
  it('a debit request with a non-BCD currency or a non-printable bill byte does not decode', () => {
    const req = fromHex(v.example.debit.request);
    const cur = req.slice();
    cur[9] = 0x0a;
    expect(() => decodeDebitRequest(cur)).toThrow(/BCD/);
    const bill = req.slice();
    bill[27] = 0x07;
    expect(() => decodeDebitRequest(bill)).toThrow();
    const gap = req.slice();
    gap[26 + 10] = 0x00; // "ECZ-2025-0" 00 "123" 00: a non-00 byte after the padding started
    expect(() => decodeDebitRequest(gap)).toThrow();
  });
  it('a purse reporting state 04 (v1 TERMINATED) does not decode', () => {
    const p = fromHex(v.purse);
    p[38] = 0x04;
    expect(() => decodePurse(p)).toThrow(/life-cycle/);
  });
});
