import type { DevPki } from '@huduma/pki';

/** What the clearing service needs to authorize a cash reload on one card, right now. */
export interface LoadAuthorizationRequest {
  cardNumber: string;
  /** The card's transaction counter (the authorization is bound to it). */
  counter: number;
  /** A fresh card challenge (the authorization is bound to it). */
  challenge: Uint8Array;
  amount: number;
  terminalId: string;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  /** Cash receipt or other reference printed on the card's record (up to 16 characters). */
  reference?: string;
  /** Issuer time, Unix seconds (the dev authorizer uses the terminal clock). */
  time?: number;
}

/**
 * Online authorization of a reload: returns the 144-byte load authorization RELOAD takes. The
 * clearing service supplies the production implementation (it also checks the cash was taken);
 * it may throw to decline.
 */
export interface LoadAuthorizer {
  authorize(request: LoadAuthorizationRequest): Promise<Uint8Array>;
}

/** Signs load authorizations locally with the development PKI's load authority (demos, tests). */
export function devLoadAuthorizer(pki: DevPki): LoadAuthorizer {
  return {
    authorize: (r) =>
      pki.authorizeLoad({
        cardNumber: r.cardNumber,
        cardCounter: r.counter,
        cardChallenge: r.challenge,
        amount: r.amount,
        time: r.time ?? Math.floor(Date.now() / 1000),
        terminalId: r.terminalId,
        terminalSeq: r.terminalSeq,
        terminalNonce: r.terminalNonce,
        loadRef: r.reference ?? `RELOAD-${r.terminalSeq}`.slice(0, 16),
      }),
  };
}
