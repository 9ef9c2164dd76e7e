/**
 * Operator routes (`Authorization: Bearer <operator token>`): alerts, the deny list, settlement,
 * terminal revocation, counter gaps, what the service knows of a card, and the issuer's import
 * of issued card numbers (the registry mobile-money top-ups are checked against).
 */
import { isValidCardNumber } from '@huduma/card-applet-spec';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors';
import { cardNumberSchema, errorResponses, indexSchema, terminalIdSchema, textSchema } from '../http/schemas';
import { appendDenyListEntry, listAlerts, settlementForDate, settlementToCsv } from '../store';
import { operatorGuard, type RouteDeps } from './deps';

const settlementLineProperties = {
  debitCount: { type: 'integer' },
  grossDebitsCents: { type: 'integer' },
  cancelCount: { type: 'integer' },
  cancelsCents: { type: 'integer' },
  netCents: { type: 'integer' },
} as const;

function isRealDate(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

export async function adminRoutes(admin: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db } = deps;
  admin.addHook('preHandler', operatorGuard(deps));

  admin.get<{ Querystring: { after: number; limit: number } }>(
    '/v1/admin/alerts',
    {
      schema: {
        summary: 'Fraud and integrity alerts, oldest first, paged by alert id',
        security: [{ operator: [] }],
        querystring: {
          type: 'object',
          properties: {
            after: { ...indexSchema, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['alerts'],
            properties: {
              alerts: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['alertId', 'kind', 'severity', 'details', 'createdAt'],
                  properties: {
                    alertId: { type: 'integer' },
                    kind: { type: 'string' },
                    severity: { type: 'string', enum: ['info', 'warning', 'critical'] },
                    terminalId: { type: ['string', 'null'] },
                    cardNumber: { type: ['string', 'null'] },
                    details: { type: 'object', additionalProperties: true },
                    createdAt: { type: 'string', format: 'date-time' },
                  },
                },
              },
            },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => ({
      alerts: await listAlerts(db, { afterId: request.query.after, limit: request.query.limit }),
    }),
  );

  admin.post<{
    Body: { cardNumber: string; action: 'add' | 'remove'; reason: string; operator?: string };
  }>(
    '/v1/admin/deny-list',
    {
      schema: {
        summary: 'Add a card to, or remove it from, the deny list',
        security: [{ operator: [] }],
        body: {
          type: 'object',
          required: ['cardNumber', 'action', 'reason'],
          properties: {
            cardNumber: cardNumberSchema,
            action: { type: 'string', enum: ['add', 'remove'] },
            reason: textSchema(500, 1),
            operator: { ...textSchema(100), description: 'who asked, for the audit trail' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['version', 'cardNumber', 'action'],
            properties: {
              version: { type: 'integer' },
              cardNumber: cardNumberSchema,
              action: { type: 'string', enum: ['add', 'remove'] },
            },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const { cardNumber, action, reason } = request.body;
      const version = await db.transaction((tx) =>
        appendDenyListEntry(tx, {
          cardNumber,
          action,
          reason,
          createdBy: request.body.operator ?? 'operator',
        }),
      );
      request.log.info({ cardNumber, action, version }, 'deny list changed');
      return { version, cardNumber, action };
    },
  );

  admin.get<{ Querystring: { date: string; format: 'json' | 'csv' } }>(
    '/v1/admin/settlement',
    {
      schema: {
        summary: 'Per-merchant settlement for one Africa/Nairobi business day',
        description:
          'Counts and sums accepted debit and cancel records whose terminal time falls on the date (UTC+3). net = gross debits − cancels; totals equal the sums over accepted_records.',
        security: [{ operator: [] }],
        querystring: {
          type: 'object',
          required: ['date'],
          properties: {
            date: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
            format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['date', 'currency', 'merchants', 'totals'],
                  properties: {
                    date: { type: 'string' },
                    currency: { type: 'string', enum: ['KES'] },
                    merchants: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          merchantId: { type: 'string' },
                          merchantName: { type: 'string' },
                          ...settlementLineProperties,
                        },
                      },
                    },
                    totals: { type: 'object', properties: settlementLineProperties },
                  },
                },
              },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const { date, format } = request.query;
      if (!isRealDate(date)) {
        throw new HttpError(400, 'ERR_VALIDATION', `${date} is not a calendar date`, 'query.date');
      }
      const report = await settlementForDate(db, date);
      if (format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="settlement-${date}.csv"`)
          .send(settlementToCsv(report));
      }
      return reply.type('application/json').send({ ...report, currency: 'KES' });
    },
  );

  admin.post<{ Body: { cardNumbers: string[]; source?: string } }>(
    '/v1/admin/cards',
    {
      schema: {
        summary: 'Import issued card numbers (from the issuer): top-ups are accepted only for issued cards',
        description:
          'Idempotent. Cards seen in uploads (their certificate signed by the issuer CA) count as issued without an import.',
        security: [{ operator: [] }],
        body: {
          type: 'object',
          required: ['cardNumbers'],
          properties: {
            cardNumbers: { type: 'array', minItems: 1, maxItems: 10000, items: cardNumberSchema },
            source: textSchema(100),
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['imported', 'alreadyKnown'],
            properties: { imported: { type: 'integer' }, alreadyKnown: { type: 'integer' } },
          },
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

  admin.post<{ Params: { terminalId: string }; Body: { reason: string; operator?: string } }>(
    '/v1/admin/terminals/:terminalId/revoke',
    {
      schema: {
        summary: 'Revoke a terminal: its uploads and signed requests are refused from now on',
        security: [{ operator: [] }],
        params: { type: 'object', required: ['terminalId'], properties: { terminalId: terminalIdSchema } },
        body: {
          type: 'object',
          required: ['reason'],
          properties: {
            reason: textSchema(500, 1),
            operator: textSchema(100),
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { terminalId } = request.params;
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO revoked_terminals (terminal_id, reason, revoked_by) VALUES ($1, $2, $3) ON CONFLICT (terminal_id) DO NOTHING`,
          [terminalId, request.body.reason, request.body.operator ?? 'operator'],
        );
        await tx.query(`UPDATE terminals SET status = 'revoked', revoked_at = now() WHERE terminal_id = $1`, [
          terminalId,
        ]);
      });
      request.log.warn({ terminalId }, 'terminal revoked');
      return { terminalId, status: 'revoked' };
    },
  );

  admin.get<{ Querystring: { limit: number } }>(
    '/v1/admin/counter-gaps',
    {
      schema: {
        summary:
          'Cards whose known counters have holes (records not uploaded yet, or lost): informative, not alerts',
        security: [{ operator: [] }],
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 10000, default: 500 } },
          additionalProperties: false,
        },
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

  admin.get<{ Params: { cardNumber: string } }>(
    '/v1/admin/cards/:cardNumber',
    {
      schema: {
        summary: 'A card as the service sees it: counters held, shadow balance, gaps, status',
        security: [{ operator: [] }],
        params: { type: 'object', required: ['cardNumber'], properties: { cardNumber: cardNumberSchema } },
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
