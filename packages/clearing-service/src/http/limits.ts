/**
 * How much work one request may cause before it is refused: body sizes per route, timeouts on
 * headers, bodies, whole requests and idle keep-alive connections, and request rates. Every
 * figure here is an option of createClearingService (`edge`) with the default below.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { MAX_UPLOAD_BATCH_BYTES } from '@huduma/txlog';
import type { FastifyHttpOptions } from 'fastify';
import type { ErrorBody } from './error-mapper';

/**
 * Body limit of the JSON routes: their largest legal bodies are a load authorization (≈ 300
 * bytes) and the admin forms (≈ 1 KiB); 64 KiB leaves room without letting a body cost much.
 */
export const JSON_BODY_LIMIT = 64 * 1024;

/**
 * Body limit of `POST /v1/terminals/:id/batches`: txlog's MAX_UPLOAD_BATCH_BYTES, MAX_BATCH_RECORDS
 * records of the largest legal record (MAX_RECORD_LENGTH) + certificate + CBOR map (≈ 26.8 MB).
 */
export const UPLOAD_BODY_LIMIT = MAX_UPLOAD_BATCH_BYTES;

/**
 * Body limit of `POST /v1/terminals/:id/shift-close`: its schema allows 100,000 saleSeqs, each at
 * most 16 digits and a comma, plus a 256-character shift id written as \uXXXX escapes and the
 * other fields.
 */
export const SHIFT_CLOSE_BODY_LIMIT = 100_000 * 17 + 256 * 6 + 1024;

export interface RateLimitOptions {
  /** Requests per window from one client address (all routes but /healthz). Default 1200. */
  perAddress?: number;
  /** Requests per window from one authenticated terminal. Default 120. */
  perTerminal?: number;
  /** Window in ms. Default 60,000. */
  windowMs?: number;
}

export interface EdgeOptions {
  /** Whole request, headers and body, from its first byte (Node requestTimeout). Default 120 s. */
  requestTimeoutMs?: number;
  /** Request line and headers (Node headersTimeout). Default 10 s. */
  headersTimeoutMs?: number;
  /** Socket inactivity: no byte in either direction (Fastify connectionTimeout). Default 30 s. */
  connectionTimeoutMs?: number;
  /** Idle keep-alive connection between requests. Default 5 s. */
  keepAliveTimeoutMs?: number;
  /** How often Node looks for requests past their header/request timeout. Default 1 s. */
  timeoutCheckIntervalMs?: number;
  /** false: no rate limits (tests that need none). */
  rateLimit?: RateLimitOptions | false;
}

export const EDGE_DEFAULTS = {
  // A full batch (26.8 MB) over a 2 Mbit/s link takes ≈ 110 s; real batches are far smaller.
  requestTimeoutMs: 120_000,
  headersTimeoutMs: 10_000,
  connectionTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckIntervalMs: 1_000,
  rateLimit: { perAddress: 1200, perTerminal: 120, windowMs: 60_000 },
} as const;

/** Sockets already answered by clientErrorHandler (Node may report the same one again). */
const answered = new WeakSet<Socket>();
/** How long a refused connection keeps reading (and discarding) before it is destroyed. */
const LINGER_MS = 1000;

/**
 * Node-level refusals (malformed HTTP, header overflow, request timeout) in the service's error
 * shape, written raw on the socket: no request object exists yet, or the request is abandoned
 * mid-body. The socket is half-closed and keeps discarding what the client still sends for a
 * moment before it is destroyed: destroying it with unread data would make the kernel reset the
 * connection, and the client could lose the answer.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  const [status, body]: [number, ErrorBody] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, { error: 'ERR_REQUEST_TIMEOUT', message: 'the request did not arrive in time' }]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, { error: 'ERR_HEADERS_TOO_LARGE', message: 'request headers are too large' }]
        : [400, { error: 'ERR_BAD_REQUEST', message: 'malformed HTTP request' }];
  // A response already started on this socket cannot be replaced; only close it.
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** Fastify server options for the limits (timeouts on the Node server, default body limit). */
export function edgeServerOptions(edge: EdgeOptions = {}): FastifyHttpOptions<http.Server> {
  const requestTimeout = edge.requestTimeoutMs ?? EDGE_DEFAULTS.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(edge.headersTimeoutMs ?? EDGE_DEFAULTS.headersTimeoutMs, requestTimeout);
  return {
    bodyLimit: JSON_BODY_LIMIT,
    requestTimeout,
    connectionTimeout: edge.connectionTimeoutMs ?? EDGE_DEFAULTS.connectionTimeoutMs,
    keepAliveTimeout: edge.keepAliveTimeoutMs ?? EDGE_DEFAULTS.keepAliveTimeoutMs,
    http: {
      requestTimeout,
      headersTimeout,
      connectionsCheckingInterval: edge.timeoutCheckIntervalMs ?? EDGE_DEFAULTS.timeoutCheckIntervalMs,
    },
    clientErrorHandler,
  };
}
