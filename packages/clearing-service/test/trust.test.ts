import { describe, expect, it } from 'vitest';
import { TrustStore } from '../src/trust';
import { cardNumberFor, TestPki } from './fixtures';

/**
 * The card-certificate cache is looked up by a number taken from the certificate's tail (one
 * lookup per uploaded record), so two certificates can share a slot: a hit must still be the
 * exact bytes that were verified, never a look-alike.
 */
describe('card certificate cache', () => {
  it('answers a verified certificate from the cache, the same object each time', () => {
    const pki = new TestPki();
    const trust = new TrustStore(pki.trust);
    const cert = pki.card(cardNumberFor(1)).certificate;
    const first = trust.cardCertificate(cert);
    expect(trust.cardCertificate(Uint8Array.from(cert))).toBe(first);
    expect(first.cert.cardNumber).toBe(cardNumberFor(1));
  });

  it('refuses a certificate that shares a verified one’s tail but differs anywhere before it', () => {
    const pki = new TestPki();
    const trust = new TrustStore(pki.trust);
    const genuine = pki.card(cardNumberFor(2)).certificate;
    trust.cardCertificate(genuine);
    // Every position of the signed body and the signature's first 57 bytes: same cache slot,
    // different bytes. Each must be checked again and refused.
    for (let at = 0; at < genuine.length - 7; at += 7) {
      const forged = Uint8Array.from(genuine);
      forged[at]! ^= 0x01;
      expect(() => trust.cardCertificate(forged), `byte ${at}`).toThrow(/card certificate/);
    }
    // The genuine one is still held and still answers.
    expect(trust.cardCertificate(genuine).cert.cardNumber).toBe(cardNumberFor(2));
  });

  it('keeps a copy, not the caller’s buffer: a body reused after the upload changes nothing', () => {
    const pki = new TestPki();
    const trust = new TrustStore(pki.trust);
    const genuine = pki.card(cardNumberFor(3)).certificate;
    const body = new Uint8Array(genuine.length + 10);
    body.set(genuine, 5);
    trust.cardCertificate(body.subarray(5, 5 + genuine.length));
    body[6]! ^= 0xff; // the request buffer is reused for something else
    expect(() => trust.cardCertificate(body.subarray(5, 5 + genuine.length))).toThrow(/card certificate/);
    expect(trust.cardCertificate(genuine).cert.cardNumber).toBe(cardNumberFor(3));
  });
});
