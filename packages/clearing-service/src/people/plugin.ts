/**
 * Everything people use, registered with one line in app.ts: the session cookie parser, sign-in,
 * the operator console, the merchant portal, the public receipt check and the pages.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../routes/deps';
import { merchantPortalRoutes } from '../routes/merchant-portal';
import { operatorConsoleRoutes } from '../routes/operator-console';
import { pageRoutes } from '../routes/pages';
import { receiptCheckRoutes } from '../routes/receipt-check';
import { sessionRoutes } from './session-routes';

export async function peopleRoutes(
  api: FastifyInstance,
  deps: RouteDeps & { issuerCaKeys: readonly Uint8Array[] },
): Promise<void> {
  await api.register(cookie);
  await api.register(sessionRoutes, deps);
  await api.register(operatorConsoleRoutes, deps);
  await api.register(merchantPortalRoutes, deps);
  await api.register(receiptCheckRoutes, deps);
  await api.register(pageRoutes, deps);
}
