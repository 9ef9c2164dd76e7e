/**
 * Terminal authentication of every terminal route (JSON requests and batch uploads alike): the
 * terminal signs each request with the key its certificate certifies. Five headers:
 *
 *   X-Huduma-Certificate:    base64 of the 165-byte terminal certificate (SPEC.md §5)
 *   X-Huduma-Timestamp:      milliseconds since the Unix epoch (accepted within ±5 minutes)
 *   X-Huduma-Nonce:          16 random bytes, hex; a (terminal, nonce) is accepted once
 *   X-Huduma-Content-SHA256: SHA-256 of the body bytes, hex (of nothing without a body)
 *   X-Huduma-Signature:      base64 of the raw r||s P-256 signature over SHA-256 of
 *
 *     "HUDUMA-CLEARING/TERMINAL-REQUEST/v2" 0x00
 *     u8 len | method (ASCII, upper case) | u16 len | path with query string (as sent)
 *     u64 timestampMs | nonce (16) | u64 Content-Length (0 without a body) | SHA-256(body) (32)
 *
 * Everything here is checked from the headers alone, before any body byte is read: the
 * certificate must chain to a trusted acquirer CA, be within its validity and its terminal must
 * not be revoked; the signature binds the declared length and body hash, and the route checks
 * the body against that hash once read (http/terminal-request.ts).
 */
import {
  MAX_REQUEST_CLOCK_SKEW_MS,
  TERMINAL_REQUEST_NONCE_LENGTH,
  terminalRequestMessage,
} from '@huduma/txlog';
import type { FastifyRequest } from 'fastify';
import type { TerminalAuthenticator, TerminalIdentity } from './auth';
import { CertificateError, type TrustStore, verifyRaw } from './trust';

export interface AuthenticatedTerminal extends TerminalIdentity {
  capabilities: number;
  /** The certificate the request was signed under (absent with a pluggable authenticator). */
  certificate?: Uint8Array;
  /** What the signature binds, for the replay and body checks. */
  signed?: { timestampMs: number; nonce: Uint8Array; contentLength: number; bodySha256: Uint8Array };
}

/** Why a terminal request was refused, for the JSON error the route answers with. */
export interface TerminalAuthFailure {
  status: 400 | 401 | 403 | 411;
  code: string;
  message: string;
  field?: string;
}

const HEX = (bytes: number) => new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`);
const NONCE_HEX = HEX(TERMINAL_REQUEST_NONCE_LENGTH);
const SHA256_HEX = HEX(32);

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

  /** Like authenticate, but says why a request was refused. Reads headers only. */
  async check(request: FastifyRequest): Promise<AuthenticatedTerminal | TerminalAuthFailure> {
    const h = request.headers;
    const certHeader = h['x-huduma-certificate'];
    const timestampHeader = h['x-huduma-timestamp'];
    const nonceHeader = h['x-huduma-nonce'];
    const shaHeader = h['x-huduma-content-sha256'];
    const signatureHeader = h['x-huduma-signature'];
    const missing = (
      [
        ['x-huduma-certificate', certHeader],
        ['x-huduma-timestamp', timestampHeader],
        ['x-huduma-nonce', nonceHeader],
        ['x-huduma-content-sha256', shaHeader],
        ['x-huduma-signature', signatureHeader],
      ] as const
    ).find(([, value]) => typeof value !== 'string');
    if (missing) {
      return {
        status: 401,
        code: 'ERR_TERMINAL_AUTH_MISSING',
        message:
          'X-Huduma-Certificate, X-Huduma-Timestamp, X-Huduma-Nonce, X-Huduma-Content-SHA256 and X-Huduma-Signature are required',
        field: `header.${missing[0]}`,
      };
    }
    const nowMs = this.now();
    const timestampMs = Number(timestampHeader);
    if (!Number.isSafeInteger(timestampMs) || Math.abs(nowMs - timestampMs) > MAX_REQUEST_CLOCK_SKEW_MS) {
      return {
        status: 401,
        code: 'ERR_TERMINAL_AUTH_TIME',
        message: `X-Huduma-Timestamp ${String(timestampHeader)} is more than 5 minutes from the service clock`,
        field: 'header.x-huduma-timestamp',
      };
    }
    if (!NONCE_HEX.test(nonceHeader as string)) {
      return {
        status: 400,
        code: 'ERR_TERMINAL_AUTH_NONCE',
        message: `X-Huduma-Nonce must be ${TERMINAL_REQUEST_NONCE_LENGTH} bytes in hex`,
        field: 'header.x-huduma-nonce',
      };
    }
    if (!SHA256_HEX.test(shaHeader as string)) {
      return {
        status: 400,
        code: 'ERR_TERMINAL_AUTH_CONTENT_SHA256',
        message: 'X-Huduma-Content-SHA256 must be 32 bytes in hex',
        field: 'header.x-huduma-content-sha256',
      };
    }
    // The signature binds the declared length: a chunked body has none to bind.
    if (h['transfer-encoding'] !== undefined) {
      return {
        status: 411,
        code: 'ERR_CONTENT_LENGTH_REQUIRED',
        message: 'signed terminal requests send their body with Content-Length, not chunked',
        field: 'header.content-length',
      };
    }
    const contentLength = h['content-length'] === undefined ? 0 : Number(h['content-length']);
    if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
      return {
        status: 400,
        code: 'ERR_CONTENT_LENGTH',
        message: 'Content-Length is not a number',
        field: 'header.content-length',
      };
    }
    let verified: ReturnType<TrustStore['terminalCertificate']>;
    const certificate = new Uint8Array(Buffer.from(certHeader as string, 'base64'));
    try {
      verified = this.trust.terminalCertificate(certificate, Math.floor(nowMs / 1000));
    } catch (error) {
      if (error instanceof CertificateError)
        return {
          status: 401,
          code: error.code,
          message: error.message,
          field: 'header.x-huduma-certificate',
        };
      throw error;
    }
    const nonce = new Uint8Array(Buffer.from(nonceHeader as string, 'hex'));
    const bodySha256 = new Uint8Array(Buffer.from(shaHeader as string, 'hex'));
    const message = terminalRequestMessage({
      method: request.method,
      path: request.url,
      timestampMs,
      nonce,
      contentLength,
      bodySha256,
    });
    if (!verifyRaw(verified.key, message, new Uint8Array(Buffer.from(signatureHeader as string, 'base64')))) {
      return {
        status: 401,
        code: 'ERR_TERMINAL_AUTH_SIGNATURE',
        message: 'request signature does not verify with the certificate key',
        field: 'header.x-huduma-signature',
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
      certificate,
      signed: { timestampMs, nonce, contentLength, bodySha256 },
    };
  }
}
