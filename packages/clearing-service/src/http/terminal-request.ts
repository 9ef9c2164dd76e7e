/**
 * The one mechanism of every terminal-signed route (JSON requests and batch uploads): hooks that
 * authenticate from the headers before any body byte is read (preParsing), then check the body
 * read under the route's limit against the signed SHA-256 (preValidation), before it is parsed
 * further or decoded. Spread into a route's options: `...terminalRequest({ capability })`.
 *
 * preParsing, in order: operator bearer token (routes that allow it); certificate chain,
 * validity, clock window, signature and revocation (terminal-auth.ts); the URL's terminal id;
 * the certificate's capability; the per-terminal rate; the nonce (409 on a replay).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type {
  FastifyReply,
  FastifyRequest,
  preParsingAsyncHookHandler,
  preValidationAsyncHookHandler,
} from 'fastify';
import type { TerminalAuthenticator } from '../auth';
import { HttpError } from '../errors';
import type { RequestNonces } from '../request-nonces';
import type {
  AuthenticatedTerminal,
  CertificateTerminalAuthenticator,
  TerminalAuthFailure,
} from '../terminal-auth';
import { type Authenticator, findPrincipal } from './principal';

declare module 'fastify' {
  interface FastifyRequest {
    terminal?: AuthenticatedTerminal;
  }
}

export interface TerminalRequestOptions {
  /** Certificate capability bit the route needs. */
  capability?: number;
  /** The URL's :terminalId must be the authenticated terminal. */
  matchParam?: boolean;
  /**
   * An operator credential is accepted instead of a terminal signature (an auditor's too on GET:
   * auditors read, never change).
   */
  allowOperator?: boolean;
  /**
   * Credentials are optional (a public route that shows more to its owner): a request without
   * X-Huduma-Signature passes anonymously; one with it is checked in full, like any other.
   */
  optional?: boolean;
}

export interface TerminalRequestHooks {
  preParsing: preParsingAsyncHookHandler[];
  preValidation: preValidationAsyncHookHandler[];
}

export type TerminalRequestGuard = (options?: TerminalRequestOptions) => TerminalRequestHooks;

export interface TerminalRequestDeps {
  terminalAuth: TerminalAuthenticator;
  /** Operator credentials (http/principal.ts) for routes that allow them. */
  operators: readonly Authenticator[];
  /** Undefined: nonces are not checked (only with a pluggable authenticator that signs none). */
  nonces: RequestNonces | undefined;
  limitTerminal: (request: FastifyRequest, reply: FastifyReply, terminalId: string) => Promise<void>;
}

const EMPTY = new Uint8Array();

async function authenticate(
  auth: TerminalAuthenticator,
  request: FastifyRequest,
): Promise<AuthenticatedTerminal | TerminalAuthFailure> {
  const checker = auth as Partial<CertificateTerminalAuthenticator>;
  if (checker.check) return checker.check(request);
  const identity = (await auth.authenticate(request)) as AuthenticatedTerminal | undefined;
  return identity ?? { status: 401, code: 'ERR_UNAUTHORIZED', message: 'terminal authentication required' };
}

export function terminalRequestGuard(deps: TerminalRequestDeps): TerminalRequestGuard {
  return (options = {}) => {
    const preParsing: preParsingAsyncHookHandler = async (request, reply, payload) => {
      if (options.allowOperator) {
        const principal = await findPrincipal(deps.operators, request);
        if (
          principal &&
          (principal.kind === 'operator' || (principal.kind === 'auditor' && request.method === 'GET'))
        ) {
          request.principal = principal;
          return payload;
        }
      }
      if (options.optional && request.headers['x-huduma-signature'] === undefined) return payload;
      const result = await authenticate(deps.terminalAuth, request);
      if (!('terminalId' in result)) {
        // No credential of either kind: say both are possible.
        const noCredential =
          request.headers.authorization === undefined && request.headers['x-huduma-signature'] === undefined;
        if (options.allowOperator && result.code === 'ERR_TERMINAL_AUTH_MISSING' && noCredential) {
          throw new HttpError(
            401,
            'ERR_UNAUTHORIZED',
            'operator or terminal authentication required',
            result.field,
          );
        }
        throw new HttpError(result.status, result.code, result.message, result.field);
      }
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
          'header.x-huduma-certificate',
        );
      }
      await deps.limitTerminal(request, reply, result.terminalId);
      if (result.signed && deps.nonces) {
        const fresh = await deps.nonces.claim(
          result.terminalId,
          result.signed.nonce,
          result.signed.timestampMs,
        );
        if (!fresh) {
          throw new HttpError(
            409,
            'ERR_TERMINAL_REQUEST_REPLAYED',
            `terminal ${result.terminalId} already sent a request with this nonce`,
            'header.x-huduma-nonce',
          );
        }
      }
      request.log.info({ terminalId: result.terminalId }, 'terminal authenticated');
      request.terminal = result;
      request.principal = { kind: 'terminal', id: result.terminalId, merchantId: result.merchantId };
      return payload;
    };
    const preValidation: preValidationAsyncHookHandler = async (request) => {
      const signed = request.terminal?.signed;
      if (!signed) return;
      const body = request.rawBody ?? EMPTY;
      const digest = createHash('sha256').update(body).digest();
      if (body.length !== signed.contentLength || !timingSafeEqual(digest, signed.bodySha256)) {
        throw new HttpError(
          401,
          'ERR_TERMINAL_AUTH_BODY',
          'the body is not the one the request signature covers (X-Huduma-Content-SHA256)',
          'header.x-huduma-content-sha256',
        );
      }
    };
    return { preParsing: [preParsing], preValidation: [preValidation] };
  };
}
