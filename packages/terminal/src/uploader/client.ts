import { verify } from 'node:crypto';
import { toHex as hex } from '@huduma/card-applet-spec';
import {
  BatchReceiptAnswer as BatchReceiptSchema,
  Catalog,
  checkAnswer,
  ForkReportAnswer,
  type LoadAuthorizationRequest,
  LoadAuthorizationAnswer as LoadAuthorizationSchema,
  PendingTopups,
  type BatchReceiptAnswer as ProtocolBatchReceipt,
  type LoadAuthorizationAnswer as ProtocolLoadAuthorizationAnswer,
  SignedDenyList,
  TerminalState,
  type Topup,
} from '@huduma/clearing-protocol';
import { p256PublicKeyObject } from '@huduma/pki';
import { encodeUploadBatch, signTerminalRequest } from '@huduma/txlog';
import type { Static, TSchema } from '@sinclair/typebox';
import { ClearingRejectedError, ClearingServerError, ClearingUnreachableError } from './errors';

/** The terminal identity that signs requests: what `TerminalEngine.config` holds. */
export interface TerminalCredentials {
  terminalId: string;
  /** The 165-byte terminal certificate. */
  certificateBytes: Uint8Array;
  /** Raw 32-byte P-256 private key. */
  privateKey: Uint8Array;
  /** 65-byte uncompressed public key: the certificate's `keyAgreementKey` (one key, separate domains). */
  publicKey: Uint8Array;
}

export interface ClearingClientOptions {
  /**
   * e.g. `http://127.0.0.1:8080` (no trailing path). Several service addresses — an array, or one
   * string with commas — are tried in order when one is unreachable or answers 502/503/504; the
   * client stays with the address that answered.
   */
  baseUrl: string | readonly string[];
  terminal: TerminalCredentials;
  /** Per request, ms (default 30 s). An upload that takes longer is abandoned and retried. */
  timeoutMs?: number;
  /** Terminal clock for request timestamps (default Date.now). */
  clock?: () => number;
  fetch?: typeof fetch;
}

// The bodies are the service's, defined once in @huduma/clearing-protocol; the names the
// terminal has always used stay as aliases.
export type TerminalStateAnswer = TerminalState;
export type BatchReceiptAnswer = ProtocolBatchReceipt;
export type SignedDenyListAnswer = SignedDenyList;
export type CatalogAnswer = Catalog;
export type PendingTopup = Topup;
export type LoadAuthorizationAnswer = ProtocolLoadAuthorizationAnswer;

/**
 * A thin HTTP client of the clearing service for one terminal: every terminal route, uploads
 * included, is signed (X-Huduma-* headers over method, path, timestamp, a fresh nonce, the body
 * length and the body's SHA-256; each call signs anew, so a retry never replays a nonce).
 * Failures become typed errors:
 * ClearingUnreachableError (network), ClearingServerError (5xx), ClearingRejectedError (4xx).
 */
export class ClearingClient {
  /** Every service address, in the configured order. */
  readonly baseUrls: readonly string[];
  /** The address that answered last (the first one until then). */
  private preferred = 0;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly clock: () => number;

  constructor(readonly options: ClearingClientOptions) {
    this.baseUrls = serviceAddresses(options.baseUrl);
    if (this.baseUrls.length === 0) throw new TypeError('ClearingClient needs at least one service address');
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
  }

  /** The service address in use. */
  get baseUrl(): string {
    return this.baseUrls[this.preferred]!;
  }

  get terminalId(): string {
    return this.options.terminal.terminalId;
  }

  state(): Promise<TerminalStateAnswer> {
    return this.call(TerminalState, 'GET', `/v1/terminals/${encodeURIComponent(this.terminalId)}/state`, {
      signed: true,
    });
  }

  /** Uploads exact record payloads; `seal` is required when the last one is not a checkpoint. */
  uploadBatch(records: Uint8Array[], seal?: Uint8Array): Promise<BatchReceiptAnswer> {
    const body = encodeUploadBatch({
      terminalCertificate: this.options.terminal.certificateBytes,
      records,
      ...(seal ? { seal } : {}),
    });
    // Signed like every terminal route: the service authenticates the upload from its headers
    // (declared length and SHA-256 of the body) before it reads the body.
    return this.call(
      BatchReceiptSchema,
      'POST',
      `/v1/terminals/${encodeURIComponent(this.terminalId)}/batches`,
      {
        body,
        contentType: 'application/cbor',
        signed: true,
      },
    );
  }

  /** Tells the service (signed) that the local log disagrees with what it holds; it raises a critical alert. */
  reportFork(report: { seq: number; localHash: string; serviceHash: string }): Promise<ForkReportAnswer> {
    return this.call(
      ForkReportAnswer,
      'POST',
      `/v1/terminals/${encodeURIComponent(this.terminalId)}/fork-reports`,
      {
        body: new TextEncoder().encode(JSON.stringify(report)),
        contentType: 'application/json',
        signed: true,
      },
    );
  }

  /** Signed like the other terminal routes: the service records which version this terminal holds. */
  denyList(sinceVersion: number): Promise<SignedDenyListAnswer> {
    return this.call(
      SignedDenyList,
      'GET',
      `/v1/terminals/${encodeURIComponent(this.terminalId)}/deny-list?since=${sinceVersion}`,
      { signed: true },
    );
  }

  catalog(): Promise<CatalogAnswer> {
    return this.call(Catalog, 'GET', '/v1/catalog', {});
  }

  async pendingTopups(cardNumber: string): Promise<PendingTopup[]> {
    const answer = await this.call(
      PendingTopups,
      'GET',
      `/v1/cards/${encodeURIComponent(cardNumber)}/pending-topups`,
      { signed: true },
    );
    return answer.topups;
  }

  authorizeLoad(request: {
    cardNumber: string;
    counter: number;
    challenge: Uint8Array;
    terminalSeq: number;
    terminalNonce: Uint8Array;
    source: 'cash' | 'topup';
    amountCents?: number;
    topupId?: number;
    loadRef?: string;
    /** The card's unsynced 130-byte proofs (§6.10), with its 230-byte certificate. */
    cardRecords?: Uint8Array[];
    cardCertificate?: Uint8Array;
  }): Promise<LoadAuthorizationAnswer> {
    const body: LoadAuthorizationRequest = {
      cardNumber: request.cardNumber,
      counter: request.counter,
      challenge: hex(request.challenge),
      terminalSeq: request.terminalSeq,
      terminalNonce: hex(request.terminalNonce),
      source: request.source,
      ...(request.amountCents === undefined ? {} : { amountCents: request.amountCents }),
      ...(request.topupId === undefined ? {} : { topupId: request.topupId }),
      ...(request.loadRef === undefined ? {} : { loadRef: request.loadRef }),
      ...(request.cardRecords === undefined ? {} : { cardRecords: request.cardRecords.map(hex) }),
      ...(request.cardCertificate === undefined ? {} : { cardCertificate: hex(request.cardCertificate) }),
    };
    return this.call(LoadAuthorizationSchema, 'POST', '/v1/load-authorizations', {
      body: new TextEncoder().encode(JSON.stringify(body)),
      contentType: 'application/json',
      signed: true,
    });
  }

  /**
   * One request; resolves the parsed JSON of a 2xx answer once it matches the route's protocol
   * schema (an answer the terminal would misread is a server error, retried later). With several
   * service addresses, a network failure or a 502/503/504 moves on to the next one (signed anew: a
   * fresh nonce), and the last failure is thrown when none answered. Uploads are idempotent by
   * seq, so a batch that reached a service whose answer was lost comes back as a duplicate.
   */
  async call<S extends TSchema>(
    schema: S,
    method: 'GET' | 'POST',
    path: string,
    opts: { body?: Uint8Array; contentType?: string; signed?: boolean },
  ): Promise<Static<S>> {
    let lastError: unknown;
    for (let tried = 0; tried < this.baseUrls.length; tried++) {
      const index = (this.preferred + tried) % this.baseUrls.length;
      try {
        const answer = await this.callAt(this.baseUrls[index]!, schema, method, path, opts);
        this.preferred = index;
        return answer;
      } catch (error) {
        const switchable =
          error instanceof ClearingUnreachableError ||
          (error instanceof ClearingServerError && [502, 503, 504].includes(error.status));
        if (!switchable) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  private async callAt<S extends TSchema>(
    baseUrl: string,
    schema: S,
    method: 'GET' | 'POST',
    path: string,
    opts: { body?: Uint8Array; contentType?: string; signed?: boolean },
  ): Promise<Static<S>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.contentType) headers['content-type'] = opts.contentType;
    if (opts.signed) {
      const t = this.options.terminal;
      Object.assign(
        headers,
        signTerminalRequest({
          method,
          path,
          ...(opts.body === undefined ? {} : { body: opts.body }),
          certificate: t.certificateBytes,
          privateKey: t.privateKey,
          publicKey: t.publicKey,
          timestampMs: this.clock(),
        }),
      );
    }
    const url = `${baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(opts.body === undefined ? {} : { body: opts.body }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new ClearingUnreachableError(`${method} ${url} failed: ${detail}`, { cause: err });
    }
    let json: unknown;
    try {
      json = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.status >= 200 && response.status < 300) {
      if (json === undefined)
        throw new ClearingServerError(response.status, 'ERR_NOT_JSON', `${method} ${path} answered no JSON`);
      const checked = checkAnswer(schema, json);
      if (!checked.ok) {
        throw new ClearingServerError(
          response.status,
          'ERR_ANSWER_SHAPE',
          `${method} ${path} answered a body the protocol does not allow at ${checked.path}: ${checked.message}`,
        );
      }
      return checked.value;
    }
    const e = (json ?? {}) as { error?: string; message?: string; seq?: number };
    const code = e.error ?? `HTTP_${response.status}`;
    const message = e.message ?? (text.slice(0, 200) || response.statusText);
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429)
      throw new ClearingRejectedError(response.status, code, message, e.seq);
    throw new ClearingServerError(
      response.status,
      code,
      `${method} ${path}: ${response.status} ${code}: ${message}`,
    );
  }
}

/** The service addresses of a configuration: an array, or one string with commas. */
export function serviceAddresses(baseUrl: string | readonly string[]): string[] {
  const list = typeof baseUrl === 'string' ? baseUrl.split(',') : [...baseUrl];
  return list.map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u.length > 0);
}

/** Verifies a service signature (raw r||s over SHA-256(message)); OpenSSL accepts high-S too. */
export function verifyServiceSignature(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== 65 || publicKey[0] !== 4 || signature.length !== 64) return false;
  try {
    const key = p256PublicKeyObject(publicKey);
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
