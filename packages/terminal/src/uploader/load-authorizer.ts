import { Size } from '@huduma/card-applet-spec';
import type { ApprovedTransaction } from '../engine';
import type { LoadAuthorizer } from '../load-authorizer';
import type { ClearingClient, PendingTopup } from './client';
import { SyncError } from './errors';

/** A reload whose reference is `TOPUP-<id>` loads pending mobile-money top-up `<id>`. */
export const TOPUP_REFERENCE_PREFIX = 'TOPUP-';

export function topupReference(topupId: number): string {
  return `${TOPUP_REFERENCE_PREFIX}${topupId}`;
}

/**
 * The production LoadAuthorizer: asks the clearing service (`POST /v1/load-authorizations`,
 * terminal-signed) for the 146-byte (v2) authorization, bound to the card's counter and challenge.
 * Cash by default; a `TOPUP-<id>` reference loads that paid top-up instead. A refusal or an
 * unreachable service throws, and the engine declines the reload with nothing loaded.
 */
export function clearingLoadAuthorizer(client: ClearingClient): LoadAuthorizer {
  return {
    async authorize(r) {
      const topup = r.reference?.startsWith(TOPUP_REFERENCE_PREFIX)
        ? Number(r.reference.slice(TOPUP_REFERENCE_PREFIX.length))
        : undefined;
      const answer = await client.authorizeLoad({
        cardNumber: r.cardNumber,
        counter: r.counter,
        challenge: r.challenge,
        terminalSeq: r.terminalSeq,
        terminalNonce: r.terminalNonce,
        source: topup === undefined ? 'cash' : 'topup',
        amountCents: r.amount,
        ...(topup === undefined ? {} : { topupId: topup }),
        ...(r.reference === undefined ? {} : { loadRef: r.reference }),
        // The records the card has not synced yet go with the request (§6.10: the load
        // authority signs only once the service holds them); none, nothing extra is sent.
        ...(r.cardRecords.length === 0
          ? {}
          : { cardRecords: r.cardRecords.map((c) => c.proof), cardCertificate: r.cardCertificate }),
      });
      const authorization = new Uint8Array(Buffer.from(answer.authorization, 'hex'));
      if (authorization.length !== Size.LOAD_AUTHORIZATION)
        throw new SyncError(
          'ERR_SYNC_LOAD_AUTHORIZATION',
          `load authorization is ${authorization.length} bytes, expected ${Size.LOAD_AUTHORIZATION}`,
        );
      if (answer.amountCents !== r.amount)
        throw new SyncError(
          'ERR_SYNC_LOAD_AUTHORIZATION',
          `authorized ${answer.amountCents} cents, asked ${r.amount}`,
        );
      return authorization;
    },
  };
}

/** The reload side of an engine (TerminalEngine has it). */
export interface ReloadingTerminal {
  reload(args: { amountCents: number; reference?: string }): Promise<ApprovedTransaction>;
}

/**
 * Loads every paid, not yet loaded, mobile-money top-up of `cardNumber` on the card in the
 * reader (one RELOAD each). Needs an engine opened with `clearingLoadAuthorizer`.
 */
export async function loadPendingTopups(
  engine: ReloadingTerminal,
  client: ClearingClient,
  cardNumber: string,
): Promise<{ topup: PendingTopup; approved: ApprovedTransaction }[]> {
  const loaded: { topup: PendingTopup; approved: ApprovedTransaction }[] = [];
  for (const topup of await client.pendingTopups(cardNumber)) {
    if (topup.status !== 'pending') continue;
    const approved = await engine.reload({
      amountCents: topup.amountCents,
      reference: topupReference(topup.topupId),
    });
    loaded.push({ topup, approved });
  }
  return loaded;
}
