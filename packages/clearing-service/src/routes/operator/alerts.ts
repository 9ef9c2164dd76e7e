/** Operator: fraud and integrity alerts (readers: operators and auditors). */
import type { FastifyInstance } from 'fastify';
import { errorResponses, indexSchema } from '../../http/schemas';
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
}
