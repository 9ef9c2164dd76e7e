import type { preHandlerAsyncHookHandler } from 'fastify';
import type { RouteDeps } from '../deps';

/** Route deps plus the two guards of operator routes: who may read, who may change. */
export interface OperatorRouteDeps extends RouteDeps {
  /** Operators and auditors (GET routes). */
  readers: preHandlerAsyncHookHandler;
  /** Operators only (routes that change state). */
  operators: preHandlerAsyncHookHandler;
}
