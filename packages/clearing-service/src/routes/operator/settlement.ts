/** Operator: per-merchant settlement of a business day, JSON (integer cents) or CSV (KES for people). */
import { Settlement, SettlementQuery } from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../errors';
import { errorResponses } from '../../http/schemas';
import { settlementForDate, settlementToCsv } from '../../store';
import type { OperatorRouteDeps } from './deps';

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
        querystring: SettlementQuery,
        response: {
          200: {
            content: {
              'application/json': { schema: Settlement },
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
