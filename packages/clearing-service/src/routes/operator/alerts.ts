/** Operator: fraud and integrity alerts (readers: operators and auditors). */
import { AlertList, AlertsQuery } from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../http/schemas';
import { listAlerts } from '../../store';
import type { OperatorRouteDeps } from './deps';

export async function alertRoutes(operator: FastifyInstance, deps: OperatorRouteDeps): Promise<void> {
  const { db } = deps;

  operator.get<{ Querystring: { after: number; limit: number } }>(
    '/v1/admin/alerts',
    {
      preHandler: deps.readers,
      schema: {
        summary: 'Fraud and integrity alerts, oldest first, paged by alert id',
        security: [{ operator: [] }],
        querystring: AlertsQuery,
        response: {
          200: AlertList,
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => ({
      alerts: await listAlerts(db, { afterId: request.query.after, limit: request.query.limit }),
    }),
  );
}
