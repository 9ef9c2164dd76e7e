/**
 * The merchant portal's API (/v1/merchant/*, session cookie of a merchant account). The merchant
 * is taken from the session, never from the request, so one merchant cannot name another's data.
 */
import { BusinessDayRangeQuery } from '@huduma/clearing-protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponses } from '../http/schemas';
import { settlementDays } from '../people/console-queries';
import { maskCard, personGuard } from '../people/guard';
import { centsToKes, requestedRange, toCsv } from '../people/ranges';
import type { RouteDeps } from './deps';

const security = [{ session: [] }];
const rangeQuery = BusinessDayRangeQuery;
type RangeQuery = { Querystring: { from?: string; to?: string; format: 'json' | 'csv' } };

function sendCsv(reply: FastifyReply, name: string, csv: string) {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(csv);
}

export async function merchantPortalRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db } = deps;
  const merchantOnly = { onRequest: personGuard(deps, ['merchant']) };
  const merchantOf = (p: { merchantId: string | null } | undefined) => p?.merchantId ?? '';

  api.get(
    '/v1/merchant/terminals',
    {
      ...merchantOnly,
      schema: { summary: "The merchant's own terminals", security, response: errorResponses(401, 403) },
    },
    async (request) => {
      const rows = await db.query<{
        terminal_id: string;
        status: string;
        last_seq: number | null;
        last_sync: Date | null;
      }>(
        `SELECT t.terminal_id, t.status, t.last_seq,
           (SELECT max(received_at) FROM batches b WHERE b.terminal_id = t.terminal_id) AS last_sync
         FROM terminals t WHERE t.merchant_id = $1 ORDER BY t.terminal_id`,
        [merchantOf(request.person)],
      );
      return {
        terminals: rows.map((r) => ({
          terminalId: r.terminal_id,
          status: r.status,
          heldUpToSeq: r.last_seq,
          lastSyncAt: r.last_sync?.toISOString() ?? null,
        })),
      };
    },
  );

  api.get<RangeQuery>(
    '/v1/merchant/sales',
    {
      ...merchantOnly,
      schema: {
        summary: 'Sales and cancels of the merchant, record by record (default: the last 7 Nairobi days)',
        security,
        querystring: rangeQuery,
        response: errorResponses(400, 401, 403),
      },
    },
    async (request, reply) => {
      const { format } = request.query;
      const { from, to } = requestedRange(request.query, deps.now());
      const rows = await db.query<{
        terminal_id: string;
        seq: number;
        record_type: string;
        amount_cents: number;
        occurred_at: number;
        business_date: string;
        service_code: number | null;
        bill_ref: string | null;
        card_number: string | null;
      }>(
        `SELECT terminal_id, seq, record_type, amount_cents, occurred_at, business_date, service_code, bill_ref, card_number
         FROM accepted_records
         WHERE merchant_id = $1 AND business_date BETWEEN $2::date AND $3::date AND record_type IN ('debit', 'cancel')
         ORDER BY business_date, terminal_id, seq LIMIT 100000`,
        [merchantOf(request.person), from, to],
      );
      const sales = rows.map((r) => ({
        date: r.business_date,
        time: new Date(r.occurred_at * 1000).toISOString(),
        terminalId: r.terminal_id,
        seq: r.seq,
        type: r.record_type === 'debit' ? 'sale' : 'cancel',
        amountCents: r.amount_cents,
        serviceCode: r.service_code,
        billRef: r.bill_ref,
        card: maskCard(r.card_number),
      }));
      if (format === 'csv') {
        return sendCsv(
          reply,
          `sales-${from}-${to}`,
          toCsv(
            ['date', 'time', 'terminal_id', 'seq', 'type', 'amount_kes', 'service_code', 'bill_ref', 'card'],
            sales.map((s) => [
              s.date,
              s.time,
              s.terminalId,
              s.seq,
              s.type,
              centsToKes(s.amountCents),
              s.serviceCode,
              s.billRef,
              s.card,
            ]),
          ),
        );
      }
      return reply.type('application/json').send({ from, to, currency: 'KES', sales });
    },
  );

  api.get<RangeQuery>(
    '/v1/merchant/statement',
    {
      ...merchantOnly,
      schema: {
        summary: "The merchant's settlement statement per business day (default: the last 7 Nairobi days)",
        security,
        querystring: rangeQuery,
        response: errorResponses(400, 401, 403),
      },
    },
    async (request, reply) => {
      const { format } = request.query;
      const { from, to } = requestedRange(request.query, deps.now());
      const merchantId = merchantOf(request.person);
      const lines = await settlementDays(db, { from, to, merchantId });
      const byDay = new Map<
        string,
        {
          date: string;
          debitCount: number;
          grossDebitsCents: number;
          cancelCount: number;
          cancelsCents: number;
          netCents: number;
        }
      >();
      for (const l of lines) {
        const d = byDay.get(l.date) ?? {
          date: l.date,
          debitCount: 0,
          grossDebitsCents: 0,
          cancelCount: 0,
          cancelsCents: 0,
          netCents: 0,
        };
        d.debitCount += l.debitCount;
        d.grossDebitsCents += l.grossDebitsCents;
        d.cancelCount += l.cancelCount;
        d.cancelsCents += l.cancelsCents;
        d.netCents += l.netCents;
        byDay.set(l.date, d);
      }
      const days = [...byDay.values()];
      const totalNetCents = days.reduce((s, d) => s + d.netCents, 0);
      if (format === 'csv') {
        return sendCsv(
          reply,
          `statement-${merchantId}-${from}-${to}`,
          toCsv(
            ['date', 'sales', 'gross_kes', 'cancels', 'cancels_kes', 'net_kes'],
            [
              ...days.map((d) => [
                d.date,
                d.debitCount,
                centsToKes(d.grossDebitsCents),
                d.cancelCount,
                centsToKes(d.cancelsCents),
                centsToKes(d.netCents),
              ]),
              ['total', null, null, null, null, centsToKes(totalNetCents)],
            ],
          ),
        );
      }
      return reply
        .type('application/json')
        .send({ merchantId, from, to, currency: 'KES', days, totalNetCents });
    },
  );
}
