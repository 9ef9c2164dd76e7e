/**
 * Mobile-money top-ups: the M-Pesa (Daraja C2B) confirmation that parks a pending top-up, and the
 * pending top-ups of a card. A notification is refused, with Daraja's ResultCode ≠ 0 and our
 * error code, when its amount is not one a card can ever hold, when the card number fails its
 * check digit, or when no such card was ever issued: money parked there could never be loaded.
 */
import { isValidCardNumber } from '@huduma/card-applet-spec';
import {
  CardNumberParams,
  DarajaErrorBody,
  MpesaConfirmation,
  MpesaConfirmationAnswer,
  PendingTopups,
} from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { secretsEqual } from '../auth';
import type { Queryable } from '../db/types';
import { HttpError, InputError } from '../errors';
import { errorResponses, MAX_PAYMENT_CENTS, MAX_U32 } from '../http/schemas';
import { formatKes } from '../kes';
import { listPendingTopups, recordTopupNotification } from '../store';
import type { RouteDeps } from './deps';

/** Parses a KES amount ("1500", "1500.5", "1500.50") to integer cents without floating point. */
export function kesToCents(amount: string | number): number {
  const text = typeof amount === 'number' ? String(amount) : amount.trim();
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match)
    throw new InputError(
      'ERR_AMOUNT',
      `amount ${JSON.stringify(amount)} is not a KES amount with at most 2 decimals`,
    );
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/**
 * A card the service knows was issued: imported by the issuer (`POST /v1/admin/cards`) or seen
 * in an upload with a card certificate the issuer CA signed (its counters are held).
 */
export async function isIssuedCard(q: Queryable, cardNumber: string): Promise<boolean> {
  const rows = await q.query<{ known: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM issued_cards WHERE card_number = $1)
         OR EXISTS (SELECT 1 FROM card_counters WHERE card_number = $1) AS known`,
    [cardNumber],
  );
  return rows[0]?.known === true;
}

/**
 * The card's balance is u32 cents (SPEC.md), so money parked beyond what could ever fit can never
 * be loaded: its last signed balance (card_counters) plus the top-ups not yet loaded plus this one
 * must stay within MAX_U32. (Its personalised maximum balance may be lower; only the card knows
 * it, and refuses such a load with MAX_BALANCE_EXCEEDED.) A retry of a notification already
 * parked is not checked again: the store answers it as a duplicate.
 */
async function checkCardRoom(q: Queryable, cardNumber: string, transId: string, amountCents: number) {
  const rows = await q.query<{ known: boolean; balance: number; parked: number }>(
    `SELECT EXISTS (SELECT 1 FROM pending_topups WHERE provider = 'mpesa' AND provider_txn_id = $2) AS known,
       COALESCE((SELECT balance_after FROM card_counters WHERE card_number = $1 AND balance_after IS NOT NULL
                 ORDER BY counter DESC LIMIT 1), 0) AS balance,
       COALESCE((SELECT SUM(amount_cents) FROM pending_topups
                 WHERE card_number = $1 AND status IN ('pending', 'authorized')), 0)::bigint AS parked`,
    [cardNumber, transId],
  );
  const { known, balance, parked } = rows[0]!;
  if (!known && balance + parked + amountCents > MAX_U32) {
    throw new HttpError(
      422,
      'ERR_CARD_BALANCE_LIMIT',
      `the card holds ${formatKes(balance)} and ${formatKes(parked)} of top-ups wait to be loaded: ${formatKes(amountCents)} more cannot fit its balance`,
      'body.TransAmount',
    );
  }
}

export async function topupRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db } = deps;

  api.post<{
    Body: { TransID: string; TransAmount: string | number; BillRefNumber: string; MSISDN?: string };
  }>(
    '/v1/topups/mpesa',
    {
      config: { daraja: true },
      schema: {
        summary: 'M-Pesa C2B payment confirmation: creates a pending top-up for the card in BillRefNumber',
        description: `Idempotent on TransID. Requires X-Callback-Token. Fields follow the Daraja C2B confirmation payload; unknown fields are ignored. Refused (HTTP 4xx, ResultCode "C2B00012"/"C2B00013"/"C2B00016") when the amount is not 0.01..${MAX_PAYMENT_CENTS / 100} KES, the card number fails its check digit, or the card was never issued.`,
        security: [{ callbackToken: [] }],
        body: MpesaConfirmation,
        response: {
          200: MpesaConfirmationAnswer,
          400: DarajaErrorBody,
          401: DarajaErrorBody,
          404: DarajaErrorBody,
          409: DarajaErrorBody,
          422: DarajaErrorBody,
          503: DarajaErrorBody,
        },
      },
    },
    async (request) => {
      const expected = deps.topupCallbackToken;
      if (expected === undefined) {
        throw new HttpError(503, 'ERR_TOPUPS_DISABLED', 'no top-up callback token is configured');
      }
      const given = request.headers['x-callback-token'];
      if (typeof given !== 'string' || !secretsEqual(given, expected)) {
        throw new HttpError(
          401,
          'ERR_UNAUTHORIZED',
          'callback token missing or wrong',
          'header.x-callback-token',
        );
      }
      const body = request.body;
      let amountCents: number;
      try {
        amountCents = kesToCents(body.TransAmount);
      } catch (error) {
        if (error instanceof InputError)
          throw new HttpError(400, error.code, error.message, 'body.TransAmount');
        throw error;
      }
      if (amountCents < 1 || amountCents > MAX_PAYMENT_CENTS) {
        throw new HttpError(
          400,
          'ERR_AMOUNT',
          `a top-up must be 0.01..${MAX_PAYMENT_CENTS / 100} KES (one payment's limit)`,
          'body.TransAmount',
        );
      }
      const cardNumber = body.BillRefNumber.replace(/[\s-]/g, '');
      if (!isValidCardNumber(cardNumber)) {
        throw new HttpError(
          400,
          'ERR_CARD_NUMBER',
          'BillRefNumber is not a card number (16 digits with a valid check digit)',
          'body.BillRefNumber',
        );
      }
      if (!(await isIssuedCard(db, cardNumber))) {
        throw new HttpError(
          422,
          'ERR_CARD_UNKNOWN',
          'no card with this number was issued: the payment cannot be loaded anywhere',
          'body.BillRefNumber',
        );
      }
      await checkCardRoom(db, cardNumber, body.TransID, amountCents);
      const result = await recordTopupNotification(db, {
        provider: 'mpesa',
        providerTxnId: body.TransID,
        cardNumber,
        amountCents,
        payer: body.MSISDN ?? null,
      });
      request.log.info(
        { topupId: result.topup.topupId, txn: body.TransID, duplicate: !result.created },
        'mobile-money top-up notified',
      );
      return { ResultCode: 0, ResultDesc: 'Accepted', duplicate: !result.created, topup: result.topup };
    },
  );

  api.get<{ Params: { cardNumber: string } }>(
    '/v1/cards/:cardNumber/pending-topups',
    {
      ...deps.terminalRequest({ allowOperator: true }),
      schema: {
        summary: 'Top-ups paid but not yet loaded onto the card',
        security: [{ operator: [] }],
        params: CardNumberParams,
        response: {
          200: PendingTopups,
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const topups = await listPendingTopups(db, request.params.cardNumber);
      return {
        cardNumber: request.params.cardNumber,
        totalCents: topups.reduce((sum, t) => sum + t.amountCents, 0),
        topups,
      };
    },
  );
}
