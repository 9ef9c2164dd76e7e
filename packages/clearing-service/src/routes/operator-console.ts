/**
 * The operator console's API (/v1/console/*, session cookie): operators act, auditors only read.
 * Every change an operator makes is written to the audit trail in the same transaction.
 */
import {
  AlertIdParams,
  AlertTriageRequest,
  AuditQuery,
  ConsoleAlertsQuery,
  ConsoleDenyListChangeRequest,
  ConsoleSettlementQuery,
  DenyListTerminals,
  MerchantOnboardRequest,
  type TriageStatus,
} from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { denyListFleet } from '../deny-list-fetches';
import { HttpError } from '../errors';
import { errorResponses } from '../http/schemas';
import { appendAudit, listAudit } from '../people/audit';
import {
  cardHistory,
  consoleAlerts,
  denyListHistory,
  fleet,
  settlementDays,
  topups,
  triageHistory,
} from '../people/console-queries';
import { personGuard } from '../people/guard';
import { centsToKes, checkRange, toCsv } from '../people/ranges';
import { appendDenyListEntry, currentDenyListVersion, upsertMerchant } from '../store';
import type { RouteDeps } from './deps';

const security = [{ session: [] }];
const readers = ['operator', 'auditor'] as const;

export async function operatorConsoleRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db } = deps;
  const read = { onRequest: personGuard(deps, readers) };
  const act = { onRequest: personGuard(deps, ['operator']) };
  const actor = (p: { username: string } | undefined) => `operator:${p?.username ?? '?'}`;

  api.get<{ Querystring: { status: TriageStatus | 'all'; limit: number } }>(
    '/v1/console/alerts',
    {
      ...read,
      schema: {
        summary: 'Alerts with their triage status, critical first',
        security,
        querystring: ConsoleAlertsQuery,
        response: errorResponses(400, 401, 403),
      },
    },
    async (request) => ({ alerts: await consoleAlerts(db, request.query) }),
  );

  api.get<{ Params: { alertId: number } }>(
    '/v1/console/alerts/:alertId',
    {
      ...read,
      schema: {
        summary: "One alert, its triage notes, and the card's pseudonymous history",
        security,
        params: AlertIdParams,
        response: errorResponses(400, 401, 403, 404),
      },
    },
    async (request) => {
      const { alertId } = request.params;
      const [alert] = await consoleAlerts(db, { status: 'all', limit: 1, alertId });
      if (!alert) throw new HttpError(404, 'ERR_NOT_FOUND', `no alert ${alertId}`, 'params.alertId');
      return {
        alert,
        triage: await triageHistory(db, alertId),
        cardHistory: alert.cardNumber ? await cardHistory(db, alert.cardNumber) : [],
      };
    },
  );

  api.post<{ Params: { alertId: number }; Body: { status: TriageStatus; note: string } }>(
    '/v1/console/alerts/:alertId/triage',
    {
      ...act,
      schema: {
        summary: 'Triage an alert with a note (audited)',
        security,
        params: AlertIdParams,
        body: AlertTriageRequest,
        response: errorResponses(400, 401, 403, 404),
      },
    },
    async (request) => {
      const { alertId } = request.params;
      const { status, note } = request.body;
      const by = actor(request.person);
      await db.transaction(async (tx) => {
        const rows = await tx.query('SELECT 1 FROM alerts WHERE alert_id = $1 FOR UPDATE', [alertId]);
        if (rows.length === 0)
          throw new HttpError(404, 'ERR_NOT_FOUND', `no alert ${alertId}`, 'params.alertId');
        await tx.query('INSERT INTO alert_triage (alert_id, status, note, actor) VALUES ($1, $2, $3, $4)', [
          alertId,
          status,
          note,
          by,
        ]);
        const closed = status === 'resolved' || status === 'false-positive';
        await tx.query(
          `UPDATE alerts SET acknowledged_at = CASE WHEN $2 THEN coalesce(acknowledged_at, now()) END WHERE alert_id = $1`,
          [alertId, closed],
        );
        await appendAudit(tx, {
          actor: by,
          action: 'alert-triage',
          subject: `alert:${alertId}`,
          reason: note,
          details: { status },
        });
      });
      return { alertId, status };
    },
  );

  api.get(
    '/v1/console/deny-list',
    {
      ...read,
      schema: {
        summary: 'Deny-list version history, newest first',
        security,
        response: errorResponses(401, 403),
      },
    },
    async () => ({ version: await currentDenyListVersion(db), entries: await denyListHistory(db, 1000) }),
  );

  api.get(
    '/v1/console/deny-list/terminals',
    {
      ...read,
      schema: {
        summary: 'How many terminals hold the current deny-list version, and the ones behind',
        security,
        response: { 200: DenyListTerminals, ...errorResponses(401, 403) },
      },
    },
    async () => denyListFleet(db),
  );

  api.post<{ Body: { cardNumber: string; action: 'add' | 'remove'; reason: string } }>(
    '/v1/console/deny-list',
    {
      ...act,
      schema: {
        summary: 'Add a card to, or remove it from, the deny list, with a reason (audited)',
        security,
        body: ConsoleDenyListChangeRequest,
        response: errorResponses(400, 401, 403),
      },
    },
    async (request) => {
      const { cardNumber, action, reason } = request.body;
      const by = actor(request.person);
      const version = await db.transaction(async (tx) => {
        const v = await appendDenyListEntry(tx, { cardNumber, action, reason, createdBy: by });
        await appendAudit(tx, {
          actor: by,
          action: action === 'add' ? 'deny-list-add' : 'deny-list-remove',
          subject: `card:${cardNumber}`,
          reason,
          details: { version: v },
        });
        return v;
      });
      request.log.info({ action, version }, 'deny list changed from the console');
      return { version, cardNumber, action };
    },
  );

  api.get(
    '/v1/console/fleet',
    {
      ...read,
      schema: {
        summary: 'Terminal fleet, the ones needing attention first',
        security,
        response: errorResponses(401, 403),
      },
    },
    async () => ({ terminals: await fleet(db, deps.now()) }),
  );

  api.get<{ Querystring: { from: string; to: string; format: 'json' | 'csv' } }>(
    '/v1/console/settlement',
    {
      ...read,
      schema: {
        summary: 'Settlement per merchant per business day and service, JSON or CSV',
        security,
        querystring: ConsoleSettlementQuery,
        response: errorResponses(400, 401, 403),
      },
    },
    async (request, reply) => {
      const { from, to, format } = request.query;
      checkRange(from, to);
      const days = await settlementDays(db, { from, to });
      if (format === 'csv') {
        const csv = toCsv(
          ['date', 'merchant_id', 'service_code', 'debits', 'gross_kes', 'cancels', 'cancels_kes', 'net_kes'],
          days.map((d) => [
            d.date,
            d.merchantId,
            d.serviceCode,
            d.debitCount,
            centsToKes(d.grossDebitsCents),
            d.cancelCount,
            centsToKes(d.cancelsCents),
            centsToKes(d.netCents),
          ]),
        );
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="settlement-${from}-${to}.csv"`)
          .send(csv);
      }
      return reply.type('application/json').send({ from, to, currency: 'KES', days });
    },
  );

  api.get(
    '/v1/console/topups',
    {
      ...read,
      schema: {
        summary: 'Mobile-money top-ups, pending first',
        security,
        response: errorResponses(401, 403),
      },
    },
    async () => ({ topups: await topups(db, 500) }),
  );

  api.post<{ Body: { merchantId: string; name: string; reason: string } }>(
    '/v1/console/merchants',
    {
      ...act,
      schema: {
        summary: 'Onboard a merchant (audited)',
        security,
        body: MerchantOnboardRequest,
        response: errorResponses(400, 401, 403),
      },
    },
    async (request) => {
      const { merchantId, name, reason } = request.body;
      const by = actor(request.person);
      await db.transaction(async (tx) => {
        await upsertMerchant(tx, merchantId, name);
        await appendAudit(tx, {
          actor: by,
          action: 'merchant-onboard',
          subject: `merchant:${merchantId}`,
          reason,
          details: { name },
        });
      });
      return { merchantId, name };
    },
  );

  api.get<{ Querystring: { after: number; limit: number } }>(
    '/v1/console/audit',
    {
      ...read,
      schema: {
        summary: 'The audit trail, oldest first, paged by entry id',
        security,
        querystring: AuditQuery,
        response: errorResponses(400, 401, 403),
      },
    },
    async (request) => ({
      entries: await listAudit(db, { afterId: request.query.after, limit: request.query.limit }),
    }),
  );
}
