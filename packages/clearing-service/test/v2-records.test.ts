/**
 * What the record verifier accepts from a v2 terminal log, and the v1-shaped or malformed card
 * material it refuses (no database: the verifier is pure).
 */
import {
  CURRENCY_KES,
  certificateSigningMessage,
  concatBytes,
  encodeCertificateBody,
} from '@huduma/card-applet-spec';
import { decodeRecord } from '@huduma/txlog';
import { describe, expect, it } from 'vitest';
import { CardProofRecordVerifier } from '../src/record-verifier';
import { TrustStore } from '../src/trust';
import { cardNumberFor, TestPki } from './fixtures';

describe('v2 card proofs in uploaded records', () => {
  const pki = new TestPki();
  const verifier = new CardProofRecordVerifier(new TrustStore(pki.trust));

  function saleWith(patch: { cardProof?: Uint8Array; cardCertificate?: Uint8Array }, pin = false) {
    const card = pki.card(cardNumberFor(900));
    const t = pki.terminal('V2-T1');
    const { bytes } = t.sale(card, 12_34);
    const record = decodeRecord(bytes) as Extract<ReturnType<typeof decodeRecord>, { type: 'sale' }>;
    if (pin) {
      // Re-sign the same sale as a PIN-verified one.
      card.counter -= 1;
      card.balance += 12_34;
      card.offlineSpend -= 12_34;
      record.cardProof = card.transact({
        type: 1,
        amount: 12_34,
        terminalId: 'V2-T1',
        terminalSeq: record.terminalSeq,
        time: Math.floor(record.time / 1000),
        billRef: record.billRef,
        serviceCode: 1001,
        pin: true,
      });
    }
    const t2 = pki.terminal('V2-T1');
    const { bytes: raw } = t2.append({ ...record, ...patch } as Parameters<typeof t2.append>[0]);
    return { verdict: verifier.verifyRecord('V2-T1', raw), card };
  }

  it('accepts a v2 sale: signed currency and cvm are read from the 66-byte record', () => {
    const plain = saleWith({});
    expect(plain.verdict.ok).toBe(true);
    if (!plain.verdict.ok) return;
    expect(plain.verdict.record.card).toMatchObject({
      currency: CURRENCY_KES,
      pinVerified: false,
      amountCents: 12_34,
      counter: 1,
    });
    const pin = saleWith({}, true);
    expect(pin.verdict.ok && pin.verdict.record.card?.pinVerified).toBe(true);
  });

  it('refuses a v1-sized proof (127 bytes) and a proof cut or padded by a byte', () => {
    const { card } = saleWith({});
    for (const len of [127, 129, 131]) {
      const { verdict } = saleWith({ cardProof: new Uint8Array(len), cardCertificate: card.certificate });
      expect(verdict).toMatchObject({ ok: false, code: 'ERR_CARD_PROOF_FORMAT' });
    }
  });

  it('refuses card certificates that are not a v2 card certificate of a trusted issuer', () => {
    const terminal = pki.terminal('V2-T9');
    const v1Sized = new Uint8Array(165);
    // A card certificate whose QA.card is not a P-256 point, correctly signed by the issuer CA.
    const card = pki.card(cardNumberFor(901));
    const body = encodeCertificateBody({
      type: 'card',
      issuerKeyId: pki.issuerCa.keyId,
      cardNumber: card.cardNumber,
      notBefore: 0,
      notAfter: 2_000_000_000,
      signingKey: card.key.publicKey,
      keyAgreementKey: card.key.publicKey,
    });
    const offCurve = body.slice();
    offCurve[body.length - 1]! ^= 0x01; // last byte of QA.card's y
    const badKey = concatBytes(offCurve, pki.issuerCa.sign(certificateSigningMessage(offCurve)));
    for (const [cert, why] of [
      [v1Sized, /version/],
      [terminal.certificate, /not a card certificate/],
      [badKey, /QA\.card/],
    ] as const) {
      const { verdict } = saleWith({ cardCertificate: cert });
      expect(verdict).toMatchObject({ ok: false, code: 'ERR_CARD_CERT_INVALID' });
      expect(!verdict.ok && verdict.message).toMatch(why);
    }
  });
});
