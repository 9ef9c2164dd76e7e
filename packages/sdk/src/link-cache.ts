import type { CardCertificate } from '@huduma/card-applet-spec';

/**
 * What a terminal remembers about one card so that later taps cost the card one public-key
 * operation (the proof signature, SPEC-v2 §9.3) and the terminal none: the card certificate it
 * verified (no GET DATA, no CA signature check) and the link key K.link it derived with its
 * static key (no ECDH). Entries are per (card number, termCertId): a new terminal certificate
 * means a new link key.
 */
export interface CardLink {
  /** The 230-byte card certificate as the card returned it, verified by the SDK. */
  certificateBytes: Uint8Array;
  /** Its decoded fields. */
  certificate: CardCertificate;
  /** The terminal certificate id this link key belongs to (8 bytes). */
  termCertId: Uint8Array;
  /** K.link (16 bytes): a secret. Back persistent caches with encrypted storage. */
  linkKey: Uint8Array;
}

/**
 * Where {@link CardLink}s are kept between taps. May be backed by persistent storage (methods
 * may return promises). Only the SDK puts entries here, after verifying the certificate.
 */
export interface CardLinkCache {
  get(cardNumber: string, termCertIdHex: string): CardLink | undefined | Promise<CardLink | undefined>;
  set(cardNumber: string, termCertIdHex: string, link: CardLink): void | Promise<void>;
  /** Forgets a card (e.g. its session keys did not match: the card was replaced or re-personalized). */
  delete(cardNumber: string, termCertIdHex: string): void | Promise<void>;
}

/** An in-memory {@link CardLinkCache} that forgets the least recently used card beyond `maxEntries`. */
export class InMemoryCardLinkCache implements CardLinkCache {
  private readonly entries = new Map<string, CardLink>();

  /** @param maxEntries - how many cards to remember (default 10 000). */
  constructor(private readonly maxEntries = 10_000) {}

  /** Number of cards remembered. */
  get size(): number {
    return this.entries.size;
  }

  get(cardNumber: string, termCertIdHex: string): CardLink | undefined {
    const key = `${cardNumber}/${termCertIdHex}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(cardNumber: string, termCertIdHex: string, link: CardLink): void {
    const key = `${cardNumber}/${termCertIdHex}`;
    this.entries.delete(key);
    this.entries.set(key, link);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(cardNumber: string, termCertIdHex: string): void {
    this.entries.delete(`${cardNumber}/${termCertIdHex}`);
  }
}
