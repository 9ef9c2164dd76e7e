/**
 * Card v2 money rules of the clearing service: the load authority signs a RELOAD for counter c
 * only when the service holds every record of the card up to c (SPEC.md §2.12, §6.10), from
 * uploaded logs or from the card's ring sent with the request; one currency, signed by the card.
 */
import { CURRENCY_KES, decodeLoadAuthorization, fromHex } from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { cardNumberFor, type TestCard, TestPki, type TestTerminal } from './fixtures';
import { openTestPglite } from './support/pglite-pool';

const OPERATOR = 'operator-token-for-tests-0123456789';
const USD = 0x0840;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('reload sync rule and currency (card applet v2)', () => {
  let db: Db;
  let app: FastifyInstance;
  const pki = new TestPki();
  const devPki = DevPki.inMemory();
  const centre = pki.terminal('HC-SYNC', { capabilities: 0x07 });
  let nonce = 0;

  beforeAll(async () => {
    db = await openTestPglite();
    app = createClearingService({
      db,
      signer: generateSigner(),
      operatorToken: OPERATOR,
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

  function askLoad(card: TestCard, extra: Record<string, unknown> = {}) {
    const url = '/v1/load-authorizations';
    const payload = JSON.stringify({
      cardNumber: card.cardNumber,
      counter: card.counter,
      challenge: 'ab'.repeat(16),
      terminalSeq: ++nonce,
      terminalNonce: nonce.toString(16).padStart(16, '0'),
      source: 'cash',
      amountCents: 100_00,
      ...extra,
    });
    return app.inject({
      method: 'POST',
      url,
      headers: { ...centre.signRequest('POST', url, payload), 'content-type': 'application/json' },
      payload,
    });
  }

  function upload(t: TestTerminal) {
    t.checkpoint();
    const url = `/v1/terminals/${t.terminalId}/batches`;
    const body = t.batch();
    return app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/cbor', ...t.signRequest('POST', url, body) },
      payload: Buffer.from(body),
    });
  }

  const ringOf = (card: TestCard, ...counters: number[]) => ({
    cardCertificate: hex(card.certificate),
    cardRecords: counters.map((c) => hex(card.ring.get(c)!)),
  });

  it('signs for a fresh card (counter 0: nothing to hold) in the service currency', async () => {
    const card = pki.card(cardNumberFor(700), 0);
    const res = await askLoad(card);
    expect(res.statusCode, res.body).toBe(200);
    const auth = decodeLoadAuthorization(fromHex(res.json().authorization));
    expect(auth).toMatchObject({ cardNumber: card.cardNumber, cardCounter: 0, currency: CURRENCY_KES });
  });

  it('refuses a card whose records it does not hold, naming the first missing counter; signs once the ring proofs come with the request', async () => {
    const card = pki.card(cardNumberFor(701));
    const shop = pki.terminal('SHOP-S1');
    shop.sale(card, 120_00);
    shop.sale(card, 80_00);

    const bare = await askLoad(card);
    expect(bare.statusCode).toBe(409);
    expect(bare.json().error).toBe('ERR_CARD_NOT_SYNCED');
    expect(bare.json().message).toContain('counter 1');

    const partial = await askLoad(card, ringOf(card, 2));
    expect(partial.statusCode).toBe(409);
    expect(partial.json().message).toContain('counter 1');

    const full = await askLoad(card, ringOf(card, 2, 1));
    expect(full.statusCode, full.body).toBe(200);
    expect(decodeLoadAuthorization(fromHex(full.json().authorization)).cardCounter).toBe(2);

    // The shop's log arrives later: its sales are accepted and settled as usual, with no alert
    // (the ring copies are the same proofs, not a second record for the counters).
    const up = await upload(shop);
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json()).toMatchObject({ alerts: 0 });
    const settled = await db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM accepted_records WHERE card_number = $1 AND record_type = 'debit' AND flags IS NULL`,
      [card.cardNumber],
    );
    expect(Number(settled[0]!.n)).toBe(2);
  });

  it('answers a claimed counter near 2^32 at once (no scan of the counter range)', async () => {
    const card = pki.card(cardNumberFor(709), 0);
    card.counter = 0xfffffffe;
    const started = Date.now();
    const res = await askLoad(card);
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain('counter 1:');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('counts the record of a reload it authorized as held: the card never offers it again (it is synced)', async () => {
    const card = pki.card(cardNumberFor(708), 0);
    const first = await askLoad(card);
    expect(first.statusCode, first.body).toBe(200);
    centre.reload(card, 100_00, 'CASH-1'); // counter 1: synced on the card, log not uploaded yet
    const shop = pki.terminal('SHOP-S5');
    shop.sale(card, 20_00); // counter 2: unsynced, in the ring
    const bare = await askLoad(card);
    expect(bare.statusCode).toBe(409);
    expect(bare.json().message).toContain('counter 2');
    const second = await askLoad(card, ringOf(card, 2));
    expect(second.statusCode, second.body).toBe(200);
  });

  it('signs from uploaded logs alone, and refuses a ring record that contradicts one it holds', async () => {
    const card = pki.card(cardNumberFor(702));
    const shop = pki.terminal('SHOP-S2');
    shop.sale(card, 50_00);
    expect((await upload(shop)).statusCode).toBe(200);
    const synced = await askLoad(card);
    expect(synced.statusCode, synced.body).toBe(200);

    // A clone made at counter 0 signs another record for counter 1.
    const twin = pki.card(cardNumberFor(703));
    const clone = twin.clone();
    shop.sale(twin, 10_00);
    expect((await upload(shop)).statusCode).toBe(200);
    clone.transact({ type: 1, amount: 99_00, terminalId: 'SHOP-S9', terminalSeq: 1, time: 1, billRef: 'X' });
    const conflict = await askLoad(clone, ringOf(clone, 1));
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toBe('ERR_CARD_RECORD_CONFLICT');
  });

  it('refuses ring proofs that do not verify: tampered, another card’s, or without the certificate', async () => {
    const card = pki.card(cardNumberFor(704));
    const other = pki.card(cardNumberFor(705));
    const shop = pki.terminal('SHOP-S3');
    shop.sale(card, 30_00);
    shop.sale(other, 30_00);

    const tampered = card.ring.get(1)!.slice();
    tampered[8]! ^= 0x01; // amount
    for (const extra of [
      { cardCertificate: hex(card.certificate), cardRecords: [hex(tampered)] },
      { cardCertificate: hex(other.certificate), cardRecords: [hex(card.ring.get(1)!)] },
      { cardCertificate: hex(card.certificate), cardRecords: [hex(other.ring.get(1)!)] },
      { cardRecords: [hex(card.ring.get(1)!)] },
    ]) {
      const res = await askLoad(card, extra);
      expect(res.statusCode, JSON.stringify(extra).slice(0, 80)).toBe(422);
      expect(res.json().error).toBe('ERR_CARD_RECORD_INVALID');
    }
    const held = await db.query('SELECT 1 FROM card_ring_records WHERE card_number = $1', [card.cardNumber]);
    expect(held).toHaveLength(0);
  });

  it('loads only the service currency, and refuses an upload whose card signed another currency', async () => {
    const card = pki.card(cardNumberFor(706), 0);
    const usd = await askLoad(card, { currency: USD });
    expect(usd.statusCode).toBe(400);
    expect(usd.json().error).toBe('ERR_LOAD_CURRENCY');

    const dollarCard = pki.card(cardNumberFor(707), 1_000_00, USD);
    const shop = pki.terminal('SHOP-S4');
    shop.sale(dollarCard, 5_00);
    const up = await upload(shop);
    expect(up.statusCode).toBe(422);
    expect(up.json()).toMatchObject({ error: 'ERR_CARD_PROOF_CURRENCY', seq: 0 });
  });
});
