/**
 * Inputs the database cannot hold, found by an attack on both backends: each must get a typed
 * 4xx (one error shape, naming the field) and change nothing, never "500 internal error".
 */
import { DevPki } from '@huduma/pki';
import { signTerminalRequest } from '@huduma/txlog';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { BACKENDS } from './backends';
import { cardNumberFor, TestPki, type TestTerminal } from './fixtures';

const OPERATOR = 'operator-token-for-tests-0123456789';
const CALLBACK = 'mpesa-callback-secret-abcdef';
const op = { authorization: `Bearer ${OPERATOR}` };
const cb = { 'x-callback-token': CALLBACK };

function expectTyped4xx(res: { statusCode: number; body: string }, field?: string) {
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body).toBeLessThan(500);
  const body = JSON.parse(res.body) as { error: string; message: string; field?: string };
  expect(body.error).toMatch(/^ERR_[A-Z0-9_]+$/);
  expect(typeof body.message).toBe('string');
  if (field !== undefined) expect(body.field).toBe(field);
}

for (const backend of BACKENDS) {
  describe(`inputs the database cannot hold (${backend.name})`, () => {
    let db: Db;
    let app: FastifyInstance;
    const pki = new TestPki();
    const devPki = DevPki.inMemory();

    beforeAll(async () => {
      db = await backend.open();
      app = createClearingService({
        db,
        signer: generateSigner(),
        operatorToken: OPERATOR,
        topupCallbackToken: CALLBACK,
        logger: false,
        trust: pki.trust,
        loadAuthority: devPki.loadAuthority,
      });
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
      await backend.shutdown();
    });

    function signed(t: TestTerminal, method: 'GET' | 'POST', url: string, body?: unknown) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = signTerminalRequest({
        method,
        path: url,
        ...(payload === undefined ? {} : { body: payload }),
        certificate: t.certificate,
        privateKey: t.key.privateKey,
        publicKey: t.key.publicKey,
      });
      return app.inject({
        method,
        url,
        headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(payload === undefined ? {} : { payload }),
      });
    }
    const get = (url: string, headers: Record<string, string> = {}) =>
      app.inject({ method: 'GET', url, headers });
    const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url, headers, payload: payload as object });

    it('answers out-of-range ids, versions and NUL bill refs with a typed 4xx (credentials only where the route needs them)', async () => {
      // Receipts authenticate from the headers before anything else (http/terminal-request.ts):
      // without credentials the answer is 401 whatever the id; with them the id is refused.
      expectTyped4xx(await get('/v1/receipts/99999999999999999999'), 'header.x-huduma-certificate');
      expectTyped4xx(await get('/v1/receipts/99999999999999999999', op), 'params.receiptId');
      expectTyped4xx(
        await get('/v1/receipts/99999999999999999999/inclusion-proof?seq=0', op),
        'params.receiptId',
      );
      const fetcher = pki.terminal('TRM-DL1');
      expectTyped4xx(await get('/v1/terminals/TRM-DL1/deny-list?since=1e20'), 'header.x-huduma-certificate');
      expectTyped4xx(
        await signed(fetcher, 'GET', '/v1/terminals/TRM-DL1/deny-list?since=1e20'),
        'query.since',
      );
      expectTyped4xx(await get('/v1/bills/A%00B'), 'params.billRef');
      // Longer than the router allows for a path parameter (found by the hostile soak).
      expectTyped4xx(await get(`/v1/admin/cards/${'x'.repeat(300)}`));
      expectTyped4xx(await get('/v1/merkle/inclusion-proof?leafIndex=1e20'), 'query.leafIndex');
    });

    it('answers NULs and out-of-range numbers behind credentials with a typed 4xx', async () => {
      const card = cardNumberFor(9001);
      expectTyped4xx(
        await post('/v1/topups/mpesa', { TransID: 'A\u0000B', TransAmount: '10', BillRefNumber: card }, cb),
        'body.TransID',
      );
      expectTyped4xx(
        await post(
          '/v1/topups/mpesa',
          { TransID: 'T1', TransAmount: '10', BillRefNumber: card, MSISDN: '2547\u0000' },
          cb,
        ),
        'body.MSISDN',
      );
      expectTyped4xx(
        await post('/v1/admin/deny-list', { cardNumber: card, action: 'add', reason: 'x\u0000y' }, op),
        'body.reason',
      );
      expectTyped4xx(await post('/v1/admin/terminals/T1/revoke', { reason: 'x\u0000y' }, op), 'body.reason');
      expectTyped4xx(await post('/v1/admin/bills', { billRef: 'B1', serviceCode: 9, amountCents: 100 }, op));
      expectTyped4xx(
        await post('/v1/admin/bills', { billRef: 'B2', serviceCode: 1001, amountCents: 1e20 }, op),
        'body.amountCents',
      );
      expectTyped4xx(
        await post('/v1/admin/bills', { billRef: 'B3', serviceCode: 1e10, amountCents: 100 }, op),
        'body.serviceCode',
      );
      expectTyped4xx(await get('/v1/admin/alerts?after=1e20', op), 'query.after');
      const t = pki.terminal('EDGE-1');
      expectTyped4xx(
        await signed(t, 'POST', '/v1/terminals/EDGE-1/shift-close', {
          shiftId: 'S\u00001',
          count: 0,
          amountCents: 0,
        }),
        'body.shiftId',
      );
      const tables = await db.query<{ n: number }>(
        'SELECT (SELECT COUNT(*) FROM pending_topups) + (SELECT COUNT(*) FROM bills) + (SELECT COUNT(*) FROM deny_list) + (SELECT COUNT(*) FROM revoked_terminals) AS n',
      );
      expect(tables[0]!.n).toBe(0);
    });

    it('bounds mobile-money top-ups and refuses card numbers failing the check digit, Daraja-style', async () => {
      const card = cardNumberFor(9002);
      const huge = await post(
        '/v1/topups/mpesa',
        { TransID: 'BIG1', TransAmount: '999999999999.99', BillRefNumber: card },
        cb,
      );
      expectTyped4xx(huge, 'body.TransAmount');
      expect(huge.json().ResultCode).not.toBe(0);
      const badLuhn = `${card.slice(0, 15)}${(Number(card[15]) + 1) % 10}`;
      const luhn = await post(
        '/v1/topups/mpesa',
        { TransID: 'LUHN1', TransAmount: '100', BillRefNumber: badLuhn },
        cb,
      );
      expectTyped4xx(luhn, 'body.BillRefNumber');
      expect(luhn.json().ResultCode).not.toBe(0);
      const rows = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM pending_topups');
      expect(rows[0]!.n).toBe(0);
    });

    it('refuses a top-up that could never fit on the card: known balance + parked top-ups beyond u32 cents', async () => {
      const card = cardNumberFor(9003);
      // The card's last signed balance, as an upload would have left it: 50 cents below u32.
      await db.query(
        `INSERT INTO card_counters (card_number, counter, record_hash, terminal_id, seq, tx_type, amount_cents, balance_after)
         VALUES ($1, 7, $2, 'T', 1, 3, 1, $3)`,
        [card, new Uint8Array(32), 0xffff_ffff - 50],
      );
      const res = await post(
        '/v1/topups/mpesa',
        { TransID: 'FULL1', TransAmount: '1.00', BillRefNumber: card },
        cb,
      );
      expectTyped4xx(res, 'body.TransAmount');
      expect(res.json()).toMatchObject({ error: 'ERR_CARD_BALANCE_LIMIT' });
      expect(res.json().ResultCode).not.toBe(0);
      const fits = await post(
        '/v1/topups/mpesa',
        { TransID: 'FIT1', TransAmount: '0.50', BillRefNumber: card },
        cb,
      );
      expect(fits.statusCode, fits.body).toBe(200);
    });
  });
}
