/**
 * A validly signed record the database cannot hold (a time past year 9999, a NUL in a shift id)
 * must not wedge the terminal: records are hash-chained, so refusing one would refuse every later
 * sale. The batch is accepted; the record is kept as bytes, quarantined (no settlement, an alert,
 * named in the receipt) until an operator rules on it, and later uploads go through.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { nairobiBusinessDate } from '../src/store';
import { BACKENDS } from './backends';
import { cardNumberFor, TestPki, type TestTerminal } from './fixtures';

const OPERATOR = 'operator-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${OPERATOR}` };
const YEAR_11000_MS = Date.UTC(11000, 0, 1);

for (const backend of BACKENDS) {
  describe(`unstorable records in uploads (${backend.name})`, () => {
    let db: Db;
    let app: FastifyInstance;
    const pki = new TestPki();

    beforeAll(async () => {
      db = await backend.open();
      app = createClearingService({
        db,
        signer: generateSigner(),
        operatorToken: OPERATOR,
        logger: false,
        trust: pki.trust,
      });
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
      await backend.shutdown();
    });

    const upload = (t: TestTerminal, body: Uint8Array) => {
      const url = `/v1/terminals/${t.terminalId}/batches`;
      return app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/cbor', ...t.signRequest('POST', url, body) },
        payload: Buffer.from(body),
      });
    };

    it('quarantines a record past year 9999 or with a NUL, keeps the chain moving, settles only the rest', async () => {
      const t = pki.terminal('QRT-1');
      const card = pki.card(cardNumberFor(77));
      t.append({ type: 'shift-open', time: YEAR_11000_MS, shiftId: 'S1', operatorId: 'op' });
      t.append({ type: 'shift-open', time: t.tick(), shiftId: 'S\u00002', operatorId: 'op' });
      // Past what a JS Date can hold at all (year 275760).
      t.append({
        type: 'card-blocked',
        time: Number.MAX_SAFE_INTEGER,
        cardNumber: card.cardNumber,
        reason: 'r',
      });
      const sale = t.sale(card, 12_34);
      t.checkpoint();
      const first = await upload(t, t.batch());
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json().quarantined).toEqual([
        expect.objectContaining({ seq: 0, field: 'records[0].time' }),
        expect.objectContaining({ seq: 1, field: 'records[1].shiftId' }),
        expect.objectContaining({ seq: 2, field: 'records[2].time' }),
      ]);

      const stored = await app.inject({
        method: 'GET',
        url: `/v1/receipts/${first.json().receiptId}`,
        headers: auth,
      });
      expect(stored.json().quarantined).toEqual(first.json().quarantined);

      // The next upload of this terminal is not stuck behind the bad records.
      const from = t.nextSeq;
      const later = t.sale(card, 5_00);
      t.checkpoint();
      const second = await upload(t, t.batch(from));
      expect(second.statusCode, second.body).toBe(200);
      expect(second.json().heldUpToSeq).toBe(later.seq + 1);

      const rows = await db.query<{ seq: number; record_type: string; flags: string | null }>(
        "SELECT seq, record_type, flags FROM accepted_records WHERE terminal_id = 'QRT-1' ORDER BY seq",
      );
      expect(rows.slice(0, 4)).toEqual([
        { seq: 0, record_type: 'quarantined', flags: 'quarantine' },
        { seq: 1, record_type: 'quarantined', flags: 'quarantine' },
        { seq: 2, record_type: 'quarantined', flags: 'quarantine' },
        { seq: sale.seq, record_type: 'debit', flags: null },
      ]);
      const alerts = (await app.inject({ method: 'GET', url: '/v1/admin/alerts', headers: auth })).json()
        .alerts as Array<{ kind: string; details: { seq: number; field: string } }>;
      expect(alerts.filter((a) => a.kind === 'record-quarantined').map((a) => a.details.field)).toEqual([
        'records[0].time',
        'records[1].shiftId',
        'records[2].time',
      ]);

      const date = nairobiBusinessDate(Math.floor(t.time / 1000));
      const settlement = (
        await app.inject({ method: 'GET', url: `/v1/admin/settlement?date=${date}`, headers: auth })
      ).json();
      expect(settlement.totals).toMatchObject({ debitCount: 2, grossDebitsCents: 17_34 });
    });
  });
}
