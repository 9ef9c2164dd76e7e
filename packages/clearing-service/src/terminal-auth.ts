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
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { TerminalAuthenticator, TerminalIdentity } from './auth';
import { CertificateError, type TrustStore, verifyRaw } from './trust';

export const TERMINAL_REQUEST_DOMAIN = 'HUDUMA-CLEARING/TERMINAL-REQUEST/v1';
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export function terminalRequestMessage(
  method: string,
  path: string,
  timestampMs: number,
  body: Uint8Array,
): Uint8Array {
  const m = Buffer.from(method.toUpperCase(), 'ascii');
  const p = Buffer.from(path, 'utf8');
  const head = Buffer.alloc(1 + m.length + 2 + p.length + 8);
  let at = head.writeUInt8(m.length, 0);
  at += m.copy(head, at);
  at = head.writeUInt16BE(p.length, at);
  at += p.copy(head, at);
  head.writeBigUInt64BE(BigInt(timestampMs), at);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from(TERMINAL_REQUEST_DOMAIN, 'ascii'),
      Buffer.of(0),
      head,
      createHash('sha256').update(body).digest(),
    ]),
  );
}

/** Client side: the headers for one request, signed with the terminal's raw 32-byte private key. */
export function signTerminalRequest(args: {
  method: string;
  path: string;
  body?: Uint8Array | string;
  certificate: Uint8Array;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  timestampMs?: number;
}): Record<string, string> {
  const timestampMs = args.timestampMs ?? Date.now();
  const body =
    typeof args.body === 'string' ? Buffer.from(args.body, 'utf8') : (args.body ?? new Uint8Array());
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const key = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: b64(args.privateKey),
      x: b64(args.publicKey.subarray(1, 33)),
      y: b64(args.publicKey.subarray(33)),
    },
    format: 'jwk',
  });
  const signature = nodeSign('sha256', terminalRequestMessage(args.method, args.path, timestampMs, body), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  return {
    'x-huduma-certificate': Buffer.from(args.certificate).toString('base64'),
    'x-huduma-timestamp': String(timestampMs),
    'x-huduma-signature': signature.toString('base64'),
  };
}

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
    if (!Number.isSafeInteger(timestampMs) || Math.abs(nowMs - timestampMs) > MAX_CLOCK_SKEW_MS) {
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
