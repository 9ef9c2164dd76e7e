/**
 * Operator routes (`/v1/admin/*`), split by concern. Every route admits operators; the ones that
 * only read admit auditors too (http/principal.ts). Credentials come from `deps.authenticators`.
 */
import type { FastifyInstance } from 'fastify';
import { OPERATORS, READERS, requirePrincipal } from '../../http/principal';
import type { RouteDeps } from '../deps';
import { alertRoutes } from './alerts';
import { operatorBillRoutes } from './bills';
import { cardRoutes } from './cards';
import { denyListRoutes } from './deny-list';
import type { OperatorRouteDeps } from './deps';
import { settlementRoutes } from './settlement';
import { terminalFleetRoutes } from './terminals';

export async function operatorRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const operatorDeps: OperatorRouteDeps = {
    ...deps,
    readers: requirePrincipal(deps.authenticators, READERS),
    operators: requirePrincipal(deps.authenticators, OPERATORS),
  };
  await api.register(alertRoutes, operatorDeps);
  await api.register(denyListRoutes, operatorDeps);
  await api.register(terminalFleetRoutes, operatorDeps);
  await api.register(settlementRoutes, operatorDeps);
  await api.register(cardRoutes, operatorDeps);
  await api.register(operatorBillRoutes, operatorDeps);
}
