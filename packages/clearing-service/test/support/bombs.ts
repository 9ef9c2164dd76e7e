/**
 * Hostile requests against a clearing service in a child process, and its memory while it
 * handles them: shared by test/bombs.test.ts (bounds) and bench/bombs.ts (figures).
 *
 * Each bomb streams its body from a small reused chunk (the sender holds no 64 MiB buffer) and
 * stops when the service answers or closes; /healthz is probed every 250 ms meanwhile. Peak RSS
 * is the child's VmHWM, reset before each bomb through /proc/PID/clear_refs (value 5).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_UPLOAD_BATCH_BYTES } from '@huduma/txlog';
import { startPostgres } from '../../../../test/support/postgres-harness';
import type { TestPki, TestTerminal } from '../fixtures';
import { type Child, startChild } from './child-process';

export const MIB = 1024 * 1024;

export interface BombAnswer {
  /** HTTP status, 0 when the connection closed without an answer. */
  status: number;
  body: { error?: string; message?: string } | undefined;
  /** Body bytes the service let the client send before answering or closing. */
  sentBytes: number;
}

interface RawRequest {
  head: string;
  /** Body bytes to stream after the head (infinite: until the service closes). */
  bodyBytes: number;
  /** The body, repeated: a chunk of it or a generator of chunks. */
  chunk: Buffer | ((offset: number) => Buffer);
  /** Send HTTP/1.1 chunked framing around each chunk. */
  chunked?: boolean;
}

/** Sends one request over a fresh socket; resolves when the service answered and closed, or closed. */
export function sendRaw(port: number, request: RawRequest, giveUpMs = 30_000): Promise<BombAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    let sentBytes = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const split = received.indexOf('\r\n\r\n');
      const status = received.startsWith('HTTP/1.1 ') ? Number(received.slice(9, 12)) : 0;
      let body: BombAnswer['body'];
      try {
        body = split < 0 ? undefined : JSON.parse(received.slice(split + 4));
      } catch {
        body = undefined;
      }
      resolve({ status, body, sentBytes });
    };
    const timer = setTimeout(finish, giveUpMs);
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      // One JSON answer is all the service sends: stop once it is complete.
      const split = received.indexOf('\r\n\r\n');
      const length = /content-length: *(\d+)/i.exec(received.slice(0, Math.max(split, 0)))?.[1];
      if (split >= 0 && length !== undefined && received.length - split - 4 >= Number(length)) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', async () => {
      socket.write(request.head);
      while (!done && sentBytes < request.bodyBytes) {
        const whole = typeof request.chunk === 'function' ? request.chunk(sentBytes) : request.chunk;
        const piece = whole.subarray(0, Math.min(whole.length, request.bodyBytes - sentBytes));
        const framed = request.chunked
          ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
          : piece;
        sentBytes += piece.length;
        if (!socket.write(framed)) {
          await new Promise<void>((r) => {
            socket.once('drain', r);
            socket.once('close', r);
          });
        }
      }
    });
  });
}

export interface BombTarget {
  child: Child;
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The service in a child process on loopback, on a throwaway PostgreSQL server: the child's RSS
 * is then the service's own (embedded PGlite would add its ≈ 400 MB WebAssembly heap to it).
 */
export async function startBombTarget(pki: TestPki, operatorToken: string): Promise<BombTarget> {
  const postgres = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'huduma-bombs-'));
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  let child: Child | undefined;
  try {
    child = startChild(join(import.meta.dirname, 'child-service.ts'), {
      CHILD_DATABASE_URL: await postgres.createDatabase('bombs'),
      CHILD_KEY_FILE: join(dir, 'service-key.pem'),
      CHILD_ISSUER_CA: hex(pki.issuerCa.publicKey),
      CHILD_ACQUIRER_CA: hex(pki.acquirerCa.publicKey),
      CHILD_OPERATOR_TOKEN: operatorToken,
    });
    const url = await child.waitFor<string>('listening');
    const started = child;
    return {
      child: started,
      url,
      port: Number(new URL(url).port),
      pid: started.process.pid!,
      async stop() {
        await started.kill();
        await postgres.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await child?.kill();
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Peak resident set of a process since the last reset, in bytes. */
export function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Current resident set of a process, in bytes. */
export function currentRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Resets the peak (VmHWM) to the current RSS (Linux clear_refs, value 5). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Probes /healthz every 250 ms until stopped; collects each probe's latency (Infinity: no answer in 2 s). */
export function probeHealth(url: string): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.text();
        latencies.push(res.status === 200 ? performance.now() - t0 : Number.POSITIVE_INFINITY);
      } catch {
        latencies.push(Number.POSITIVE_INFINITY);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

/** A CBOR upload map whose records array is `count` empty byte strings (0x40 each). */
function emptyByteStringBatchHead(count: number, certificate: Uint8Array): Buffer {
  const arrayHead = Buffer.alloc(5);
  arrayHead[0] = 0x9a; // array, 32-bit count
  arrayHead.writeUInt32BE(count, 1);
  return Buffer.concat([
    Buffer.from('a3617601737465726d696e616c4365727469666963617465' + '58a5', 'hex'),
    Buffer.from(certificate),
    Buffer.from('677265636f726473', 'hex'),
    arrayHead,
  ]);
}

export interface Bomb {
  name: string;
  /** Requests sent at once. */
  requests: RawRequest[];
  /** What each must answer (one of `errors`). */
  expect: { status: number; errors: string[] };
}

const ZEROS = Buffer.alloc(MIB, 0x40);
const JSONISH = Buffer.alloc(MIB, 0x20); // 1 MiB of spaces: valid JSON whitespace, forever

/**
 * The bombs of the attack report, against a service whose acquirer CA certified `terminal`:
 * 64 MiB of empty byte strings unauthenticated and signed (and the largest body the route
 * admits, signed, so the CBOR limits are what refuses it), three concurrent 64 MiB JSON bodies,
 * a Content-Length that lies, and a chunked body that never ends.
 */
export function bombs(terminal: TestTerminal, operatorToken: string): Bomb[] {
  const path = `/v1/terminals/${terminal.terminalId}/batches`;
  const upload = (length: number, extra = '') =>
    `POST ${path} HTTP/1.1\r\nHost: clearing\r\nContent-Type: application/cbor\r\nContent-Length: ${length}\r\n${extra}\r\n`;
  const signedHeaders = (body: Uint8Array) =>
    Object.entries(terminal.signRequest('POST', path, body))
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');

  // 64 MiB of 0x40 after a batch head: 67 million empty byte strings.
  const bombBytes = 64 * MIB;
  const head64 = emptyByteStringBatchHead(bombBytes, terminal.certificate);
  const cbor64 = (offset: number) => (offset === 0 ? Buffer.concat([head64, ZEROS]) : ZEROS);
  // The whole 64 MiB body once, for a signature that really covers it.
  const whole64 = Buffer.alloc(head64.length + bombBytes, 0x40);
  head64.copy(whole64, 0);
  // The same shape at the route's limit, signed over its exact bytes.
  const fit = Buffer.alloc(MAX_UPLOAD_BATCH_BYTES, 0x40);
  const fitHead = emptyByteStringBatchHead(MAX_UPLOAD_BATCH_BYTES - 200, terminal.certificate);
  fitHead.copy(fit, 0);
  const json = (route: string, length: number, extra = '') =>
    `POST ${route} HTTP/1.1\r\nHost: clearing\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;

  return [
    {
      name: '64 MiB CBOR of empty byte strings, no credential',
      requests: [
        { head: upload(bombBytes + head64.length), bodyBytes: bombBytes + head64.length, chunk: cbor64 },
      ],
      expect: { status: 413, errors: ['ERR_BODY_TOO_LARGE'] },
    },
    {
      name: '64 MiB CBOR of empty byte strings, valid terminal signature',
      requests: [
        {
          head: upload(whole64.length, signedHeaders(whole64)),
          bodyBytes: whole64.length,
          chunk: cbor64,
        },
      ],
      expect: { status: 413, errors: ['ERR_BODY_TOO_LARGE'] },
    },
    {
      name: `${(MAX_UPLOAD_BATCH_BYTES / MIB).toFixed(1)} MiB CBOR (the route limit) of empty byte strings, no credential`,
      requests: [{ head: upload(fit.length), bodyBytes: fit.length, chunk: fit }],
      expect: { status: 401, errors: ['ERR_TERMINAL_AUTH_MISSING'] },
    },
    {
      name: `${(MAX_UPLOAD_BATCH_BYTES / MIB).toFixed(1)} MiB CBOR (the route limit) of empty byte strings, valid terminal signature`,
      requests: [{ head: upload(fit.length, signedHeaders(fit)), bodyBytes: fit.length, chunk: fit }],
      expect: { status: 400, errors: ['ERR_BATCH_CBOR'] },
    },
    {
      name: 'three concurrent 64 MiB JSON bodies to the upload route',
      requests: Array.from({ length: 3 }, () => ({
        head: json(path, bombBytes),
        bodyBytes: bombBytes,
        chunk: JSONISH,
      })),
      expect: { status: 415, errors: ['ERR_CONTENT_TYPE'] },
    },
    {
      name: 'three concurrent 64 MiB JSON bodies to a JSON route',
      requests: Array.from({ length: 3 }, () => ({
        head: json('/v1/admin/deny-list', bombBytes, `Authorization: Bearer ${operatorToken}\r\n`),
        bodyBytes: bombBytes,
        chunk: JSONISH,
      })),
      expect: { status: 413, errors: ['ERR_BODY_TOO_LARGE'] },
    },
    {
      name: 'Content-Length lie: 1 KiB declared, 64 MiB sent',
      requests: [
        {
          head: json('/v1/admin/deny-list', 1024, `Authorization: Bearer ${operatorToken}\r\n`),
          bodyBytes: bombBytes,
          chunk: JSONISH,
        },
      ],
      // The first 1 KiB is the body (whitespace: not JSON), the rest is not HTTP: whichever
      // the service sees first answers.
      expect: { status: 400, errors: ['ERR_JSON', 'ERR_BAD_REQUEST'] },
    },
    {
      name: 'chunked JSON body that never ends',
      requests: [
        {
          head: `POST /v1/admin/deny-list HTTP/1.1\r\nHost: clearing\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer ${operatorToken}\r\n\r\n`,
          bodyBytes: Number.POSITIVE_INFINITY,
          chunk: JSONISH.subarray(0, 64 * 1024),
          chunked: true,
        },
      ],
      expect: { status: 413, errors: ['ERR_BODY_TOO_LARGE'] },
    },
  ];
}
