/**
 * What every route plugin needs, and the credential guards they share: the operator's bearer
 * token, the mobile-money callback token, and terminal-signed requests (terminal-auth.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, secretsEqual, type TerminalAuthenticator } from '../auth';
import type { Db } from '../db/types';
import { HttpError } from '../errors';
import type { IngestContext } from '../ingest';
import type { LoadAuthoritySigner } from '../loads';
import type { Signer } from '../signer';
import type { StorageProbe } from '../storage-probe';
import type { AuthenticatedTerminal, CertificateTerminalAuthenticator } from '../terminal-auth';

export interface RouteDeps {
  db: Db;
  signer: Signer;
  operatorToken: string;
  topupCallbackToken: string | undefined;
  /** Undefined when no trust anchors are configured: uploads answer 503. */
  ingest: IngestContext | undefined;
  terminalAuth: TerminalAuthenticator;
  loadAuthority: LoadAuthoritySigner | undefined;
  storage: StorageProbe;
  now: () => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    terminal?: AuthenticatedTerminal;
    rawBody?: Uint8Array;
  }
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

/** The terminal a request is signed by, or why not; undefined when no signature headers were sent. */
export async function checkTerminal(
  deps: Pick<RouteDeps, 'terminalAuth'>,
  request: FastifyRequest,
): Promise<AuthenticatedTerminal | { status: number; code: string; message: string }> {
  const auth = deps.terminalAuth as Partial<CertificateTerminalAuthenticator>;
  if (auth.check) return auth.check(request);
  const identity = (await deps.terminalAuth.authenticate(request)) as AuthenticatedTerminal | undefined;
  return identity ?? { status: 401, code: 'ERR_UNAUTHORIZED', message: 'terminal authentication required' };
}

/** Terminal-signed request (terminal-auth.ts), optionally with a capability and the URL's terminal id. */
export function terminalGuard(
  deps: Pick<RouteDeps, 'terminalAuth' | 'operatorToken'>,
  options: { capability?: number; matchParam?: boolean; allowOperator?: boolean },
) {
  return async (request: FastifyRequest): Promise<void> => {
    if (options.allowOperator && isOperator(deps, request)) return;
    const result = await checkTerminal(deps, request);
    if (!('terminalId' in result)) throw new HttpError(result.status, result.code, result.message);
    const param = (request.params as { terminalId?: string }).terminalId;
    if (options.matchParam && param !== result.terminalId) {
      throw new HttpError(
        403,
        'ERR_TERMINAL_ID_MISMATCH',
        `authenticated as ${result.terminalId}, not ${param}`,
        'params.terminalId',
      );
    }
    if (options.capability !== undefined && ((result.capabilities ?? 0) & options.capability) === 0) {
      throw new HttpError(
        403,
        'ERR_TERMINAL_CAPABILITY',
        `terminal ${result.terminalId} is not certified for this operation`,
      );
    }
    request.terminal = result;
  };
}

/** Operator, or a terminal accepted by the terminal authenticator. */
export function operatorOrTerminalGuard(deps: Pick<RouteDeps, 'terminalAuth' | 'operatorToken'>) {
  return async (request: FastifyRequest): Promise<void> => {
    if (isOperator(deps, request)) return;
    const terminal = await deps.terminalAuth.authenticate(request);
    if (terminal) {
      request.log.info({ terminalId: terminal.terminalId }, 'terminal authenticated');
      return;
    }
    throw new HttpError(401, 'ERR_UNAUTHORIZED', 'operator or terminal authentication required');
  };
}

export const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
