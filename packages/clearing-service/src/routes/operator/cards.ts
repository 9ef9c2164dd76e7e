/**
 * Operator: cards. The issuer's import of issued card numbers (the registry mobile-money top-ups
 * are checked against), what the service knows of a card, and counter gaps across cards.
 */
import { isValidCardNumber } from '@huduma/card-applet-spec';
import {
  CardImportRequest,
  CardImportResult,
  CardNumberParams,
  CounterGapsQuery,
} from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../errors';
import { errorResponses } from '../../http/schemas';
import type { OperatorRouteDeps } from './deps';

export async function cardRoutes(operator: FastifyInstance, deps: OperatorRouteDeps): Promise<void> {
  const { db } = deps;

  operator.post<{ Body: { cardNumbers: string[]; source?: string } }>(
    '/v1/admin/cards',
    {
      preHandler: deps.operators,
      schema: {
        summary: 'Import issued card numbers (from the issuer): top-ups are accepted only for issued cards',
        description:
          'Idempotent. Cards seen in uploads (their certificate signed by the issuer CA) count as issued without an import.',
        security: [{ operator: [] }],
        body: CardImportRequest,
        response: {
          200: CardImportResult,
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const { cardNumbers, source } = request.body;
      const invalid = cardNumbers.findIndex((n) => !isValidCardNumber(n));
      if (invalid >= 0) {
        throw new HttpError(
          400,
          'ERR_CARD_NUMBER',
          `${cardNumbers[invalid]} fails the card number check digit`,
          `body.cardNumbers.${invalid}`,
        );
      }
      const unique = [...new Set(cardNumbers)];
      const rows = await db.query(
        `INSERT INTO issued_cards (card_number, source) SELECT n, $2 FROM unnest($1::text[]) AS n
         ON CONFLICT (card_number) DO NOTHING RETURNING card_number`,
        [unique, source ?? 'issuer-import'],
      );
      return { imported: rows.length, alreadyKnown: unique.length - rows.length };
    },
  );

  operator.get<{ Querystring: { limit: number } }>(
    '/v1/admin/counter-gaps',
    {
      preHandler: deps.readers,
      schema: {
        summary:
          'Cards whose known counters have holes (records not uploaded yet, or lost): informative, not alerts',
        security: [{ operator: [] }],
        querystring: CounterGapsQuery,
      },
    },
    async (request) => {
      const rows = await db.query<{ card_number: string; after_counter: number; next_counter: number }>(
        `SELECT card_number, prev AS after_counter, counter AS next_counter FROM (
           SELECT card_number, counter, lag(counter) OVER (PARTITION BY card_number ORDER BY counter) AS prev
           FROM card_counters) c
         WHERE prev IS NOT NULL AND counter - prev > 1 ORDER BY card_number, counter LIMIT $1`,
        [request.query.limit],
      );
      return {
        gaps: rows.map((r) => ({
          cardNumber: r.card_number,
          missingFrom: r.after_counter + 1,
          missingTo: r.next_counter - 1,
        })),
      };
    },
  );

  operator.get<{ Params: { cardNumber: string } }>(
    '/v1/admin/cards/:cardNumber',
    {
      preHandler: deps.readers,
      schema: {
        summary: 'A card as the service sees it: counters held, shadow balance, gaps, status',
        security: [{ operator: [] }],
        params: CardNumberParams,
      },
    },
    async (request) => {
      const n = request.params.cardNumber;
      const counters = await db.query<{
        counter: number;
        tx_type: number | null;
        amount_cents: number | null;
        balance_after: number | null;
        terminal_id: string;
        seq: number;
      }>(
        'SELECT counter, tx_type, amount_cents, balance_after, terminal_id, seq FROM card_counters WHERE card_number = $1 ORDER BY counter',
        [n],
      );
      const card = await db.query<{ status: string }>('SELECT status FROM cards WHERE card_number = $1', [n]);
      const deny = await db.query<{ action: string }>(
        'SELECT action FROM deny_list WHERE card_number = $1 ORDER BY version DESC LIMIT 1',
        [n],
      );
      const gaps: Array<{ from: number; to: number }> = [];
      for (let i = 1; i < counters.length; i++) {
        const a = counters[i - 1]!.counter;
        const b = counters[i]!.counter;
        if (b - a > 1) gaps.push({ from: a + 1, to: b - 1 });
      }
      const latest = counters[counters.length - 1];
      return {
        cardNumber: n,
        status: card[0]?.status ?? 'active',
        denied: deny[0]?.action === 'add',
        lastCounter: latest?.counter ?? null,
        shadowBalanceCents: latest?.balance_after ?? null,
        gaps,
        counters: counters.map((c) => ({
          counter: c.counter,
          type: c.tx_type === 1 ? 'debit' : c.tx_type === 2 ? 'undebit' : c.tx_type === 3 ? 'reload' : null,
          amountCents: c.amount_cents,
          balanceAfter: c.balance_after,
          terminalId: c.terminal_id,
          seq: c.seq,
        })),
      };
    },
  );
}
