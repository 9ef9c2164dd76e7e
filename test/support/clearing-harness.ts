/**
 * A real clearing service for tests: a fresh in-memory PGlite from the test pool, the development PKI's CA
 * keys as trust anchors and its load authority, Fastify listening on 127.0.0.1 on a free port.
 * `faults` makes the batch route misbehave on purpose: the connection dropped before the batch is
 * stored, or after it was stored (the answer is lost), or a 503.
 */
import { createClearingService, type Db, generateSigner, type Signer } from '@huduma/clearing-service';
import type { DevPki } from '@huduma/pki';
import type { FastifyInstance } from 'fastify';
import { openTestPglite } from '../../packages/clearing-service/test/support/pglite-pool';

export const OPERATOR_TOKEN = 'operator-token-for-e2e-tests-0123456789';
export const TOPUP_CALLBACK_TOKEN = 'mpesa-callback-token-for-tests';

export interface ClearingFaults {
  /** Destroy the socket of the next N batch uploads before the service reads them. */
  dropBeforeStore: number;
  /** Let the next N batch uploads be stored, then destroy the socket instead of answering. */
  dropAfterStore: number;
  /** Answer the next N batch uploads with 503 without storing them. */
  unavailable: number;
}

/** A JSON answer of the service, read field by field in tests. */
// biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field and assert on them
export type JsonAnswer = { status: number; json: any };

export interface ClearingHarness {
  url: string;
  app: FastifyInstance;
  db: Db;
  signer: Signer;
  faults: ClearingFaults;
  /** Batch uploads that reached the route (including faulted ones). */
  batchRequests: number;
  /** Calls an operator route; resolves status and parsed JSON. */
  operator(method: 'GET' | 'POST', path: string, body?: unknown): Promise<JsonAnswer>;
  /** An M-Pesa C2B confirmation for `cardNumber`. */
  mpesaTopup(transId: string, cardNumber: string, amountKes: string): Promise<JsonAnswer>;
  close(): Promise<void>;
}

export async function startClearingService(pki: DevPki): Promise<ClearingHarness> {
  const db = await openTestPglite();
  const signer = generateSigner();
  const app = createClearingService({
    db,
    signer,
    operatorToken: OPERATOR_TOKEN,
    topupCallbackToken: TOPUP_CALLBACK_TOKEN,
    // HUDUMA_TEST_LOG=1 shows the service's pino log (useful when a route answers 500).
    logger: process.env.HUDUMA_TEST_LOG === '1',
    trust: { issuerCaKeys: [pki.issuerCaPublicKey], acquirerCaKeys: [pki.acquirerCaPublicKey] },
    loadAuthority: pki.loadAuthority,
  });
  const faults: ClearingFaults = { dropBeforeStore: 0, dropAfterStore: 0, unavailable: 0 };
  const isBatch = (url: string) => /^\/v1\/terminals\/[^/]+\/batches/.test(url);
  const harness = { batchRequests: 0 } as ClearingHarness;
  app.addHook('onRequest', async (request, reply) => {
    if (!isBatch(request.url)) return;
    harness.batchRequests++;
    if (faults.dropBeforeStore > 0) {
      faults.dropBeforeStore--;
      request.raw.socket.destroy();
      return reply.hijack();
    }
    if (faults.unavailable > 0) {
      faults.unavailable--;
      return reply.status(503).send({ error: 'ERR_TEST_UNAVAILABLE', message: 'injected outage' });
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (isBatch(request.url) && reply.statusCode === 200 && faults.dropAfterStore > 0) {
      faults.dropAfterStore--;
      request.raw.socket.destroy();
    }
    return payload;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('clearing service did not bind a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  return Object.assign(harness, {
    url,
    app,
    db,
    signer,
    faults,
    operator: (method: 'GET' | 'POST', path: string, body?: unknown) =>
      call(method, path, { authorization: `Bearer ${OPERATOR_TOKEN}` }, body),
    // The issuer imports every card it issues (top-ups for unknown cards are refused); the
    // harness plays the issuer, so it imports the card just before the payment arrives.
    mpesaTopup: async (transId: string, cardNumber: string, amountKes: string) => {
      await call(
        'POST',
        '/v1/admin/cards',
        { authorization: `Bearer ${OPERATOR_TOKEN}` },
        { cardNumbers: [cardNumber] },
      );
      return call(
        'POST',
        '/v1/topups/mpesa',
        { 'x-callback-token': TOPUP_CALLBACK_TOKEN },
        { TransID: transId, TransAmount: amountKes, BillRefNumber: cardNumber, MSISDN: '254700000000' },
      );
    },
    close: async () => {
      await app.close();
      await db.close();
    },
  });
}
