/**
 * Request rates, with @fastify/rate-limit (in-process counters): per client address on every
 * route but /healthz (checked first, in onRequest, before any signature is verified), and per
 * authenticated terminal on the terminal routes (checked right after authentication). Terminals
 * behind one carrier NAT share an address, hence the larger per-address budget.
 * Refusals are 429 `ERR_RATE_LIMITED` with Retry-After (seconds).
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors';
import { EDGE_DEFAULTS, type RateLimitOptions } from './limits';

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

function rateLimited(seconds: number, what: string): HttpError {
  return new HttpError(
    429,
    'ERR_RATE_LIMITED',
    `too many requests from this ${what}; retry in ${seconds} s`,
    what === 'terminal' ? 'header.x-huduma-certificate' : undefined,
  );
}

/** Registers the per-address limit on `app` (before the routes); returns the per-terminal check. */
export function registerRateLimits(
  app: FastifyInstance,
  options: RateLimitOptions | false | undefined,
): (request: FastifyRequest, reply: FastifyReply, terminalId: string) => Promise<void> {
  if (options === false) return async () => undefined;
  const windowMs = options?.windowMs ?? EDGE_DEFAULTS.rateLimit.windowMs;
  const perTerminal = options?.perTerminal ?? EDGE_DEFAULTS.rateLimit.perTerminal;
  app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: options?.perAddress ?? EDGE_DEFAULTS.rateLimit.perAddress,
    timeWindow: windowMs,
    // Liveness probes must keep answering whatever a crowd of clients does.
    allowList: (request) => request.url === '/healthz',
    errorResponseBuilder: (_request, context) => rateLimited(Math.ceil(context.ttl / 1000), 'address'),
  });
  let limiter: Limiter | undefined;
  const terminalOf = new WeakMap<FastifyRequest, string>();
  return async (request, reply, terminalId) => {
    limiter ??= request.server.createRateLimit({
      max: perTerminal,
      timeWindow: windowMs,
      keyGenerator: (r) => `terminal:${terminalOf.get(r)}`,
    });
    terminalOf.set(request, terminalId);
    const verdict = await limiter(request);
    if (verdict.isAllowed || !verdict.isExceeded) return;
    reply.header('retry-after', verdict.ttlInSeconds);
    throw rateLimited(verdict.ttlInSeconds, 'terminal');
  };
}
