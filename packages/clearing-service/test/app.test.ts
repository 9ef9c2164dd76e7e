import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { ingestBatch } from '../src/ingest';
import { appendLeaves, hashLeaf, verifyInclusion } from '../src/merkle';
import { CardProofRecordVerifier } from '../src/record-verifier';
import { encodeTreeHead } from '../src/signed-messages';
import { generateSigner, type Signer, verifyP256 } from '../src/signer';
import { raiseAlert } from '../src/store';
import { TrustStore } from '../src/trust';
import { cardNumberFor, TestPki } from './fixtures';
import { openTestPglite } from './support/pglite-pool';

const OPERATOR = 'operator-token-for-tests-0123456789';
const CALLBACK = 'mpesa-callback-secret-abcdef';
const auth = { authorization: `Bearer ${OPERATOR}` };

describe('clearing service HTTP API', () => {
  let db: Db;
  let signer: Signer;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await openTestPglite();
    signer = generateSigner();
    app = createClearingService({
      db,
      signer,
      operatorToken: OPERATOR,
      topupCallbackToken: CALLBACK,
      logger: false,
      now: () => 1_770_000_000_000,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('reports health and serves an OpenAPI document covering every route', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({
      status: 'ok',
      database: 'pglite',
      storage: { writable: true },
      treeSize: 0,
      keyId: signer.keyId,
    });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/healthz',
        '/v1/catalog',
        '/v1/terminals/{terminalId}/deny-list',
        '/v1/admin/deny-list/terminals',
        '/v1/admin/alerts',
        '/v1/admin/deny-list',
        '/v1/admin/settlement',
        '/v1/topups/mpesa',
        '/v1/cards/{cardNumber}/pending-topups',
      ]),
    );
    expect(doc.components.securitySchemes.operator).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('serves the service catalog with fees in cents', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/catalog' });
    const body = res.json();
    expect(body.currency).toBe('KES');
    expect(body.services).toContainEqual({
      serviceCode: 1001,
      name: 'Ordinary passport application (34 pages)',
      agency: 'Department of Immigration Services',
      feeCents: 750_000,
    });
  });

  it('guards admin routes with the operator bearer token', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: OPERATOR }]) {
      const res = await app.inject({ method: 'GET', url: '/v1/admin/alerts', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('ERR_UNAUTHORIZED');
    }
    const ok = await app.inject({ method: 'GET', url: '/v1/admin/alerts', headers: auth });
    expect(ok.statusCode).toBe(200);
  });

  it('refuses a short operator token at startup', () => {
    expect(() => createClearingService({ db, signer, operatorToken: 'short', logger: false })).toThrow(
      /16 characters/,
    );
  });

  it('lists alerts for operators', async () => {
    const id = await raiseAlert(db, {
      kind: 'card_clone',
      severity: 'critical',
      cardNumber: '4000000000000002',
    });
    const res = await app.inject({ method: 'GET', url: `/v1/admin/alerts?after=${id - 1}`, headers: auth });
    expect(res.json().alerts[0]).toMatchObject({
      alertId: id,
      kind: 'card_clone',
      severity: 'critical',
      details: {},
    });
  });

  it('refuses a deny-list entry with a malformed card number', async () => {
    const badCard = await app.inject({
      method: 'POST',
      url: '/v1/admin/deny-list',
      headers: auth,
      payload: { cardNumber: '4111', action: 'add', reason: 'x' },
    });
    expect(badCard.statusCode).toBe(400);
    expect(badCard.json().error).toBe('ERR_VALIDATION');
  });

  it('settles per merchant in JSON and CSV', async () => {
    // Stored the way production stores records: a verified upload (ingestBatch).
    const pki = new TestPki();
    const trust = new TrustStore(pki.trust);
    const ingest = { db, signer, trust, verifier: new CardProofRecordVerifier(trust), now: Date.now };
    const t = pki.terminal('T-KSM-1', { merchantId: 'M-KISUMU' });
    const card = pki.card(cardNumberFor(7));
    const dayStartMs = Math.floor((Date.now() - 2 * 86_400_000) / 86_400_000) * 86_400_000 - 3 * 3600_000;
    const date = new Date(dayStartMs + 3 * 3600_000).toISOString().slice(0, 10);
    t.time = dayStartMs + 9 * 3600_000;
    t.sale(card, 105_000);
    t.sale(card, 15_000, 'B-KSM-CANCEL');
    t.cancel(card, 15_000, 'B-KSM-CANCEL', 2);
    t.checkpoint();
    expect((await ingestBatch(ingest, t.terminalId, t.batch())).status).toBe('accepted');

    const json = await app.inject({
      method: 'GET',
      url: `/v1/admin/settlement?date=${date}`,
      headers: auth,
    });
    expect(json.json()).toEqual({
      date,
      currency: 'KES',
      merchants: [
        {
          merchantId: 'M-KISUMU',
          merchantName: 'M-KISUMU',
          debitCount: 2,
          grossDebitsCents: 120_000,
          cancelCount: 1,
          cancelsCents: 15_000,
          netCents: 105_000,
        },
      ],
      totals: {
        debitCount: 2,
        grossDebitsCents: 120_000,
        cancelCount: 1,
        cancelsCents: 15_000,
        netCents: 105_000,
      },
    });
    const csv = await app.inject({
      method: 'GET',
      url: `/v1/admin/settlement?date=${date}&format=csv`,
      headers: auth,
    });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body).toBe(
      'date,merchant_id,merchant_name,debit_count,gross_debits_kes,gross_debits_cents,cancel_count,cancels_kes,cancels_cents,net_kes,net_cents\r\n' +
        `${date},M-KISUMU,M-KISUMU,2,1200.00,120000,1,150.00,15000,1050.00,105000\r\n`,
    );
    const badDate = await app.inject({
      method: 'GET',
      url: '/v1/admin/settlement?date=2026-02-30',
      headers: auth,
    });
    expect(badDate.statusCode).toBe(400);
  });

  it('records M-Pesa notifications idempotently and lists pending top-ups', async () => {
    const payload = {
      TransactionType: 'Pay Bill',
      TransID: 'SLK4H7R2PQ',
      TransAmount: '1500.50',
      BillRefNumber: '4000 1234 5678 9017',
      MSISDN: '254712345678',
    };
    const headers = { 'x-callback-token': CALLBACK };
    const unknown = await app.inject({ method: 'POST', url: '/v1/topups/mpesa', payload, headers });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ error: 'ERR_CARD_UNKNOWN', ResultCode: 'C2B00012' });
    // The issuer imports the cards it issued; top-ups for them are accepted from then on.
    const imported = await app.inject({
      method: 'POST',
      url: '/v1/admin/cards',
      headers: { authorization: `Bearer ${OPERATOR}` },
      payload: { cardNumbers: ['4000123456789017'] },
    });
    expect(imported.json()).toEqual({ imported: 1, alreadyKnown: 0 });
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/topups/mpesa',
      payload,
      headers: { 'x-callback-token': 'nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const first = await app.inject({ method: 'POST', url: '/v1/topups/mpesa', payload, headers });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      ResultCode: 0,
      duplicate: false,
      topup: {
        cardNumber: '4000123456789017',
        amountCents: 150_050,
        status: 'pending',
        providerTxnId: 'SLK4H7R2PQ',
      },
    });
    const again = await app.inject({ method: 'POST', url: '/v1/topups/mpesa', payload, headers });
    expect(again.json()).toMatchObject({ duplicate: true, topup: first.json().topup });
    const conflict = await app.inject({
      method: 'POST',
      url: '/v1/topups/mpesa',
      payload: { ...payload, TransAmount: '2000' },
      headers,
    });
    expect(conflict.statusCode).toBe(409);
    const badAccount = await app.inject({
      method: 'POST',
      url: '/v1/topups/mpesa',
      payload: { ...payload, TransID: 'OTHER1', BillRefNumber: 'INV-22' },
      headers,
    });
    expect(badAccount.statusCode).toBe(400);
    expect(badAccount.json().error).toBe('ERR_CARD_NUMBER');

    const unauth = await app.inject({ method: 'GET', url: '/v1/cards/4000123456789017/pending-topups' });
    expect(unauth.statusCode).toBe(401);
    const list = await app.inject({
      method: 'GET',
      url: '/v1/cards/4000123456789017/pending-topups',
      headers: auth,
    });
    expect(list.json()).toMatchObject({
      cardNumber: '4000123456789017',
      totalCents: 150_050,
      topups: [first.json().topup],
    });
  });

  it('serves signed Merkle checkpoints and inclusion proofs that verify', async () => {
    // The tree may already hold the leaves of earlier uploads: count from where it stands.
    const base = (await app.inject({ method: 'GET', url: '/v1/merkle/checkpoint' })).json()
      .treeSize as number;
    const leaves = Array.from({ length: 11 }, (_, i) => Uint8Array.of(0x42, i));
    await db.transaction((tx) => appendLeaves(tx, leaves));
    const sth = (await app.inject({ method: 'GET', url: '/v1/merkle/checkpoint' })).json();
    expect(sth.treeSize).toBe(base + 11);
    const rootHash = new Uint8Array(Buffer.from(sth.rootHash, 'hex'));
    const signature = new Uint8Array(Buffer.from(sth.signature, 'hex'));
    expect(verifyP256(signer.publicKey, encodeTreeHead({ ...sth, rootHash }), signature)).toBe(true);
    const res = await app.inject({ method: 'GET', url: `/v1/merkle/inclusion-proof?leafIndex=${base + 6}` });
    const p = res.json();
    expect(p.leafHash).toBe(Buffer.from(hashLeaf(leaves[6]!)).toString('hex'));
    const proof = p.proof.map((h: string) => new Uint8Array(Buffer.from(h, 'hex')));
    expect(verifyInclusion(hashLeaf(leaves[6]!), base + 6, base + 11, proof, rootHash)).toBe(true);
    const beyond = await app.inject({
      method: 'GET',
      url: `/v1/merkle/inclusion-proof?leafIndex=${base + 11}`,
    });
    expect(beyond.statusCode).toBe(400);
    expect(beyond.json().error).toBe('ERR_MERKLE_RANGE');
  });

  it('disables the top-up route when no callback token is configured', async () => {
    const closed = createClearingService({ db, signer, operatorToken: OPERATOR, logger: false });
    const res = await closed.inject({
      method: 'POST',
      url: '/v1/topups/mpesa',
      payload: { TransID: 'X', TransAmount: '10', BillRefNumber: '4000123456789017' },
    });
    expect(res.statusCode).toBe(503);
    await closed.close();
  });

  it('accepts a terminal through the pluggable terminal authenticator', async () => {
    const withTerminals = createClearingService({
      db,
      signer,
      operatorToken: OPERATOR,
      logger: false,
      terminalAuth: {
        async authenticate(request) {
          return request.headers['x-test-terminal'] === 'T-KSM-1'
            ? { terminalId: 'T-KSM-1', merchantId: 'M-KISUMU' }
            : undefined;
        },
      },
    });
    const ok = await withTerminals.inject({
      method: 'GET',
      url: '/v1/cards/4000123456789017/pending-topups',
      headers: { 'x-test-terminal': 'T-KSM-1' },
    });
    expect(ok.statusCode).toBe(200);
    const no = await withTerminals.inject({
      method: 'GET',
      url: '/v1/cards/4000123456789017/pending-topups',
      headers: { 'x-test-terminal': 'T-OTHER' },
    });
    expect(no.statusCode).toBe(401);
    await withTerminals.close();
  });
});
