/**
 * Operator: add a card to, or remove it from, the signed deny list terminals fetch; see which
 * terminals still hold an older version (readers: operators and auditors).
 */
import { DenyListChange, DenyListChangeRequest, DenyListTerminals } from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { denyListFleet } from '../../deny-list-fetches';
import { errorResponses } from '../../http/schemas';
import { appendDenyListEntry } from '../../store';
import type { OperatorRouteDeps } from './deps';

export async function denyListRoutes(operator: FastifyInstance, deps: OperatorRouteDeps): Promise<void> {
  const { db } = deps;

  operator.post<{
    Body: { cardNumber: string; action: 'add' | 'remove'; reason: string; operator?: string };
  }>(
    '/v1/admin/deny-list',
    {
      preHandler: deps.operators,
      schema: {
        summary: 'Add a card to, or remove it from, the deny list',
        security: [{ operator: [] }],
        body: DenyListChangeRequest,
        response: {
          200: DenyListChange,
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

  operator.get(
    '/v1/admin/deny-list/terminals',
    {
      preHandler: deps.readers,
      schema: {
        summary: 'How many terminals hold the current deny-list version, and the ones behind',
        description:
          'Every active terminal the service knows (it uploaded or fetched the deny list); behind: the version each last fetched (null: never), when, and how many versions behind, most behind first.',
        security: [{ operator: [] }],
        response: {
          200: DenyListTerminals,
          ...errorResponses(401, 403),
        },
      },
    },
    async () => denyListFleet(db),
  );
}
