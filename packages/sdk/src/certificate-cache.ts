import type { CardCertificate } from '@huduma/card-applet-spec';

/** A card certificate the SDK has verified, with its exact bytes. */
export interface VerifiedCardCertificate {
  /** The 165 bytes as the card returned them. */
  bytes: Uint8Array;
  /** Decoded fields. */
  certificate: CardCertificate;
}

/**
 * Where verified card certificates are remembered between taps, keyed by card number, so a
 * repeat tap skips GET DATA and the CA signature check. Only put certificates the SDK verified
 * here; a card that presents a cached number with another key still fails at its proof signature.
 * May be backed by persistent storage (methods may return promises).
 */
export interface CardCertificateCache {
  /** The verified certificate of `cardNumber`, if remembered. */
  get(cardNumber: string): VerifiedCardCertificate | undefined | Promise<VerifiedCardCertificate | undefined>;
  /** Remembers a verified certificate. */
  set(cardNumber: string, certificate: VerifiedCardCertificate): void | Promise<void>;
}

/** An in-memory {@link CardCertificateCache} that forgets the least recently used card beyond `maxEntries`. */
export class InMemoryCardCertificateCache implements CardCertificateCache {
  private readonly entries = new Map<string, VerifiedCardCertificate>();

  /** @param maxEntries - how many cards to remember (default 10 000). */
  constructor(private readonly maxEntries = 10_000) {}

  /** Number of cards remembered. */
  get size(): number {
    return this.entries.size;
  }

  get(cardNumber: string): VerifiedCardCertificate | undefined {
    const hit = this.entries.get(cardNumber);
    if (hit) {
      this.entries.delete(cardNumber);
      this.entries.set(cardNumber, hit);
    }
    return hit;
  }

  set(cardNumber: string, certificate: VerifiedCardCertificate): void {
    this.entries.delete(cardNumber);
    this.entries.set(cardNumber, certificate);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
