import { readFileSync } from 'node:fs';
import {
  certificateSigningMessage,
  decodeCertificate,
  decodeLoadAuthorization,
  fromHex,
  loadAuthorizationSigningMessage,
  Size,
  transactionSigningMessage,
  verifyLoadAuthorizationBytes,
  verifyMessage,
} from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import { signTerminalRequest } from '@huduma/txlog';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { p256KeyObject, verifyRaw } from '../src/trust';
import { cardNumberFor, TestPki, type TestTerminal } from './fixtures';
import { openTestPglite } from './support/pglite-pool';

const OPERATOR = 'operator-token-for-tests-0123456789';
const CALLBACK = 'mpesa-callback-secret-abcdef';

describe('load authorizations and top-ups', () => {
  let db: Db;
  let app: FastifyInstance;
  const pki = new TestPki();
  const devPki = DevPki.inMemory();

  beforeAll(async () => {
    db = await openTestPglite();
    app = createClearingService({
      db,
      signer: generateSigner(),
      operatorToken: OPERATOR,
      topupCallbackToken: CALLBACK,
      logger: Boolean(process.env.DEBUG_LOG),
      trust: pki.trust,
      loadAuthority: devPki.loadAuthority,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
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

  it('authorizes a paid M-Pesa top-up for the next tap, and marks it loaded when the reload record arrives', async () => {
    const card = pki.card(cardNumberFor(500), 0);
    const agent = pki.terminal('AGT-1', { capabilities: 0x07 });
    await app.inject({
      method: 'POST',
      url: '/v1/admin/cards',
      headers: { authorization: `Bearer ${OPERATOR}` },
      payload: { cardNumbers: [card.cardNumber] },
    });
    const notify = await app.inject({
      method: 'POST',
      url: '/v1/topups/mpesa',
      headers: { 'x-callback-token': CALLBACK },
      payload: {
        TransID: 'QGH7K2LX9P',
        TransAmount: '250.00',
        BillRefNumber: card.cardNumber,
        MSISDN: '254700000001',
      },
    });
    expect(notify.statusCode).toBe(200);

    const pending = await signed(agent, 'GET', `/v1/cards/${card.cardNumber}/pending-topups`);
    expect(pending.statusCode, pending.body).toBe(200);
    const topup = pending.json().topups[0];
    expect(topup).toMatchObject({ amountCents: 250_00, status: 'pending' });

    const challenge = 'ab'.repeat(16);
    const res = await signed(agent, 'POST', '/v1/load-authorizations', {
      cardNumber: card.cardNumber,
      counter: card.counter,
      challenge,
      terminalSeq: 1,
      terminalNonce: '01'.repeat(8),
      source: 'topup',
      topupId: topup.topupId,
    });
    expect(res.statusCode, res.body).toBe(200);
    const authorization = fromHex(res.json().authorization);
    expect(verifyLoadAuthorizationBytes(authorization, devPki.loadAuthorityPublicKey)).toBe(true);
    expect(decodeLoadAuthorization(authorization)).toMatchObject({
      cardNumber: card.cardNumber,
      cardCounter: 0,
      amount: 250_00,
      terminalId: 'AGT-1',
      terminalSeq: 1,
      loadRef: 'QGH7K2LX9P',
    });

    // The card performs the RELOAD; the agent's log carries the proof; the upload closes the loop.
    agent.terminalSeq = 1;
    agent.reload(card, 250_00, 'QGH7K2LX9P', 1);
    agent.checkpoint();
    const agentBatch = agent.batch();
    const up = await app.inject({
      method: 'POST',
      url: '/v1/terminals/AGT-1/batches',
      headers: {
        'content-type': 'application/cbor',
        ...agent.signRequest('POST', '/v1/terminals/AGT-1/batches', agentBatch),
      },
      payload: Buffer.from(agentBatch),
    });
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json().alerts).toBe(0);
    const status = await db.query<{ status: string }>(
      'SELECT status FROM pending_topups WHERE topup_id = $1',
      [topup.topupId],
    );
    expect(status[0]!.status).toBe('loaded');
    const auth = await db.query<{ status: string }>('SELECT status FROM load_authorizations');
    expect(auth.map((a) => a.status)).toEqual(['consumed']);
  });

  it('refuses unsigned, tampered and reload-incapable requests; flags a reload no authorization matches', async () => {
    const card = pki.card(cardNumberFor(501), 0);
    const body = {
      cardNumber: card.cardNumber,
      counter: 0,
      challenge: 'cd'.repeat(16),
      terminalSeq: 7,
      terminalNonce: '02'.repeat(8),
      source: 'cash',
      amountCents: 1_000_00,
    };
    const unsigned = await app.inject({ method: 'POST', url: '/v1/load-authorizations', payload: body });
    expect(unsigned.statusCode).toBe(401);
    expect(unsigned.json().error).toBe('ERR_TERMINAL_AUTH_MISSING');

    const shop = pki.terminal('SHOP-1', { capabilities: 0x03 });
    const noReload = await signed(shop, 'POST', '/v1/load-authorizations', body);
    expect(noReload.statusCode).toBe(403);
    expect(noReload.json().error).toBe('ERR_TERMINAL_CAPABILITY');

    const centre = pki.terminal('HC-1', { capabilities: 0x07 });
    const headers = signTerminalRequest({
      method: 'POST',
      path: '/v1/load-authorizations',
      body: JSON.stringify(body),
      certificate: centre.certificate,
      privateKey: centre.key.privateKey,
      publicKey: centre.key.publicKey,
    });
    const tampered = await app.inject({
      method: 'POST',
      url: '/v1/load-authorizations',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...body, amountCents: 9_000_00 }),
    });
    // Same length, other bytes: the signature still verifies (it covers the declared hash), the
    // body read does not match that hash.
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json()).toMatchObject({
      error: 'ERR_TERMINAL_AUTH_BODY',
      field: 'header.x-huduma-content-sha256',
    });

    const cash = await signed(centre, 'POST', '/v1/load-authorizations', body);
    expect(cash.statusCode, cash.body).toBe(200);
    expect(cash.json()).toMatchObject({ amountCents: 1_000_00, loadRef: 'CASH-7' });

    // A reload of a different amount than authorized (as if the load-authority key had leaked).
    centre.reload(card, 5_000_00, 'CASH-7', 7);
    centre.checkpoint();
    const centreBatch = centre.batch();
    const up = await app.inject({
      method: 'POST',
      url: '/v1/terminals/HC-1/batches',
      headers: {
        'content-type': 'application/cbor',
        ...centre.signRequest('POST', '/v1/terminals/HC-1/batches', centreBatch),
      },
      payload: Buffer.from(centreBatch),
    });
    expect(up.statusCode).toBe(200);
    const alerts = (
      await app.inject({
        method: 'GET',
        url: '/v1/admin/alerts',
        headers: { authorization: `Bearer ${OPERATOR}` },
      })
    ).json().alerts;
    expect(alerts).toContainEqual(
      expect.objectContaining({ kind: 'reload-without-authorization', cardNumber: card.cardNumber }),
    );
  });
});

describe('node:crypto (OpenSSL) and the spec’s noble verifyMessage agree', () => {
  it('on every signature of card-applet-spec/vectors/v2.json, and on each with one bit flipped', () => {
    const v = JSON.parse(
      readFileSync(new URL('../../../card-applet-spec/vectors/v2.json', import.meta.url), 'utf8'),
    );
    const cardCert = fromHex(v.certificates.card.hex);
    const terminalCert = fromHex(v.certificates.terminal.hex);
    const card = decodeCertificate(cardCert);
    if (card.type !== 'card') throw new Error('vector card certificate is not a card certificate');
    // The vector card's PK.card is what the certificate certifies: the proofs verify with it.
    expect(Buffer.from(card.signingKey).toString('hex')).toBe(v.keys.card.publicKey);
    const authorization = fromHex(v.reload.authorization);
    const cases: Array<{ key: string; message: Uint8Array; signature: Uint8Array }> = [
      ...[v.reload, v.example.debit].map((t: { recordHex: string; signature: string }) => ({
        key: v.keys.card.publicKey,
        message: transactionSigningMessage(card.cardNumber, fromHex(t.recordHex)),
        signature: fromHex(t.signature),
      })),
      {
        key: v.keys.issuerCa.publicKey,
        message: certificateSigningMessage(cardCert.subarray(0, Size.CARD_CERTIFICATE_TBS)),
        signature: cardCert.subarray(Size.CARD_CERTIFICATE_TBS),
      },
      {
        key: v.keys.terminalCa.publicKey,
        message: certificateSigningMessage(terminalCert.subarray(0, Size.TERMINAL_CERTIFICATE_TBS)),
        signature: terminalCert.subarray(Size.TERMINAL_CERTIFICATE_TBS),
      },
      {
        key: v.keys.loadAuthority.publicKey,
        message: loadAuthorizationSigningMessage(authorization.subarray(0, Size.LOAD_AUTHORIZATION_TBS)),
        signature: authorization.subarray(Size.LOAD_AUTHORIZATION_TBS),
      },
    ];
    for (const c of cases) {
      const pub = fromHex(c.key);
      expect(verifyRaw(p256KeyObject(pub), c.message, c.signature)).toBe(true);
      expect(verifyMessage(pub, c.message, c.signature)).toBe(true);
      const flipped = c.signature.slice();
      flipped[10]! ^= 0x01;
      expect(verifyRaw(p256KeyObject(pub), c.message, flipped)).toBe(false);
      expect(verifyMessage(pub, c.message, flipped)).toBe(false);
    }
  });
});
