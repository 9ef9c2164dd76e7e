import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Compares secrets in constant time. Both sides are hashed first so neither the length nor the
 * position of the first difference leaks through timing.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Who made a terminal request, once `TerminalAuthenticator` has accepted it. */
export interface TerminalIdentity {
  terminalId: string;
  merchantId: string;
}

/**
 * Seam for phase 2: terminals prove who they are with their certificate chain and a signature
 * over the request, not with a bearer token. Returns the identity, or undefined to reject.
 * The default (`rejectAllTerminals`) accepts nobody, so terminal-only routes stay closed until
 * a real authenticator is plugged in.
 */
export interface TerminalAuthenticator {
  authenticate(request: FastifyRequest): Promise<TerminalIdentity | undefined>;
}

export const rejectAllTerminals: TerminalAuthenticator = {
  async authenticate() {
    return undefined;
  },
};
