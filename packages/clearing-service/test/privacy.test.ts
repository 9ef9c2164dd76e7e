/**
 * Public routes must not hand out a payer's card: bill references are guessable and receipt ids
 * sequential. Card number, certificate and card-signed proof go only to the operator and to the
 * terminal that took the payment; receipts only to their terminal and the operator.
 */
import { signTerminalRequest } from '@huduma/txlog';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { cardNumberFor, TestPki, type TestTerminal } from './fixtures';
import { openTestPglite } from './support/pglite-pool';

const OPERATOR = 'operator-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${OPERATOR}` };

describe('privacy of public routes', () => {
  let db: Db;
  let app: FastifyInstance;
  const pki = new TestPki();
  const payer = pki.terminal('PRV-1');
  const other = pki.terminal('PRV-2');
  const card = pki.card(cardNumberFor(4242));
  let receiptId: number;

  beforeAll(async () => {
    db = await openTestPglite();
    app = createClearingService({
      db,
      signer: generateSigner(),
      operatorToken: OPERATOR,
      logger: false,
      trust: pki.trust,
    });
    await app.ready();
    const bill = await app.inject({
      method: 'POST',
      url: '/v1/admin/bills',
      headers: auth,
      payload: { billRef: 'BILL-PRV-1', serviceCode: 1001, amountCents: 1_050_00 },
    });
    expect(bill.statusCode, bill.body).toBe(200);
    payer.sale(card, 1_050_00, 'BILL-PRV-1', 1001);
    payer.checkpoint();
    const batch = payer.batch();
    const up = await app.inject({
      method: 'POST',
      url: '/v1/terminals/PRV-1/batches',
      headers: {
        'content-type': 'application/cbor',
        ...payer.signRequest('POST', '/v1/terminals/PRV-1/batches', batch),
      },
      payload: Buffer.from(batch),
    });
    expect(up.statusCode, up.body).toBe(200);
    receiptId = up.json().receiptId;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const signedGet = (t: TestTerminal, url: string) =>
    app.inject({
      method: 'GET',
      url,
      headers: signTerminalRequest({
        method: 'GET',
        path: url,
        certificate: t.certificate,
        privateKey: t.key.privateKey,
        publicKey: t.key.publicKey,
      }),
    });

  it('answers a bill without credentials with its status only: no card number, certificate or proof', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/bills/BILL-PRV-1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ billRef: 'BILL-PRV-1', status: 'paid' });
    expect(res.body).not.toContain(card.cardNumber);
    expect(res.body).not.toContain(Buffer.from(card.certificate).toString('hex').slice(0, 40));
    for (const key of ['cardNumber', 'cardCertificate', 'cardProof', 'record']) {
      expect(res.json().payment).not.toHaveProperty(key);
    }
    // Another terminal sees no more than the public.
    const otherView = await signedGet(other, '/v1/bills/BILL-PRV-1');
    expect(otherView.json().payment).not.toHaveProperty('cardNumber');
  });

  it('gives the card-signed proof to the operator and to the terminal that took the payment', async () => {
    const operator = await app.inject({ method: 'GET', url: '/v1/bills/BILL-PRV-1', headers: auth });
    expect(operator.json().payment).toMatchObject({ cardNumber: card.cardNumber, terminalId: 'PRV-1' });
    // Card applet v2 proof: 130 bytes (signed currency and cvm).
    expect(operator.json().payment.cardProof).toMatch(/^[0-9a-f]{260}$/);
    const own = await signedGet(payer, '/v1/bills/BILL-PRV-1');
    expect(own.json().payment).toMatchObject({ cardNumber: card.cardNumber });
  });

  it('checks a signed bill request in full: a replayed or forged signature is refused, not answered anonymously', async () => {
    const url = '/v1/bills/BILL-PRV-1';
    const headers = payer.signRequest('GET', url);
    expect((await app.inject({ method: 'GET', url, headers })).statusCode).toBe(200);
    const replay = await app.inject({ method: 'GET', url, headers });
    expect(replay.statusCode, replay.body).toBe(409);
    expect(replay.json()).toMatchObject({ error: 'ERR_TERMINAL_REQUEST_REPLAYED' });
    const forged = await app.inject({
      method: 'GET',
      url,
      headers: {
        ...payer.signRequest('GET', url),
        'x-huduma-signature': other.signRequest('GET', url)['x-huduma-signature']!,
      },
    });
    expect(forged.statusCode, forged.body).toBe(401);
    expect(forged.body).not.toContain(card.cardNumber);
  });

  it('shows a receipt only to its terminal and the operator', async () => {
    const anonymous = await app.inject({ method: 'GET', url: `/v1/receipts/${receiptId}` });
    expect(anonymous.statusCode).toBe(401);
    const proofAnon = await app.inject({
      method: 'GET',
      url: `/v1/receipts/${receiptId}/inclusion-proof?seq=0`,
    });
    expect(proofAnon.statusCode).toBe(401);
    expect((await signedGet(other, `/v1/receipts/${receiptId}`)).statusCode).toBe(404);
    expect((await signedGet(payer, `/v1/receipts/${receiptId}`)).statusCode).toBe(200);
    expect(
      (await app.inject({ method: 'GET', url: `/v1/receipts/${receiptId}`, headers: auth })).statusCode,
    ).toBe(200);
  });
});
