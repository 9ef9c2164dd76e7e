/**
 * Signing in and out. The cookie is HttpOnly, SameSite=Strict, Path=/, Secure when the request
 * came over TLS (directly or through a trusted proxy), and expires with the server-side row.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/types';
import { HttpError } from '../errors';
import { errorResponses } from '../http/schemas';
import { checkPassword, findAccountForLogin, PASSWORD_MAX, USERNAME_PATTERN } from './accounts';
import { personGuard, sessionOf } from './guard';
import { createSession, deleteSession, SESSION_COOKIE, type Session } from './sessions';
import { clearFailures, lockedFor, recordFailure, type ThrottleSubject } from './throttle';

const sessionSchema = {
  type: 'object',
  required: ['username', 'role', 'merchantId', 'csrfToken', 'expiresAt'],
  properties: {
    username: { type: 'string' },
    role: { type: 'string', enum: ['operator', 'auditor', 'merchant'] },
    merchantId: { type: ['string', 'null'] },
    csrfToken: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

const sessionJson = (s: Session) => ({
  username: s.username,
  role: s.role,
  merchantId: s.merchantId,
  csrfToken: s.csrfToken,
  expiresAt: new Date(s.expiresMs).toISOString(),
});

function setCookie(request: FastifyRequest, reply: FastifyReply, value: string, expires: Date): void {
  void reply.setCookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    path: '/',
    expires,
  });
}

export async function sessionRoutes(
  api: FastifyInstance,
  deps: { db: Db; now: () => number },
): Promise<void> {
  const { db, now } = deps;

  api.post<{ Body: { username: string; password: string } }>(
    '/v1/session',
    {
      schema: {
        summary: 'Sign in (operator, auditor or merchant): sets the session cookie',
        body: {
          type: 'object',
          required: ['username', 'password'],
          properties: {
            username: { type: 'string', pattern: USERNAME_PATTERN },
            password: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX },
          },
          additionalProperties: false,
        },
        response: { 200: sessionSchema, ...errorResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const subjects: ThrottleSubject[] = [
        { kind: 'account', id: username },
        { kind: 'ip', id: request.ip },
      ];
      const wait = await lockedFor(db, subjects, now());
      if (wait > 0) {
        void reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new HttpError(429, 'ERR_LOGIN_THROTTLED', 'too many failed sign-ins: wait and try again');
      }
      const account = await findAccountForLogin(db, username);
      if (!(await checkPassword(account?.passwordHash, password)) || !account) {
        await recordFailure(db, subjects, now());
        request.log.warn({ username }, 'sign-in refused');
        throw new HttpError(401, 'ERR_LOGIN', 'wrong username or password');
      }
      await clearFailures(db, subjects[0]!);
      const { token, session } = await createSession(db, account, now());
      setCookie(request, reply, token, new Date(session.expiresMs));
      request.log.info({ username, role: account.role }, 'signed in');
      return sessionJson(session);
    },
  );

  api.get(
    '/v1/session',
    {
      schema: {
        summary: 'The signed-in person and the CSRF token their pages send back',
        response: { 200: sessionSchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const session = await sessionOf(db, request, now());
      if (!session) throw new HttpError(401, 'ERR_UNAUTHORIZED', 'sign in first', `cookie.${SESSION_COOKIE}`);
      return sessionJson(session);
    },
  );

  api.post(
    '/v1/session/logout',
    {
      onRequest: personGuard(deps, ['operator', 'auditor', 'merchant']),
      schema: { summary: 'Sign out: the session row is deleted', response: errorResponses(401, 403) },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await deleteSession(db, token);
      setCookie(request, reply, '', new Date(0));
      return { signedOut: true };
    },
  );
}
