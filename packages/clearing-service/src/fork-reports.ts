/**
 * `POST /v1/terminals/:terminalId/fork-reports`: a terminal whose own log disagrees with what the
 * service holds for it (a restored backup, a cloned disk, tampering) says so, signed with its key,
 * instead of silently refusing to upload. The service raises a critical alert; the terminal
 * keeps refusing to upload until an operator sorts it out (it never overwrites either side).
 * Repeated reports of the same disagreement return the alert already raised.
 */
import { ErrorBody, ForkReportAnswer, ForkReportRequest, TerminalIdParams } from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import type { Db } from './db/types';
import type { TerminalRequestHooks } from './http/terminal-request';
import { raiseAlert } from './store';

export const FORK_REPORT_ALERT_KIND = 'terminal-reported-fork';

export type ForkReportBody = ForkReportRequest;

export function registerForkReportRoute(
  api: FastifyInstance,
  deps: { db: Db; guard: TerminalRequestHooks },
): void {
  api.post<{ Params: { terminalId: string }; Body: ForkReportBody }>(
    '/v1/terminals/:terminalId/fork-reports',
    {
      ...deps.guard,
      schema: {
        summary: "A terminal reports that its log disagrees with the service's (raises a critical alert)",
        description:
          'Terminal-signed (X-Huduma-* headers). Body: the seq where the logs differ and both record hashes (lower-case hex). Answers 202 with the alert id; the same report again returns the same alert.',
        params: TerminalIdParams,
        body: ForkReportRequest,
        response: { 202: ForkReportAnswer, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const { terminalId } = request.params;
      const { seq, localHash, serviceHash } = request.body;
      const known = await deps.db.query<{ alert_id: number }>(
        `SELECT alert_id FROM alerts WHERE kind = $1 AND terminal_id = $2
           AND details->>'seq' = $3 AND details->>'localHash' = $4 AND details->>'serviceHash' = $5
         ORDER BY alert_id LIMIT 1`,
        [FORK_REPORT_ALERT_KIND, terminalId, String(seq), localHash, serviceHash],
      );
      if (known[0]) return reply.status(202).send({ alertId: known[0].alert_id, status: 'known' });
      const alertId = await raiseAlert(deps.db, {
        kind: FORK_REPORT_ALERT_KIND,
        severity: 'critical',
        terminalId,
        details: { seq, localHash, serviceHash, reportedBy: 'terminal' },
      });
      request.log.error({ terminalId, seq, localHash, serviceHash }, 'terminal reported a log fork');
      return reply.status(202).send({ alertId, status: 'raised' });
    },
  );
}
