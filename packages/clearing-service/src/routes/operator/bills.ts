/** Operator: register an eCitizen bill (normally fed by the eCitizen integration). */
import { BillRegistration } from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../errors';
import { errorResponses } from '../../http/schemas';
import type { OperatorRouteDeps } from './deps';

export async function operatorBillRoutes(operator: FastifyInstance, deps: OperatorRouteDeps): Promise<void> {
  const { db } = deps;
  operator.post<{ Body: { billRef: string; serviceCode: number; amountCents: number } }>(
    '/v1/admin/bills',
    {
      preHandler: deps.operators,
      schema: {
        summary: 'Register an eCitizen bill (normally fed by the eCitizen integration)',
        security: [{ operator: [] }],
        body: BillRegistration,
        response: { ...errorResponses(400, 401, 409, 422) },
      },
    },
    async (request) => {
      const b = request.body;
      const known = await db.query('SELECT 1 FROM catalog WHERE service_code = $1', [b.serviceCode]);
      if (known.length === 0) {
        throw new HttpError(
          422,
          'ERR_SERVICE_UNKNOWN',
          `service code ${b.serviceCode} is not in the catalog`,
          'body.serviceCode',
        );
      }
      const rows = await db.query(
        `INSERT INTO bills (bill_ref, service_code, amount_cents) VALUES ($1, $2, $3) ON CONFLICT (bill_ref) DO NOTHING RETURNING bill_ref`,
        [b.billRef, b.serviceCode, b.amountCents],
      );
      if (rows.length === 0) {
        throw new HttpError(409, 'ERR_BILL_EXISTS', `bill ${b.billRef} exists`, 'body.billRef');
      }
      return { billRef: b.billRef, status: 'open' };
    },
  );
}
