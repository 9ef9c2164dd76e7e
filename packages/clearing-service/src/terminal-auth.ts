/**
 * Terminal authentication for the JSON routes: the terminal signs each request with the key its
 * certificate certifies. Three headers:
 *
 *   X-Huduma-Certificate: base64 of the 165-byte terminal certificate (SPEC.md §5)
 *   X-Huduma-Timestamp:   milliseconds since the Unix epoch (accepted within ±5 minutes)
 *   X-Huduma-Signature:   base64 of the raw r||s P-256 signature over SHA-256 of
 *
 *     "HUDUMA-CLEARING/TERMINAL-REQUEST/v1" 0x00
 *     u8 len | method (ASCII, upper case) | u16 len | path with query string (as sent)
 *     u64 timestampMs | SHA-256(body bytes; empty body → SHA-256 of nothing)
 *
 * The certificate must chain to a trusted acquirer CA, be within its validity and its terminal
 * must not be revoked. Batch uploads do not use these headers: the batch carries its own
 * certificate and terminal-signed checkpoint.
 */
import { MAX_REQUEST_CLOCK_SKEW_MS, terminalRequestMessage } from '@huduma/txlog';
import type { FastifyRequest } from 'fastify';
import type { TerminalAuthenticator, TerminalIdentity } from './auth';
import { CertificateError, type TrustStore, verifyRaw } from './trust';

export interface AuthenticatedTerminal extends TerminalIdentity {
  capabilities: number;
}

/** Why a terminal request was refused, for the JSON error the route answers with. */
export interface TerminalAuthFailure {
  status: 401 | 403;
  code: string;
  message: string;
}

export class CertificateTerminalAuthenticator implements TerminalAuthenticator {
  constructor(
    private readonly trust: TrustStore,
    private readonly isRevoked: (terminalId: string) => Promise<boolean>,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthenticatedTerminal | undefined> {
    const result = await this.check(request);
    return 'terminalId' in result ? result : undefined;
  }

  /** Like authenticate, but says why a request was refused. */
  async check(request: FastifyRequest): Promise<AuthenticatedTerminal | TerminalAuthFailure> {
    const certHeader = request.headers['x-huduma-certificate'];
    const timestampHeader = request.headers['x-huduma-timestamp'];
    const signatureHeader = request.headers['x-huduma-signature'];
    if (
      typeof certHeader !== 'string' ||
      typeof timestampHeader !== 'string' ||
      typeof signatureHeader !== 'string'
    ) {
      return {
        status: 401,
        code: 'ERR_TERMINAL_AUTH_MISSING',
        message: 'X-Huduma-Certificate, X-Huduma-Timestamp and X-Huduma-Signature are required',
      };
    }
    const nowMs = this.now();
    const timestampMs = Number(timestampHeader);
    if (!Number.isSafeInteger(timestampMs) || Math.abs(nowMs - timestampMs) > MAX_REQUEST_CLOCK_SKEW_MS) {
      return {
        status: 401,
        code: 'ERR_TERMINAL_AUTH_TIME',
        message: `X-Huduma-Timestamp ${timestampHeader} is more than 5 minutes from the service clock`,
      };
    }
    let verified: ReturnType<TrustStore['terminalCertificate']>;
    try {
      verified = this.trust.terminalCertificate(
        new Uint8Array(Buffer.from(certHeader, 'base64')),
        Math.floor(nowMs / 1000),
      );
    } catch (error) {
      if (error instanceof CertificateError) return { status: 401, code: error.code, message: error.message };
      throw error;
    }
    const body = (request as FastifyRequest & { rawBody?: Uint8Array }).rawBody ?? new Uint8Array();
    const message = terminalRequestMessage(request.method, request.url, timestampMs, body);
    if (!verifyRaw(verified.key, message, new Uint8Array(Buffer.from(signatureHeader, 'base64')))) {
      return {
        status: 401,
        code: 'ERR_TERMINAL_AUTH_SIGNATURE',
        message: 'request signature does not verify with the certificate key',
      };
    }
    if (await this.isRevoked(verified.cert.terminalId)) {
      return {
        status: 403,
        code: 'ERR_TERMINAL_REVOKED',
        message: `terminal ${verified.cert.terminalId} is revoked`,
      };
    }
    return {
      terminalId: verified.cert.terminalId,
      merchantId: verified.cert.merchantId,
      capabilities: verified.cert.capabilities,
    };
  }
}
