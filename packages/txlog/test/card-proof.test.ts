/**
 * cardProofVerifier on applet v2 proofs: the 130-byte proof verifies with the certificate's
 * signing key PK.card, never with its key-agreement key, and only a 230-byte card certificate
 * chained to a trusted issuer CA is accepted.
 */
import { describe, expect, it } from 'vitest';
import { cardProofVerifier, decodeRecord, encodeRecord, type SaleEvent } from '../src/index';
import { CARD_AGREEMENT_KEY, provenSale, TEST_ISSUER_CA_PUBLIC_KEY } from './fixtures';

const verifier = cardProofVerifier({ issuerCaPublicKeys: [TEST_ISSUER_CA_PUBLIC_KEY] });
/** As a logged record (the verifier reads only the sale's own fields). */
const verify = (sale: SaleEvent) => verifier({ ...sale, seq: 0, prevHash: new Uint8Array(32) });

describe('card proofs (applet v2)', () => {
  it('accepts a 130-byte proof signed with PK.card under a 230-byte certificate', () => {
    const sale = provenSale(7, 2_500);
    expect(sale.cardProof).toHaveLength(130);
    expect(sale.cardCertificate).toHaveLength(230);
    expect(verify(sale)).toBe(true);
  });

  it("refuses a proof signed with the card's key-agreement key", () => {
    expect(verify(provenSale(7, 2_500, 1_000_000, CARD_AGREEMENT_KEY))).toBe(
      'card signature over the proof does not verify',
    );
  });

  it('refuses a certificate of the wrong length and a record that says another amount', () => {
    const sale = provenSale(8);
    expect(verify({ ...sale, cardCertificate: sale.cardCertificate.subarray(0, 165) })).toBe(
      'card certificate is not 230 bytes',
    );
    expect(verify({ ...sale, amountCents: sale.amountCents + 1 })).toMatch(/card signed 1250 cents/);
  });
});

describe('decodeRecord byte fields', () => {
  it('are copies by default, and views into the given bytes with { views: true }', () => {
    const sale = provenSale(9, 1_000);
    const bytes = encodeRecord(3, new Uint8Array(32).fill(5), sale);
    const copied = decodeRecord(bytes) as typeof sale;
    const viewed = decodeRecord(bytes, { views: true }) as typeof sale;
    expect(viewed).toEqual(copied);
    expect(copied.cardProof).toEqual(sale.cardProof);
    expect(copied.cardProof.buffer).not.toBe(bytes.buffer);
    expect(viewed.cardProof.buffer).toBe(bytes.buffer);
    expect(viewed.cardCertificate.buffer).toBe(bytes.buffer);
    // A view reads the caller's bytes: changing them changes it, never the copy.
    const at = viewed.cardProof.byteOffset - bytes.byteOffset;
    bytes[at]! ^= 0xff;
    expect(viewed.cardProof[0]).toBe(bytes[at]);
    expect(copied.cardProof[0]).toBe(sale.cardProof[0]);
  });
});
