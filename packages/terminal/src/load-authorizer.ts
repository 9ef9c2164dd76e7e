import type { DevPki } from '@huduma/pki';

/** One record the card holds that the clearing service may not have yet (SPEC.md §2.12). */
export interface UnsyncedCardRecord {
  /** The card's 130-byte proof (record 66 ‖ signature 64) exactly as READ RECORD returned it. */
  proof: Uint8Array;
}

/** What the clearing service needs to authorize a cash reload on one card, right now. */
export interface LoadAuthorizationRequest {
  cardNumber: string;
  /** The card's transaction counter (the authorization is bound to it). */
  counter: number;
  /** A fresh card challenge (the authorization is bound to it). */
  challenge: Uint8Array;
  amount: number;
  /** BCD ISO 4217 of the card's purse (KES 0x0404): the authorization carries it (v2). */
  currency: number;
  terminalId: string;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  /** Cash receipt or other reference printed on the card's record (up to 16 characters). */
  reference?: string;
  /** Issuer time, Unix seconds (the dev authorizer uses the terminal clock). */
  time?: number;
  /**
   * The card's unsynced records (counter > syncedThrough), newest first, read just before the
   * request: the load authority signs for counter c only once the clearing service holds every
   * record of the card up to c (§6.10), and a RELOAD then marks them synced on the card.
   */
  cardRecords: UnsyncedCardRecord[];
  /** The card's 230-byte certificate, so the service can verify `cardRecords`. */
  cardCertificate: Uint8Array;
}

/**
 * Online authorization of a reload: returns the 146-byte load authorization RELOAD takes. The
 * clearing service supplies the production implementation (it also checks the cash was taken
 * and that it holds the card's records); it may throw to decline.
 */
export interface LoadAuthorizer {
  authorize(request: LoadAuthorizationRequest): Promise<Uint8Array>;
}

/**
 * Signs load authorizations locally with the development PKI's load authority (demos, tests).
 * It has no clearing service behind it, so it takes the card's unsynced records on trust.
 */
export function devLoadAuthorizer(pki: DevPki): LoadAuthorizer {
  return {
    authorize: (r) =>
      pki.authorizeLoad({
        cardNumber: r.cardNumber,
        cardCounter: r.counter,
        cardChallenge: r.challenge,
        amount: r.amount,
        currency: r.currency,
        time: r.time ?? Math.floor(Date.now() / 1000),
        terminalId: r.terminalId,
        terminalSeq: r.terminalSeq,
        terminalNonce: r.terminalNonce,
        loadRef: r.reference ?? `RELOAD-${r.terminalSeq}`.slice(0, 16),
      }),
  };
}
