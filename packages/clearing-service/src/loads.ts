/**
 * Load authorizations (SPEC.md §6.10): the clearing service runs the issuer's load authority.
 * A RELOAD-capable terminal asks online, for one card, its current counter and a fresh card
 * challenge; the amount is cash taken at a Huduma Centre counter or a paid mobile-money top-up.
 * Every authorization is recorded so the reload record that comes back in an upload can be
 * matched to it (ingest.ts flags a reload that matches none). v2: the authorization carries the
 * currency (one per service, KES), and it is signed only once the service holds every record of
 * the card up to its counter (load-sync.ts).
 */
import {
  CURRENCY_KES,
  concatBytes,
  encodeLoadAuthorizationBody,
  loadAuthorizationSigningMessage,
} from '@huduma/card-applet-spec';
import type { Db } from './db/types';
import { ConflictError, InputError, NotFoundError, UnprocessableError } from './errors';
import { assertCardSynced, type RingProof, verifyRingProofs } from './load-sync';
import type { TrustStore } from './trust';

/** The one currency this service loads and settles (BCD ISO 4217). */
export const SERVICE_CURRENCY = CURRENCY_KES;

/** The load-authority key (e.g. `DevPki.open(dir).loadAuthority`, or an HSM behind the same shape). */
export interface LoadAuthoritySigner {
  readonly publicKey: Uint8Array;
  /** First 8 bytes of SHA-256(publicKey). */
  readonly keyId: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface LoadAuthorizationRequest {
  cardNumber: string;
  /** The card's counter now (before the reload). */
  counter: number;
  /** 16-byte card challenge. */
  challenge: Uint8Array;
  terminalSeq: number;
  /** 8 bytes. */
  terminalNonce: Uint8Array;
  source: 'cash' | 'topup';
  /** Cash: required. Top-up: optional, must equal the top-up amount. */
  amountCents?: number;
  topupId?: number;
  loadRef?: string;
  /** BCD ISO 4217; must be the service's currency when given. */
  currency?: number;
  /**
   * The card's unsynced ring proofs (130 bytes each, READ RECORD) and its 230-byte certificate,
   * so that records not uploaded by any terminal yet still reach the service before the reload.
   */
  cardRecords?: readonly Uint8Array[];
  cardCertificate?: Uint8Array;
}

export interface IssuedLoadAuthorization {
  authorizationId: number;
  authorization: Uint8Array;
  amountCents: number;
  loadRef: string;
  time: number;
  topupId: number | null;
}

const LOAD_REF = /^[\x21-\x7e][\x20-\x7e]{0,15}$/;

export async function issueLoadAuthorization(
  db: Db,
  authority: LoadAuthoritySigner,
  terminalId: string,
  req: LoadAuthorizationRequest,
  nowMs: number,
  /** Verifies cardRecords; without it a request carrying cardRecords is refused. */
  trust?: TrustStore,
): Promise<IssuedLoadAuthorization> {
  if (req.challenge.length !== 16) throw new InputError('ERR_LOAD_REQUEST', 'challenge must be 16 bytes');
  if (req.terminalNonce.length !== 8)
    throw new InputError('ERR_LOAD_REQUEST', 'terminalNonce must be 8 bytes');
  const currency = req.currency ?? SERVICE_CURRENCY;
  if (currency !== SERVICE_CURRENCY) {
    throw new InputError(
      'ERR_LOAD_CURRENCY',
      `currency ${currency.toString(16).padStart(4, '0')}: this service loads only ${SERVICE_CURRENCY.toString(16).padStart(4, '0')}`,
    );
  }
  // Proof checks are CPU only: done before the transaction so no row is locked meanwhile.
  let ring: RingProof[] = [];
  if (req.cardRecords && req.cardRecords.length > 0) {
    if (!req.cardCertificate)
      throw new UnprocessableError('ERR_CARD_RECORD_INVALID', 'cardRecords come with the cardCertificate');
    if (!trust)
      throw new UnprocessableError(
        'ERR_CARD_RECORD_INVALID',
        'no issuer CA is configured to verify cardRecords',
      );
    ring = verifyRingProofs(
      trust,
      req.cardNumber,
      req.counter,
      req.cardCertificate,
      req.cardRecords,
      SERVICE_CURRENCY,
    );
  }
  return db.transaction(async (tx) => {
    // First, as the spec orders it (§6.10): no signature unless the card is synced. A refused
    // request changes nothing (the transaction rolls back, a top-up stays pending).
    await assertCardSynced(tx, terminalId, req.cardNumber, req.counter, ring);
    let amountCents: number;
    let loadRef: string;
    let topupId: number | null = null;
    if (req.source === 'topup') {
      if (req.topupId === undefined)
        throw new InputError('ERR_LOAD_REQUEST', 'a top-up load names its topupId');
      const rows = await tx.query<{
        card_number: string;
        amount_cents: number;
        status: string;
        provider_txn_id: string;
      }>(
        'SELECT card_number, amount_cents, status, provider_txn_id FROM pending_topups WHERE topup_id = $1 FOR UPDATE',
        [req.topupId],
      );
      const topup = rows[0];
      if (!topup || topup.card_number !== req.cardNumber) {
        throw new NotFoundError(
          'ERR_TOPUP_NOT_FOUND',
          `top-up ${req.topupId} is not a top-up of card ${req.cardNumber}`,
        );
      }
      if (topup.status === 'authorized') {
        // Asked again (the tap failed before RELOAD, say): only for the same card counter, so at
        // most one of the authorizations can ever be used by the card.
        const prior = await tx.query<{ card_counter: number }>(
          `SELECT card_counter FROM load_authorizations WHERE topup_id = $1 AND status = 'issued'`,
          [req.topupId],
        );
        if (prior.some((p) => p.card_counter !== req.counter)) {
          throw new ConflictError(
            'ERR_TOPUP_IN_PROGRESS',
            `top-up ${req.topupId} was authorized for another card counter; wait for that reload to be uploaded`,
          );
        }
      } else if (topup.status !== 'pending') {
        throw new ConflictError('ERR_TOPUP_NOT_PENDING', `top-up ${req.topupId} is ${topup.status}`);
      }
      if (req.amountCents !== undefined && req.amountCents !== topup.amount_cents) {
        throw new InputError(
          'ERR_LOAD_AMOUNT',
          `top-up ${req.topupId} is ${topup.amount_cents} cents, not ${req.amountCents}`,
        );
      }
      amountCents = topup.amount_cents;
      loadRef = req.loadRef ?? topup.provider_txn_id.slice(0, 16);
      topupId = req.topupId;
      await tx.query(`UPDATE pending_topups SET status = 'authorized' WHERE topup_id = $1`, [topupId]);
    } else {
      if (req.amountCents === undefined || !Number.isSafeInteger(req.amountCents) || req.amountCents <= 0) {
        throw new InputError('ERR_LOAD_AMOUNT', 'a cash load needs a positive amountCents');
      }
      amountCents = req.amountCents;
      loadRef = req.loadRef ?? `CASH-${req.terminalSeq}`.slice(0, 16);
    }
    if (!LOAD_REF.test(loadRef)) {
      throw new InputError(
        'ERR_LOAD_REQUEST',
        `loadRef ${JSON.stringify(loadRef)} must be 1-16 printable ASCII characters`,
      );
    }
    const time = Math.floor(nowMs / 1000);
    const body = encodeLoadAuthorizationBody({
      keyId: authority.keyId,
      cardNumber: req.cardNumber,
      cardCounter: req.counter,
      cardChallenge: req.challenge,
      amount: amountCents,
      currency,
      time,
      terminalId,
      terminalSeq: req.terminalSeq,
      terminalNonce: req.terminalNonce,
      loadRef,
    });
    const authorization = concatBytes(body, await authority.sign(loadAuthorizationSigningMessage(body)));
    const rows = await tx.query<{ authorization_id: number }>(
      `INSERT INTO load_authorizations (topup_id, card_number, amount_cents, terminal_id, authorization_blob, source,
         card_counter, terminal_seq, load_ref)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING authorization_id`,
      [
        topupId,
        req.cardNumber,
        amountCents,
        terminalId,
        authorization,
        req.source,
        req.counter,
        req.terminalSeq,
        loadRef,
      ],
    );
    return { authorizationId: rows[0]!.authorization_id, authorization, amountCents, loadRef, time, topupId };
  });
}
