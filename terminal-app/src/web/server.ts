/**
 * The cashier page's server: node:http on 127.0.0.1 only (no framework: the counter app then
 * needs no server dependency, and server-sent events are a plain streamed response). Every asset
 * is a local file; every request must name the loopback origin it was served from (Host, and
 * Origin when a browser sends one), so another web site or a DNS-rebound name cannot drive the
 * counter. Bodies are JSON, at most 4 KiB, checked by the schemas in validate.ts; a bad value
 * answers 400 naming the field and changes nothing. Request bodies are never logged (PINs).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TerminalError } from '@huduma/terminal';
import { CounterBusyError, CounterRefusedError, type CounterSession } from './counter-session';
import { en, sw } from './i18n';
import { receiptFromLog, receiptQrSvg } from './receipt-view';
import {
  parseDemoCardRequest,
  parseDemoPullRequest,
  parseEmptyRequest,
  parsePinRequest,
  parseReloadRequest,
  parseReprintRequest,
  parseSaleRequest,
  WebInputError,
} from './validate';

const MAX_BODY_BYTES = 4096;
const PUBLIC_DIR = new URL('./public/', import.meta.url);
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/page-kit.js': { file: 'page-kit.js', type: 'text/javascript; charset=utf-8' },
  '/documents.js': { file: 'documents.js', type: 'text/javascript; charset=utf-8' },
  '/device-strip.js': { file: 'device-strip.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface CounterWebApp {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

type Handler = (ctx: { body: unknown; url: URL }) => Promise<unknown> | unknown;

/** Starts the page's server for `session` on 127.0.0.1 (`port` 0: any free port). */
export async function startCounterWebApp(
  session: CounterSession,
  options: { port?: number } = {},
): Promise<CounterWebApp> {
  let port = 0;
  const sse = new Set<ServerResponse>();
  const routes = apiRoutes(session);

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent)
        sendJson(res, 500, { error: { code: 'ERR_INTERNAL', message: 'internal error' } });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`];
    const host = req.headers.host;
    if (!host || !allowed.includes(host))
      return refuse(res, 403, 'host', 'only the loopback address is served');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.some((h) => origin === `http://${h}`))
      return refuse(res, 403, 'origin', 'requests from other origins are refused');
    if (req.headers['sec-fetch-site'] === 'cross-site')
      return refuse(res, 403, 'origin', 'requests from other sites are refused');
    const url = new URL(req.url ?? '/', `http://${host}`);
    const method = req.method ?? 'GET';

    const asset = STATIC[url.pathname];
    if (asset && method === 'GET') {
      const bytes = await readFile(new URL(asset.file, PUBLIC_DIR));
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type });
      res.end(bytes);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
      return;
    }
    if (url.pathname === '/api/events' && method === 'GET') return openEvents(req, res);
    const qr = /^\/api\/receipts\/(\d{1,10})\/qr\.svg$/.exec(url.pathname);
    if (qr && method === 'GET') {
      const receipt = await receiptFromLog(session.engine, Number(qr[1]));
      if (!receipt) return refuse(res, 404, 'seq', 'no such receipt');
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'image/svg+xml' });
      res.end(await receiptQrSvg(receipt.qrPayload));
      return;
    }
    const route = routes[`${method} ${url.pathname}`];
    if (!route) {
      const known = Object.keys(routes).some((k) => k.endsWith(` ${url.pathname}`));
      return refuse(res, known ? 405 : 404, 'path', known ? 'method not allowed' : 'not found');
    }
    let body: unknown;
    try {
      body = method === 'POST' ? await readJson(req) : undefined;
      const result = await route({ body, url });
      sendJson(res, 200, result ?? { ok: true });
    } catch (err) {
      if (err instanceof WebInputError) return refuse(res, err.status, err.field, err.message);
      if (err instanceof CounterBusyError)
        return sendJson(res, 409, { error: { code: err.code, message: err.message } });
      if (err instanceof CounterRefusedError)
        return sendJson(res, 409, { error: { code: err.code, message: err.message } });
      if (err instanceof TerminalError && err.code === 'ERR_TERMINAL_BUSY')
        return sendJson(res, 409, { error: { code: err.code, message: err.message } });
      if (err instanceof TerminalError)
        return sendJson(res, 400, {
          error: { code: err.code, field: fieldOf(err.code), message: err.message },
        });
      throw err;
    }
  }

  function openEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    const send = (state: unknown) => res.write(`data: ${JSON.stringify(state)}\n\n`);
    send(session.snapshot());
    const unsubscribe = session.subscribe(send);
    sse.add(res);
    req.on('close', () => {
      unsubscribe();
      sse.delete(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    server,
    close: async () => {
      for (const res of sse) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function apiRoutes(session: CounterSession): Record<string, Handler> {
  return {
    'GET /api/state': () => session.snapshot(),
    'GET /api/i18n': () => ({ en, sw }),
    'GET /api/catalog': () => ({ services: session.engine.catalog.list() }),
    'GET /api/last-sale': async () => ({ lastSale: (await session.lastSale()) ?? null }),
    'GET /api/receipt': async ({ url }) => {
      const seqText = url.searchParams.get('seq');
      if (seqText === null || !/^\d{1,10}$/.test(seqText)) throw new WebInputError('seq', 'must be a number');
      const receipt = await receiptFromLog(session.engine, Number(seqText));
      if (!receipt) throw new WebInputError('seq', 'no value transaction with this number', 404);
      return receipt;
    },
    'GET /api/report/x': () => session.engine.xReport(),
    'POST /api/report/z': async ({ body }) => {
      parseEmptyRequest(body);
      if (session.snapshot().phase === 'waiting-card' || session.snapshot().phase === 'hold-card')
        throw new CounterBusyError('a payment is running');
      return await session.engine.zReport();
    },
    'GET /api/status': () => session.engine.status(),
    // Every device's state (`not-configured` for each when the counter runs without devices).
    'GET /api/devices': () => ({
      devices: session.snapshot().devices ?? {
        reader: 'not-configured',
        printer: 'not-configured',
        pinpad: 'not-configured',
      },
    }),
    'POST /api/sale': ({ body }) => {
      const request = parseSaleRequest(body);
      if (
        request.kind === 'service' &&
        !session.engine.catalog.list().some((s) => s.code === request.serviceCode)
      )
        throw new WebInputError('serviceCode', 'is not in this counter’s catalog');
      session.startSale(request);
    },
    'POST /api/cancel': ({ body }) => {
      parseEmptyRequest(body);
      session.startCancel();
    },
    'POST /api/reload': ({ body }) => session.startReload(parseReloadRequest(body)),
    'POST /api/recover': ({ body }) => {
      parseEmptyRequest(body);
      session.startRecover();
    },
    'POST /api/abort': ({ body }) => {
      parseEmptyRequest(body);
      session.abortCurrent();
    },
    'POST /api/pin': ({ body }) => {
      if (!session.enterPin(parsePinRequest(body)))
        throw new CounterRefusedError('ERR_NO_PIN_REQUESTED', 'no PIN is being asked for');
    },
    'POST /api/sync': async ({ body }) => {
      parseEmptyRequest(body);
      await session.syncNow();
      return session.snapshot().sync;
    },
    'POST /api/reprint': ({ body }) => session.reprint(parseReprintRequest(body).seq),
    'POST /api/demo/present': ({ body }) =>
      session.demoPresent(parseDemoCardRequest(body, session.snapshot().demo?.cards.length ?? 0).card),
    'POST /api/demo/remove': ({ body }) => {
      parseEmptyRequest(body);
      session.demoRemove();
    },
    'POST /api/demo/pull': ({ body }) => session.demoPull(parseDemoPullRequest(body).afterCardProcessed),
  };
}

function fieldOf(code: string): string | undefined {
  if (code === 'ERR_AMOUNT_FORMAT') return 'amount';
  if (code === 'ERR_BILL_REF_FORMAT') return 'billRef';
  if (code === 'ERR_UNKNOWN_SERVICE') return 'serviceCode';
  return undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json(\s*;\s*charset=utf-8)?$/i.test(type))
    throw new WebInputError('content-type', 'must be application/json', 415);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES)
    throw new WebInputError('body', `must be at most ${MAX_BODY_BYTES} bytes`, 413);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new WebInputError('body', `must be at most ${MAX_BODY_BYTES} bytes`, 413);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new WebInputError('body', 'is not valid JSON');
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

function refuse(res: ServerResponse, status: number, field: string, message: string): void {
  sendJson(res, status, { error: { code: 'ERR_WEB_INPUT', field, message } });
}
