/**
 * Everything a terminal calls, as one plugin: uploads and state, fork reports, load
 * authorizations and shift close, the deny list, its receipts and the bills it took (the last two also answer
 * the operator, and bills anyone: they show the card only to the paying terminal or operator).
 */
import type { FastifyInstance } from 'fastify';
import { registerForkReportRoute } from '../../fork-reports';
import { billQueryRoutes } from '../bills';
import type { RouteDeps } from '../deps';
import { receiptRoutes } from '../receipts';
import { terminalDenyListRoutes } from './deny-list';
import { terminalRequestRoutes } from './requests';
import { uploadRoutes } from './uploads';

export async function terminalRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  await api.register(uploadRoutes, deps);
  registerForkReportRoute(api, { db: deps.db, guard: deps.terminalRequest({ matchParam: true }) });
  await api.register(terminalRequestRoutes, deps);
  await api.register(terminalDenyListRoutes, deps);
  await api.register(receiptRoutes, deps);
  await api.register(billQueryRoutes, deps);
}
