/**
 * Terminal request authentication at the edge: nonces (replays refused across two service
 * instances sharing one database), the body bound to the signature through its declared
 * length and SHA-256, the batch's certificate bound to the signing one, per-terminal and
 * per-address rate limits, and refusals in the one error shape.
 */
import { MAX_UPLOAD_BATCH_BYTES } from '@huduma/txlog';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import type { EdgeOptions } from '../src/http/limits';
import { generateSigner } from '../src/signer';
import { BACKENDS } from './backends';
import { cardNumberFor, TestPki, type TestTerminal } from './fixtures';

const OPERATOR = 'operator-token-for-tests-0123456789';

for (const backend of BACKENDS) {
  describe(`terminal requests at the edge (${backend.name})`, () => {
    let db: Db;
    let first: FastifyInstance;
    let second: FastifyInstance;
    const pki = new TestPki();
    const service = (edge: EdgeOptions = {}) =>
      createClearingService({
        db,
        signer: generateSigner(),
        operatorToken: OPERATOR,
        logger: false,
        trust: pki.trust,
        loadAuthority: pki.loadAuthoritySigner,
        edge,
      });

    beforeAll(async () => {
      db = await backend.open();
      // Two service processes sharing one database, as behind a load balancer.
      first = service();
      second = service();
      await Promise.all([first.ready(), second.ready()]);
    });
    afterAll(async () => {
      await first?.close();
      await second?.close();
      await db?.close();
      await backend.shutdown();
    });

    const signedPost = (t: TestTerminal, url: string, body: string) => ({
      method: 'POST' as const,
      url,
      headers: { 'content-type': 'application/json', ...t.signRequest('POST', url, body) },
      payload: body,
    });
    const authorizations = async () =>
      (await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM load_authorizations'))[0]!.n;

    it('refuses a replayed load-authorization request with 409 and issues no second authorization', async () => {
      const centre = pki.terminal('HC-R1', { capabilities: 0x07 });
      const card = pki.card(cardNumberFor(901), 0);
      const request = signedPost(
        centre,
        '/v1/load-authorizations',
        JSON.stringify({
          cardNumber: card.cardNumber,
          counter: 0,
          challenge: 'ab'.repeat(16),
          terminalSeq: 1,
          terminalNonce: '01'.repeat(8),
          source: 'cash',
          amountCents: 500_00,
        }),
      );
      const issued = await first.inject(request);
      expect(issued.statusCode, issued.body).toBe(200);
      const before = await authorizations();
      const rows = await db.query('SELECT * FROM load_authorizations ORDER BY authorization_id');

      for (const app of [first, second]) {
        const replay = await app.inject(request);
        expect(replay.statusCode).toBe(409);
        expect(replay.json()).toEqual({
          error: 'ERR_TERMINAL_REQUEST_REPLAYED',
          message: expect.any(String),
          field: 'header.x-huduma-nonce',
        });
      }
      expect(await authorizations()).toBe(before);
      expect(await db.query('SELECT * FROM load_authorizations ORDER BY authorization_id')).toEqual(rows);
    });

    it('binds the body to the signature: another body, a GET with a body hash, a chunked body', async () => {
      const t = pki.terminal('TRM-E1');
      const url = '/v1/terminals/TRM-E1/shift-close';
      const request = signedPost(t, url, JSON.stringify({ shiftId: 'S1', count: 0, amountCents: 0 }));
      const swapped = await first.inject({
        ...request,
        payload: JSON.stringify({ shiftId: 'S2', count: 0, amountCents: 0 }),
      });
      expect(swapped.statusCode).toBe(401);
      expect(swapped.json()).toMatchObject({
        error: 'ERR_TERMINAL_AUTH_BODY',
        field: 'header.x-huduma-content-sha256',
      });
      // A longer body than the signed Content-Length: the signature itself fails.
      const longer = await first.inject({
        ...signedPost(t, url, JSON.stringify({ shiftId: 'S1', count: 0, amountCents: 0 })),
        payload: JSON.stringify({ shiftId: 'S1', count: 0, amountCents: 0, x: 1 }),
      });
      expect(longer.json()).toMatchObject({ error: 'ERR_TERMINAL_AUTH_SIGNATURE' });

      const chunked = await first.inject({
        ...signedPost(t, url, '{}'),
        headers: { ...signedPost(t, url, '{}').headers, 'transfer-encoding': 'chunked' },
      });
      expect(chunked.statusCode).toBe(411);
      expect(chunked.json()).toMatchObject({
        error: 'ERR_CONTENT_LENGTH_REQUIRED',
        field: 'header.content-length',
      });

      const state = '/v1/terminals/TRM-E1/state';
      const ok = await first.inject({ method: 'GET', url: state, headers: t.signRequest('GET', state) });
      expect(ok.statusCode, ok.body).toBe(200);
      const missingNonce = t.signRequest('GET', state);
      delete missingNonce['x-huduma-nonce'];
      const refused = await first.inject({ method: 'GET', url: state, headers: missingNonce });
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toEqual({
        error: 'ERR_TERMINAL_AUTH_MISSING',
        message: expect.any(String),
        field: 'header.x-huduma-nonce',
      });
    });

    it('requires the batch to carry the certificate that signed the upload', async () => {
      const owner = pki.terminal('TRM-E2');
      const card = pki.card(cardNumberFor(902));
      owner.sale(card, 1_00);
      owner.checkpoint();
      // A second, valid certificate for the same terminal id signs the request.
      const other = pki.terminal('TRM-E2');
      const url = '/v1/terminals/TRM-E2/batches';
      const body = owner.batch();
      const res = await first.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/cbor', ...other.signRequest('POST', url, body) },
        payload: Buffer.from(body),
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toBe('ERR_TERMINAL_CERTIFICATE_MISMATCH');
      expect((await db.query("SELECT 1 FROM accepted_records WHERE terminal_id = 'TRM-E2'")).length).toBe(0);
    });

    it('answers refusals the framework makes in the one error shape', async () => {
      const t = pki.terminal('TRM-E3');
      const notFound = await first.inject({ method: 'GET', url: '/v1/nothing-here' });
      expect(notFound.statusCode).toBe(404);
      expect(notFound.json()).toEqual({ error: 'ERR_NOT_FOUND', message: expect.any(String), field: 'url' });

      const wrongType = await first.inject({
        method: 'POST',
        url: '/v1/terminals/TRM-E3/batches',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(wrongType.statusCode).toBe(415);
      expect(wrongType.json()).toEqual({
        error: 'ERR_CONTENT_TYPE',
        message: 'send the body as application/cbor, not application/json',
        field: 'header.content-type',
      });
      const textToJson = await first.inject({
        method: 'POST',
        url: '/v1/admin/deny-list',
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${OPERATOR}` },
        payload: 'x',
      });
      expect(textToJson.statusCode).toBe(415);
      expect(textToJson.json().error).toBe('ERR_CONTENT_TYPE');

      const tooLarge = await first.inject({
        method: 'POST',
        url: '/v1/admin/deny-list',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR}` },
        payload: `{"reason":"${'x'.repeat(70_000)}"}`,
      });
      expect(tooLarge.statusCode).toBe(413);
      expect(tooLarge.json()).toEqual({
        error: 'ERR_BODY_TOO_LARGE',
        message: "the body exceeds this route's limit of 65536 bytes",
        field: 'header.content-length',
      });

      const badJson = await first.inject({
        method: 'POST',
        url: '/v1/admin/deny-list',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR}` },
        payload: '{"reason":',
      });
      expect(badJson.statusCode).toBe(400);
      expect(badJson.json()).toMatchObject({ error: 'ERR_JSON', field: 'body' });

      // Truncated CBOR, correctly signed: a typed ERR_BATCH_CBOR naming the offset.
      t.sale(pki.card(cardNumberFor(903)), 1_00);
      t.checkpoint();
      const whole = t.batch();
      const cut = whole.subarray(0, whole.length - 30);
      const url = '/v1/terminals/TRM-E3/batches';
      const truncated = await first.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/cbor', ...t.signRequest('POST', url, cut) },
        payload: Buffer.from(cut),
      });
      expect(truncated.statusCode).toBe(400);
      expect(truncated.json().error).toBe('ERR_BATCH_CBOR');
      expect(truncated.json().message).toMatch(/offset \d+/);

      // The upload route's limit is the largest legal batch, named in the 413.
      const huge = await first.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/cbor', 'content-length': String(MAX_UPLOAD_BATCH_BYTES + 1) },
        payload: Buffer.alloc(0),
      });
      expect(huge.statusCode).toBe(413);
      expect(huge.json().message).toContain(String(MAX_UPLOAD_BATCH_BYTES));
    });

    it('limits requests per terminal and per address with 429 and Retry-After', async () => {
      const limited = service({ rateLimit: { perTerminal: 2, perAddress: 4, windowMs: 60_000 } });
      try {
        const t = pki.terminal('TRM-E4');
        const url = '/v1/terminals/TRM-E4/state';
        const codes: number[] = [];
        for (let i = 0; i < 3; i++) {
          codes.push(
            (await limited.inject({ method: 'GET', url, headers: t.signRequest('GET', url) })).statusCode,
          );
        }
        expect(codes).toEqual([200, 200, 429]);
        const refused = await limited.inject({ method: 'GET', url, headers: t.signRequest('GET', url) });
        expect(refused.json()).toMatchObject({ error: 'ERR_RATE_LIMITED' });
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

        // The address has now spent its 4; the next request is refused whoever sends it.
        const anon = await limited.inject({ method: 'GET', url: '/v1/catalog' });
        expect(anon.statusCode).toBe(429);
        expect(anon.json()).toEqual({ error: 'ERR_RATE_LIMITED', message: expect.any(String) });
        expect(anon.headers['retry-after']).toBeDefined();
        // Liveness probes are never limited.
        expect((await limited.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });
}
