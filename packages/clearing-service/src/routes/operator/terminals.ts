/** Operator: the terminal fleet (revocation). */

import { TerminalIdParams, TerminalRevokeRequest } from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import type { OperatorRouteDeps } from './deps';

export async function terminalFleetRoutes(operator: FastifyInstance, deps: OperatorRouteDeps): Promise<void> {
  const { db } = deps;

  operator.post<{ Params: { terminalId: string }; Body: { reason: string; operator?: string } }>(
    '/v1/admin/terminals/:terminalId/revoke',
    {
      preHandler: deps.operators,
      schema: {
        summary: 'Revoke a terminal: its uploads and signed requests are refused from now on',
        security: [{ operator: [] }],
        params: TerminalIdParams,
        body: TerminalRevokeRequest,
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
}
