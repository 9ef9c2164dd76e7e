/**
 * Who is asking, for the people's routes: the session cookie, the role it carries, and for
 * every state-changing method the CSRF token of that session. One guard for the operator
 * console, the auditor's read-only view and the merchant portal.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { secretsEqual } from '../auth';
import type { Db } from '../db/types';
import { HttpError } from '../errors';
import type { Role } from './accounts';
import { CSRF_HEADER, loadSession, SESSION_COOKIE, type Session } from './sessions';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in person, set by `personGuard`. */
    person?: Session;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function sessionOf(
  db: Db,
  request: FastifyRequest,
  nowMs: number,
): Promise<Session | undefined> {
  const token = request.cookies?.[SESSION_COOKIE];
  return token ? loadSession(db, token, nowMs) : undefined;
}

export function personGuard(deps: { db: Db; now: () => number }, roles: readonly Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const session = await sessionOf(deps.db, request, deps.now());
    if (!session) {
      throw new HttpError(401, 'ERR_UNAUTHORIZED', 'sign in first', `cookie.${SESSION_COOKIE}`);
    }
    if (!roles.includes(session.role)) {
      throw new HttpError(403, 'ERR_FORBIDDEN', `a ${session.role} may not use this page`, 'session.role');
    }
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !secretsEqual(sent, session.csrfToken)) {
        throw new HttpError(403, 'ERR_CSRF', 'missing or wrong CSRF token', `header.${CSRF_HEADER}`);
      }
    }
    request.person = session;
  };
}

/** Card numbers as people see them: the first 4 and last 4 digits (pseudonymous, and masked). */
export function maskCard(cardNumber: string | null): string | null {
  return cardNumber === null ? null : `${cardNumber.slice(0, 4)} •••• •••• ${cardNumber.slice(-4)}`;
}
