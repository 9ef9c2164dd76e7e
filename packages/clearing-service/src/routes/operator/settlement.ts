/** Operator: per-merchant settlement of a business day, JSON (integer cents) or CSV (KES for people). */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../errors';
import { errorResponses } from '../../http/schemas';
import { settlementForDate, settlementToCsv } from '../../store';
import type { OperatorRouteDeps } from './deps';

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

export async function settlementRoutes(operator: FastifyInstance, deps: OperatorRouteDeps): Promise<void> {
  const { db } = deps;

  operator.get<{ Querystring: { date: string; format: 'json' | 'csv' } }>(
    '/v1/admin/settlement',
    {
      preHandler: deps.readers,
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
}
