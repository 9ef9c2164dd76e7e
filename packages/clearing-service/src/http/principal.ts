/**
 * The one authentication interface of every route: an `Authenticator` reads a request's
 * credential and answers the `Principal` it proves. Terminals prove themselves with a request
 * signature (http/terminal-request.ts, from the headers before the body is read); the operator
 * with the bearer token configured at startup; accounts with sessions plug in here too (another
 * Authenticator in `ClearingServiceOptions.authenticators`). Routes say which kinds they admit
 * (`requirePrincipal`), and read `request.principal`.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { bearerToken, secretsEqual } from '../auth';
import { HttpError } from '../errors';

export type PrincipalKind = 'terminal' | 'operator' | 'auditor' | 'merchant' | 'public';

/** Who a request is. `merchantId` for terminals and merchants: whose data they may read. */
export interface Principal {
  kind: PrincipalKind;
  id: string;
  merchantId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the route's guard once a credential was accepted (absent on public routes). */
    principal?: Principal;
  }
}

export interface Authenticator {
  /**
   * The principal the request's credential proves; undefined when the request carries no
   * credential this authenticator reads. A credential it reads and refuses: undefined too (the
   * guard answers 401), or a thrown HttpError when the refusal has more to say.
   */
  authenticate(request: FastifyRequest): Promise<Principal | undefined>;
}

/** `Authorization: Bearer <operator token>`: the operator, compared in constant time. */
export class OperatorTokenAuthenticator implements Authenticator {
  constructor(private readonly token: string) {}
  async authenticate(request: FastifyRequest): Promise<Principal | undefined> {
    const given = bearerToken(request);
    if (given === undefined || !secretsEqual(given, this.token)) return undefined;
    return { kind: 'operator', id: 'operator-token' };
  }
}

/** The first principal any authenticator accepts, in order. */
export async function findPrincipal(
  authenticators: readonly Authenticator[],
  request: FastifyRequest,
): Promise<Principal | undefined> {
  for (const authenticator of authenticators) {
    const principal = await authenticator.authenticate(request);
    if (principal) return principal;
  }
  return undefined;
}

/** Auditors read what operators read, and change nothing. */
export const READERS: readonly PrincipalKind[] = ['operator', 'auditor'];
export const OPERATORS: readonly PrincipalKind[] = ['operator'];

/**
 * preHandler admitting the given kinds: 401 without an accepted credential, 403 for a principal
 * of another kind (an auditor asking to change something).
 */
export function requirePrincipal(
  authenticators: readonly Authenticator[],
  kinds: readonly PrincipalKind[],
): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const principal = request.principal ?? (await findPrincipal(authenticators, request));
    if (!principal) {
      request.log.warn({ route: request.routeOptions.url }, 'authentication failed');
      void reply.header('www-authenticate', 'Bearer');
      throw new HttpError(
        401,
        'ERR_UNAUTHORIZED',
        'operator credential missing or wrong',
        'header.authorization',
      );
    }
    if (!kinds.includes(principal.kind)) {
      request.log.warn({ route: request.routeOptions.url, kind: principal.kind }, 'forbidden');
      throw new HttpError(403, 'ERR_FORBIDDEN', `a ${principal.kind} may not do this`);
    }
    request.principal = principal;
  };
}
