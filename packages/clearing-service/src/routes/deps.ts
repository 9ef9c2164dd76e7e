/**
 * What every route plugin needs, and the operator's credential guard. Terminal-signed routes use
 * the one header-authenticated mechanism of http/terminal-request.ts (`deps.terminalRequest`):
 * its hooks authenticate before any body byte is read and check the body against the signature.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, secretsEqual } from '../auth';
import type { Db } from '../db/types';
import { HttpError } from '../errors';
import type { TerminalRequestGuard } from '../http/terminal-request';
import type { IngestContext } from '../ingest';
import type { LoadAuthoritySigner } from '../loads';
import type { Signer } from '../signer';
import type { StorageProbe } from '../storage-probe';

export interface RouteDeps {
  db: Db;
  signer: Signer;
  operatorToken: string;
  topupCallbackToken: string | undefined;
  /** Undefined when no trust anchors are configured: uploads answer 503. */
  ingest: IngestContext | undefined;
  /** Hooks of every terminal-signed route (http/terminal-request.ts): `...deps.terminalRequest({ … })`. */
  terminalRequest: TerminalRequestGuard;
  loadAuthority: LoadAuthoritySigner | undefined;
  storage: StorageProbe;
  now: () => number;
}

export function isOperator(deps: Pick<RouteDeps, 'operatorToken'>, request: FastifyRequest): boolean {
  const token = bearerToken(request);
  return token !== undefined && secretsEqual(token, deps.operatorToken);
}

export function operatorGuard(deps: Pick<RouteDeps, 'operatorToken'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isOperator(deps, request)) return;
    request.log.warn({ route: request.routeOptions.url }, 'operator authentication failed');
    void reply.header('www-authenticate', 'Bearer');
    throw new HttpError(
      401,
      'ERR_UNAUTHORIZED',
      'operator bearer token missing or wrong',
      'header.authorization',
    );
  };
}

export { toHex as hex } from '@huduma/card-applet-spec';
