/**
 * Load authorizations (SPEC.md §6.10): the clearing service runs the issuer's load authority.
 * A RELOAD-capable terminal asks online, for one card, its current counter and a fresh card
 * challenge; the amount is cash taken at a Huduma Centre counter or a paid mobile-money top-up.
 * Every authorization is recorded so the reload record that comes back in an upload can be
 * matched to it (ingest.ts flags a reload that matches none).
 */
import {
  concatBytes,
  encodeLoadAuthorizationBody,
  loadAuthorizationSigningMessage,
} from '@huduma/card-applet-spec';
import type { Db } from './db/types';
import { InputError } from './errors';

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
): Promise<IssuedLoadAuthorization> {
  if (req.challenge.length !== 16) throw new InputError('ERR_LOAD_REQUEST', 'challenge must be 16 bytes');
  if (req.terminalNonce.length !== 8)
    throw new InputError('ERR_LOAD_REQUEST', 'terminalNonce must be 8 bytes');
  return db.transaction(async (tx) => {
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
        throw new InputError(
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
          throw new InputError(
            'ERR_TOPUP_IN_PROGRESS',
            `top-up ${req.topupId} was authorized for another card counter; wait for that reload to be uploaded`,
          );
        }
      } else if (topup.status !== 'pending') {
        throw new InputError('ERR_TOPUP_NOT_PENDING', `top-up ${req.topupId} is ${topup.status}`);
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
