/**
 * The edge over real loopback sockets: refusals answered from the headers before any body byte
 * is sent, stalled and trickling clients closed after the (short, for the test) timeouts while
 * /healthz keeps answering, and Node-level refusals in the service's error shape.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { TestPki } from './fixtures';
import { openTestPglite } from './support/pglite-pool';

const OPERATOR = 'operator-token-for-tests-0123456789';
const REQUEST_TIMEOUT_MS = 1500;

interface RawConnection {
  socket: Socket;
  /** Everything received until the server closed the connection. */
  closed: Promise<{ text: string; atMs: number }>;
  /** Resolves with the text received once it contains `needle`. */
  received(needle: string): Promise<string>;
}

function raw(port: number): Promise<RawConnection> {
  const socket = connect({ host: '127.0.0.1', port });
  let text = '';
  const waiters: Array<() => void> = [];
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    for (const w of waiters) w();
  });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => ({ text, atMs: Date.now() }));
  return once(socket, 'connect').then(() => ({
    socket,
    closed,
    received: (needle: string) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          if (text.includes(needle)) resolve(text);
        };
        waiters.push(check);
        void closed.then(() =>
          text.includes(needle) ? resolve(text) : reject(new Error(`closed: ${text}`)),
        );
        check();
      }),
  }));
}

const jsonOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
const statusOf = (response: string) => Number(response.split(' ', 2)[1]);

describe('the edge over real sockets', () => {
  let db: Db;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    db = await openTestPglite();
    app = createClearingService({
      db,
      signer: generateSigner(),
      operatorToken: OPERATOR,
      logger: false,
      trust: new TestPki().trust,
      edge: {
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        headersTimeoutMs: 1000,
        timeoutCheckIntervalMs: 200,
        connectionTimeoutMs: 10_000,
        rateLimit: false,
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('answers an unauthenticated upload, a wrong type and an oversized one before any body byte is sent', async () => {
    const head = (contentType: string, length: number) =>
      `POST /v1/terminals/TRM-1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n`;
    const cases: Array<[string, number, string]> = [
      [head('application/cbor', 20_000_000), 401, 'ERR_TERMINAL_AUTH_MISSING'],
      [head('application/json', 20_000_000), 415, 'ERR_CONTENT_TYPE'],
      [head('application/cbor', 67_108_864), 413, 'ERR_BODY_TOO_LARGE'],
    ];
    for (const [request, status, code] of cases) {
      const c = await raw(port);
      c.socket.write(request); // headers only: the body is never sent
      const response = await c.received('}');
      expect(statusOf(response)).toBe(status);
      expect(jsonOf(response).error).toBe(code);
      c.socket.destroy();
    }
  });

  it('answers malformed HTTP with a JSON 400 in the service error shape', async () => {
    const c = await raw(port);
    c.socket.write('NOT A REQUEST\r\n\r\n');
    const { text } = await c.closed;
    expect(statusOf(text)).toBe(400);
    expect(jsonOf(text)).toEqual({ error: 'ERR_BAD_REQUEST', message: 'malformed HTTP request' });
  });

  it('closes a stalled body with a 408 after the request timeout', async () => {
    const c = await raw(port);
    const started = Date.now();
    c.socket.write(
      `POST /v1/admin/deny-list HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${OPERATOR}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"card',
    );
    const { text, atMs } = await c.closed;
    expect(statusOf(text)).toBe(408);
    expect(jsonOf(text)).toEqual({
      error: 'ERR_REQUEST_TIMEOUT',
      message: 'the request did not arrive in time',
    });
    // Generous bound: closed by the timeout, not left open.
    expect(atMs - started).toBeLessThan(REQUEST_TIMEOUT_MS + 5000);
  });

  it('stays responsive under 200 clients trickling headers or bodies a byte at a time, and closes them all', async () => {
    const headers =
      'POST /v1/admin/deny-list HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const connections = await Promise.all(Array.from({ length: 200 }, () => raw(port)));
    const started = Date.now();
    let sent = 0;
    const trickle = setInterval(() => {
      for (const [i, c] of connections.entries()) {
        if (c.socket.destroyed) continue;
        // Even clients trickle their headers; odd ones send the headers and trickle the body.
        const text = i % 2 === 0 ? headers : `${headers}${'x'.repeat(1000)}`;
        const at = i % 2 === 0 ? sent : headers.length + sent;
        if (sent === 0 && i % 2 === 1) c.socket.write(headers);
        if (at < text.length) c.socket.write(text[at]!);
      }
      sent++;
    }, 50);
    try {
      for (let probe = 0; probe < 5; probe++) {
        const t0 = Date.now();
        const health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
        expect(health.status).toBe(200);
        expect(Date.now() - t0).toBeLessThan(2000);
        await new Promise((r) => setTimeout(r, 200));
      }
      const closed = await Promise.all(connections.map((c) => c.closed));
      // Every slow client was cut off by a timeout (headers 1 s, request 1.5 s), none served.
      for (const { text, atMs } of closed) {
        expect([0, 408]).toContain(text.length === 0 ? 0 : statusOf(text));
        expect(atMs - started).toBeLessThan(REQUEST_TIMEOUT_MS + 5000);
      }
    } finally {
      clearInterval(trickle);
      for (const c of connections) c.socket.destroy();
    }
  });
});
