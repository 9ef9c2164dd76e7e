/**
 * Merchant routes: read-only, a merchant's own data (`request.principal.merchantId`). An empty
 * scaffold for now: the accounts work registers its routes here, behind
 * `requirePrincipal(deps.authenticators, ['merchant'])` (http/principal.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../deps';

export async function merchantRoutes(_api: FastifyInstance, _deps: RouteDeps): Promise<void> {}
