import { decodeTransactionProof, TxType } from '@huduma/card-applet-spec';
import { decodeRecord } from '@huduma/txlog';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { LEAF_INDEX_SQL } from '../src/ingest';
import {
  currentTreeHead,
  hashLeaf,
  inclusionProof,
  inclusionProofFromLeafHashes,
  rootFromLeaves,
  treeRootAt,
  UPLOAD_NODES_FROM_LEVEL,
  verifyInclusion,
} from '../src/merkle';
import { decodeBatchReceipt } from '../src/signed-messages';
import { generateSigner, type Signer, verifyP256 } from '../src/signer';
import { BACKENDS } from './backends';
import { cardNumberFor, TestPki, type TestTerminal } from './fixtures';

const OPERATOR = 'operator-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${OPERATOR}` };
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

for (const backend of BACKENDS) {
  describe(`terminal uploads (${backend.name})`, () => {
    let db: Db;
    let signer: Signer;
    let app: FastifyInstance;
    const pki = new TestPki();

    beforeAll(async () => {
      db = await backend.open();
      signer = generateSigner();
      app = createClearingService({ db, signer, operatorToken: OPERATOR, logger: false, trust: pki.trust });
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
      await backend.shutdown();
    });

    /** Signed by `signer` (default: the terminal that wrote the batch). */
    const upload = (t: TestTerminal, body: Uint8Array, terminalId = t.terminalId, signer = t) => {
      const url = `/v1/terminals/${terminalId}/batches`;
      return app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/cbor', ...signer.signRequest('POST', url, body) },
        payload: Buffer.from(body),
      });
    };
    const count = async (terminalId: string) =>
      (
        await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM accepted_records WHERE terminal_id = $1', [
          terminalId,
        ])
      )[0]!.n;
    const alerts = async () =>
      (await app.inject({ method: 'GET', url: '/v1/admin/alerts?limit=1000', headers: auth })).json()
        .alerts as Array<{
        kind: string;
        cardNumber: string | null;
        terminalId: string | null;
        details: Record<string, unknown>;
      }>;

    it('accepts a checkpointed batch, enrols the terminal, and signs a receipt whose inclusion proofs verify', async () => {
      const t = pki.terminal('TRM-A1', { merchantId: 'ECITIZEN' });
      const card = pki.card(cardNumberFor(1));
      t.append({ type: 'shift-open', time: t.tick(), shiftId: 'S1', operatorId: 'op1' });
      const sale = t.sale(card, 150_00);
      t.sale(card, 20_00);
      t.checkpoint();
      const res = await upload(t, t.batch());
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        status: 'accepted',
        terminalId: 'TRM-A1',
        heldUpToSeq: 3,
        newRecords: 4,
        duplicateRecords: 0,
      });
      expect(body.totals).toContainEqual({ type: 'sale', count: 2, amountCents: 170_00 });

      // Everything a merchant needs: the receipt bytes, its signature, the service public key, and the sale record.
      const receiptBytes = fromHex(body.receipt);
      expect(verifyP256(signer.publicKey, receiptBytes, fromHex(body.signature))).toBe(true);
      const receipt = decodeBatchReceipt(receiptBytes);
      const leaf = receipt.leaves.find((l) => l.seq === sale.seq)!;
      const proofRes = await app.inject({
        method: 'GET',
        url: `/v1/receipts/${body.receiptId}/inclusion-proof?seq=${sale.seq}`,
        headers: auth,
      });
      const proof = proofRes.json();
      expect(proof.leafIndex).toBe(leaf.leafIndex);
      expect(
        verifyInclusion(
          hashLeaf(sale.bytes),
          leaf.leafIndex,
          receipt.treeSize,
          proof.proof.map(fromHex),
          receipt.rootHash,
        ),
      ).toBe(true);
      // A flipped byte in the receipt breaks its signature.
      const forged = receiptBytes.slice();
      forged[forged.length - 1]! ^= 1;
      expect(verifyP256(signer.publicKey, forged, fromHex(body.signature))).toBe(false);

      const state = await app.inject({ method: 'GET', url: '/v1/terminals/TRM-A1/state', headers: auth });
      expect(state.json()).toMatchObject({ terminalId: 'TRM-A1', lastSeq: 3, status: 'active' });
    });

    it('proves every leaf at every tree size from stored nodes of level 4 up and the records under the rest', async () => {
      const card = pki.card(cardNumberFor(40), 10_000_00);
      const terminals = ['TRM-M1', 'TRM-M2', 'TRM-M3'].map((id) => pki.terminal(id));
      // Batches of uneven sizes from three terminals: 16-leaf blocks straddle batches and terminals.
      for (const [k, sales] of [3, 17, 1, 22, 9, 6].entries()) {
        const t = terminals[k % 3]!;
        const from = t.records.length;
        for (let i = 0; i < sales; i++) t.sale(card, 1_00 + i);
        t.checkpoint();
        expect((await upload(t, t.batch(from))).statusCode).toBe(200);
      }
      const leaves = await db.query<{ leaf: number; record: Uint8Array }>(
        `SELECT ${LEAF_INDEX_SQL} AS leaf, r.record FROM accepted_records r JOIN batches b ON b.batch_id = r.batch_id
         ORDER BY leaf`,
      );
      expect(leaves.map((l) => l.leaf)).toEqual(leaves.map((_, i) => i));
      const data = leaves.map((l) => l.record);
      const head = await currentTreeHead(db);
      expect(head.treeSize).toBe(data.length);
      expect(head.rootHash).toEqual(rootFromLeaves(data));
      const stored = await db.query<{ level: number }>(
        'SELECT DISTINCT level FROM merkle_nodes ORDER BY level',
      );
      expect(stored[0]!.level).toBe(UPLOAD_NODES_FROM_LEVEL);
      const leafHashes = data.map(hashLeaf);
      for (const size of [5, 17, data.length]) {
        const root = await treeRootAt(db, size);
        expect(root).toEqual(rootFromLeaves(data.slice(0, size)));
        for (let i = 0; i < size; i++) {
          const p = await inclusionProof(db, i, size);
          expect(p.leafHash).toEqual(leafHashes[i]);
          expect(p.proof).toEqual(inclusionProofFromLeafHashes(leafHashes.slice(0, size), i));
        }
      }
    });

    it('acknowledges a replayed batch as duplicates with the same receipt, and resumes after lastSeq', async () => {
      const t = pki.terminal('TRM-A2');
      const card = pki.card(cardNumberFor(2));
      t.sale(card, 10_00);
      t.checkpoint();
      const first = await upload(t, t.batch());
      expect(first.statusCode).toBe(200);
      const again = await upload(t, t.batch());
      expect(again.statusCode).toBe(200);
      // The exact batch again (a lost response): the original receipt, nothing stored.
      expect(again.json()).toMatchObject({ status: 'duplicate', receiptId: first.json().receiptId });
      expect(again.json().receipt).toBe(first.json().receipt);
      expect(await count('TRM-A2')).toBe(2);

      t.sale(card, 5_00);
      t.sale(card, 6_00);
      t.checkpoint();
      // Overlapping range: records 0..1 are held, 2..4 are new.
      const overlap = await upload(t, t.batch(0));
      expect(overlap.json()).toMatchObject({
        status: 'accepted',
        newRecords: 3,
        duplicateRecords: 2,
        heldUpToSeq: 4,
      });
      expect(await count('TRM-A2')).toBe(5);
    });

    it('refuses a gap and a fork with 409 and raises alerts, storing nothing', async () => {
      const t = pki.terminal('TRM-A3');
      const card = pki.card(cardNumberFor(3));
      t.sale(card, 1_00);
      t.checkpoint();
      expect((await upload(t, t.batch())).statusCode).toBe(200);
      t.sale(card, 2_00);
      t.checkpoint();
      t.sale(card, 3_00);
      t.checkpoint();
      const gap = await upload(t, t.batch(4));
      expect(gap.statusCode).toBe(409);
      expect(gap.json()).toMatchObject({ error: 'ERR_BATCH_GAP', seq: 4 });

      // A second log for the same terminal (same key): seq 0 differs from what is held.
      const fork = pki.terminal('TRM-A3');
      Object.assign(fork, { key: t.key, certificate: t.certificate });
      fork.sale(pki.card(cardNumberFor(4)), 9_00);
      fork.checkpoint();
      const forked = await upload(fork, fork.batch());
      expect(forked.statusCode).toBe(409);
      expect(forked.json()).toMatchObject({ error: 'ERR_LOG_FORK', seq: 0 });
      expect(await count('TRM-A3')).toBe(2);
      const kinds = (await alerts()).filter((a) => a.terminalId === 'TRM-A3').map((a) => a.kind);
      expect(kinds).toEqual(['upload-gap', 'terminal-log-fork']);
    });

    it('rejects tampered, truncated and forged batches naming the record, storing nothing', async () => {
      const t = pki.terminal('TRM-A4');
      const card = pki.card(cardNumberFor(5));
      t.sale(card, 1_00);
      t.sale(card, 2_00);
      t.checkpoint();

      // A byte flipped inside record 1's amount field region: its hash changes, record 2's prevHash no longer matches.
      const tampered = t.records.map((r) => r.slice());
      tampered[1]![tampered[1]!.length - 200]! ^= 0x01;
      const r1 = await upload(t, t.batch(0, 2, tampered));
      expect(r1.statusCode).toBe(422);
      expect(r1.json().seq).toBeGreaterThanOrEqual(1);
      expect(['ERR_RECORD_CHAIN', 'ERR_RECORD_INVALID']).toContain(r1.json().error);
      // The refusal names the record (and the field when there is one) for the terminal's log.
      expect(r1.json().field).toMatch(new RegExp(`^records\\[${r1.json().seq}\\]`));

      const body = t.batch();
      const truncated = await upload(t, body.subarray(0, body.length - 50));
      expect(truncated.statusCode).toBe(400);
      expect(truncated.json().error).toBe('ERR_BATCH_CBOR');

      // Checkpoint signed by another key.
      const impostor = pki.terminal('TRM-A4');
      const forgedCkpt = pki.terminal('TRM-A4');
      Object.assign(forgedCkpt, { certificate: impostor.certificate });
      const c2 = pki.card(cardNumberFor(6));
      forgedCkpt.sale(c2, 1_00);
      Object.assign(forgedCkpt, { key: pki.terminal('TRM-A4').key });
      forgedCkpt.checkpoint();
      // The request itself is signed by the certificate's key; only the checkpoint is forged.
      const r2 = await upload(forgedCkpt, forgedCkpt.batch(), 'TRM-A4', impostor);
      expect(r2.statusCode).toBe(422);
      expect(r2.json()).toMatchObject({ error: 'ERR_CHECKPOINT_SIGNATURE', seq: 1 });

      // A card proof with a wrong signature (re-chained and re-checkpointed by an honest terminal key).
      const bad = pki.terminal('TRM-A4');
      const c3 = pki.card(cardNumberFor(7));
      const sale = bad.sale(c3, 4_00);
      const decoded = decodeRecord(sale.bytes) as Extract<ReturnType<typeof decodeRecord>, { type: 'sale' }>;
      const proof = decoded.cardProof.slice();
      proof[100]! ^= 0x40;
      bad.records.pop();
      Object.assign(bad, { head: new Uint8Array(32) });
      bad.append({ ...decoded, cardProof: proof });
      bad.checkpoint();
      const r3 = await upload(bad, bad.batch());
      expect(r3.statusCode).toBe(422);
      expect(r3.json()).toMatchObject({ error: 'ERR_CARD_PROOF_SIGNATURE', seq: 0 });

      // A proof that does not say what the record says (amount 4.00 signed, 40.00 logged).
      const liar = pki.terminal('TRM-A4');
      const s2 = liar.sale(c3, 4_00);
      const d2 = decodeRecord(s2.bytes) as typeof decoded;
      liar.records.pop();
      Object.assign(liar, { head: new Uint8Array(32) });
      liar.append({ ...d2, amountCents: 40_00 });
      liar.checkpoint();
      const r4 = await upload(liar, liar.batch());
      expect(r4.statusCode).toBe(422);
      expect(r4.json()).toMatchObject({ error: 'ERR_CARD_PROOF_MISMATCH', seq: 0 });
      // The terminal signed both: the operator is told, once per refusal however often it is sent.
      const again = await upload(liar, liar.batch());
      expect(again.json()).toMatchObject({ error: 'ERR_CARD_PROOF_MISMATCH', seq: 0 });
      const proofAlerts = await db.query<{
        severity: string;
        card_number: string;
        details: { seq: number; code: string };
      }>(
        `SELECT severity, card_number, details FROM alerts WHERE kind = 'card-proof-refused' AND terminal_id = $1
         ORDER BY alert_id`,
        ['TRM-A4'],
      );
      expect(proofAlerts.map((a) => [a.severity, a.card_number, a.details.seq, a.details.code])).toEqual([
        ['critical', cardNumberFor(7), 0, 'ERR_CARD_PROOF_SIGNATURE'],
        ['critical', cardNumberFor(7), 0, 'ERR_CARD_PROOF_MISMATCH'],
      ]);

      // A batch without a final checkpoint.
      const unsigned = pki.terminal('TRM-A4');
      unsigned.sale(c3, 1_00);
      const r5 = await upload(unsigned, unsigned.batch());
      expect(r5.json()).toMatchObject({ error: 'ERR_BATCH_UNSIGNED', seq: 0 });

      expect(await count('TRM-A4')).toBe(0);
      expect((await db.query('SELECT 1 FROM terminals WHERE terminal_id = $1', ['TRM-A4'])).length).toBe(0);
    });

    it('accepts a batch that ends without a checkpoint when it carries a valid seal, and refuses a bad one', async () => {
      const t = pki.terminal('TRM-SL1');
      const card = pki.card(cardNumberFor(441));
      for (let i = 0; i < 5; i++) t.sale(card, 1_00);
      // No seal: refused, as before.
      expect((await upload(t, t.batch(0, 2))).json()).toMatchObject({ error: 'ERR_BATCH_UNSIGNED', seq: 2 });
      // A seal over another record, or signed by another terminal's key: refused, nothing stored.
      const other = pki.terminal('TRM-SL2');
      const wrongRecord = t.sealedBatch(0, 2, other.key.sign(new Uint8Array(64)));
      expect((await upload(t, wrongRecord)).json()).toMatchObject({
        error: 'ERR_BATCH_SEAL_SIGNATURE',
        seq: 2,
      });
      expect(await count('TRM-SL1')).toBe(0);
      // Sealed parts upload one after the other, the last ending in a checkpoint (no seal needed).
      const first = await upload(t, t.sealedBatch(0, 2));
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ heldUpToSeq: 2, newRecords: 3 });
      t.checkpoint();
      const second = await upload(t, t.batch(3));
      expect(second.statusCode).toBe(200);
      expect(second.json()).toMatchObject({ heldUpToSeq: 5, newRecords: 3 });
      expect(Number(await count('TRM-SL1'))).toBe(6);
    });

    it('refuses unknown, expired, mismatched and revoked terminals with clear codes', async () => {
      const rogueCa = new TestPki();
      const rogue = rogueCa.terminal('TRM-A5');
      rogue.sale(rogueCa.card(cardNumberFor(8)), 1_00);
      rogue.checkpoint();
      const r1 = await upload(rogue, rogue.batch());
      expect(r1.statusCode).toBe(401);
      expect(r1.json().error).toBe('ERR_TERMINAL_CERT_UNTRUSTED');

      const expired = pki.terminal('TRM-A5', { notBefore: 1_600_000_000, notAfter: 1_700_000_000 });
      expired.sale(pki.card(cardNumberFor(9)), 1_00);
      expired.checkpoint();
      const r2 = await upload(expired, expired.batch());
      expect(r2.statusCode).toBe(401);
      expect(r2.json().error).toBe('ERR_TERMINAL_CERT_EXPIRED');

      const t = pki.terminal('TRM-A5');
      t.sale(pki.card(cardNumberFor(10)), 1_00);
      t.checkpoint();
      const r3 = await upload(t, t.batch(), 'TRM-A6');
      expect(r3.statusCode).toBe(403);
      expect(r3.json().error).toBe('ERR_TERMINAL_ID_MISMATCH');

      const revoke = await app.inject({
        method: 'POST',
        url: '/v1/admin/terminals/TRM-A5/revoke',
        headers: auth,
        payload: { reason: 'stolen' },
      });
      expect(revoke.statusCode).toBe(200);
      const r4 = await upload(t, t.batch());
      expect(r4.statusCode).toBe(403);
      expect(r4.json().error).toBe('ERR_TERMINAL_REVOKED');
    });

    it('catches a cloned card spending the same counter at two terminals: alert and deny list', async () => {
      const card = pki.card(cardNumberFor(20), 500_00);
      card.transact({
        type: TxType.RELOAD,
        amount: 0,
        terminalId: 'HQ',
        terminalSeq: 1,
        time: 1_770_000_000,
        billRef: 'X',
      });
      const copy = card.clone();
      const t1 = pki.terminal('TRM-C1');
      const t2 = pki.terminal('TRM-C2');
      t1.sale(card, 100_00);
      t1.checkpoint();
      t2.sale(copy, 120_00);
      t2.checkpoint();
      const denyList = async (since: number) => {
        const url = `/v1/terminals/${t1.terminalId}/deny-list?since=${since}`;
        return (await app.inject({ method: 'GET', url, headers: t1.signRequest('GET', url) })).json();
      };
      const before = (await denyList(0)).version;
      expect((await upload(t1, t1.batch())).statusCode).toBe(200);
      const second = await upload(t2, t2.batch());
      expect(second.statusCode).toBe(200);
      expect(second.json().alerts).toBe(1);
      const clone = (await alerts()).find((a) => a.kind === 'card-clone')!;
      expect(clone).toMatchObject({ cardNumber: card.cardNumber, terminalId: 'TRM-C2' });
      expect(clone.details).toMatchObject({ counter: 2, otherRecord: { terminalId: 'TRM-C1', seq: 0 } });
      const deny = await denyList(before);
      expect(deny.version).toBe(before + 1);
      expect(deny.entries).toEqual([{ version: before + 1, cardNumber: card.cardNumber, action: 'add' }]);
    });

    it('checks the shadow balance between consecutive counters and reports counter gaps without alerting', async () => {
      const card = pki.card(cardNumberFor(30), 100_00);
      const t = pki.terminal('TRM-S1');
      t.sale(card, 10_00); // counter 1
      card.balance += 50_00; // value appears from nowhere: counter 2's balance will not follow
      t.sale(card, 10_00); // counter 2
      card.counter += 3; // counters 3..5 happen elsewhere, not uploaded yet
      t.sale(card, 1_00); // counter 6
      t.checkpoint();
      const res = await upload(t, t.batch());
      expect(res.statusCode).toBe(200);
      const mine = (await alerts()).filter((a) => a.cardNumber === card.cardNumber);
      expect(mine.map((a) => a.kind)).toEqual(['shadow-balance-mismatch']);
      expect(mine[0]!.details).toMatchObject({ counter: 2 });
      const view = (
        await app.inject({ method: 'GET', url: `/v1/admin/cards/${card.cardNumber}`, headers: auth })
      ).json();
      expect(view.gaps).toEqual([{ from: 3, to: 5 }]);
      expect(view.shadowBalanceCents).toBe(card.balance);
      const gaps = (await app.inject({ method: 'GET', url: '/v1/admin/counter-gaps', headers: auth })).json()
        .gaps;
      expect(gaps).toContainEqual({ cardNumber: card.cardNumber, missingFrom: 3, missingTo: 5 });
    });

    it('checks the shadow balance against counters held from other uploads, before and after', async () => {
      const card = pki.card(cardNumberFor(31), 100_00);
      const early = pki.terminal('TRM-S2');
      const late = pki.terminal('TRM-S3');
      early.sale(card, 10_00); // counter 1, uploaded last
      card.balance += 7_00; // counter 2 (at the other terminal) will not follow from counter 1
      late.sale(card, 5_00); // counter 2
      late.sale(card, 5_00); // counter 3: follows from counter 2
      early.checkpoint();
      late.checkpoint();
      expect((await upload(late, late.batch())).statusCode).toBe(200);
      expect((await alerts()).filter((a) => a.cardNumber === card.cardNumber)).toEqual([]);
      expect((await upload(early, early.batch())).statusCode).toBe(200);
      const mine = (await alerts()).filter((a) => a.cardNumber === card.cardNumber);
      expect(mine.map((a) => a.kind)).toEqual(['shadow-balance-mismatch']);
      expect(mine[0]!.details).toMatchObject({ counter: 2, terminalOfNext: 'TRM-S3', seq: 0 });
      // A third upload whose previous counter is held elsewhere and follows: no new alert.
      const third = pki.terminal('TRM-S4');
      third.sale(card, 1_00); // counter 4 follows from counter 3 (TRM-S3)
      third.checkpoint();
      expect((await upload(third, third.batch())).statusCode).toBe(200);
      expect((await alerts()).filter((a) => a.cardNumber === card.cardNumber)).toHaveLength(1);
    });

    it('settles to the cent: the settlement equals the sum of the card-signed amounts of accepted records', async () => {
      const t = pki.terminal('TRM-Z1', { merchantId: 'KRA' });
      const cards = [1, 2, 3].map((i) => pki.card(cardNumberFor(100 + i)));
      let expectedGross = 0;
      for (let i = 0; i < 30; i++) {
        const amount = 1 + ((i * 7919) % 250_00);
        t.sale(cards[i % 3]!, amount);
        expectedGross += amount;
      }
      const last = t.sale(cards[0]!, 12_34);
      expectedGross += 12_34;
      t.cancel(
        cards[0]!,
        12_34,
        decodeRecord(last.bytes).type === 'sale'
          ? (decodeRecord(last.bytes) as { billRef: string }).billRef
          : '',
        31,
      );
      t.checkpoint();
      expect((await upload(t, t.batch())).statusCode).toBe(200);

      const date = new Date(t.time + 3 * 3600_000).toISOString().slice(0, 10);
      const report = (
        await app.inject({ method: 'GET', url: `/v1/admin/settlement?date=${date}`, headers: auth })
      ).json();
      const kra = report.merchants.find((m: { merchantId: string }) => m.merchantId === 'KRA');
      // Independent sum over the stored record bytes: decode each card proof and add what the card signed.
      const stored = await db.query<{ record: Uint8Array }>(
        'SELECT record FROM accepted_records WHERE merchant_id = $1',
        ['KRA'],
      );
      let debits = 0;
      let undebits = 0;
      for (const { record } of stored) {
        const r = decodeRecord(record);
        if (!('cardProof' in r)) continue;
        const p = decodeTransactionProof(r.cardProof).record;
        if (p.type === TxType.DEBIT) debits += p.amount;
        if (p.type === TxType.UNDEBIT) undebits += p.amount;
      }
      expect(debits).toBe(expectedGross);
      expect(kra).toMatchObject({
        debitCount: 31,
        grossDebitsCents: debits,
        cancelCount: 1,
        cancelsCents: undebits,
        netCents: debits - undebits,
      });
    });

    it('serialises two concurrent uploads of one terminal: no double insert, both acknowledged', async () => {
      const t = pki.terminal('TRM-P1');
      const card = pki.card(cardNumberFor(40));
      for (let i = 0; i < 200; i++) t.sale(card, 1_00 + i);
      t.checkpoint();
      const body = t.batch();
      const results = await Promise.all([upload(t, body), upload(t, body), upload(t, body)]);
      expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      expect(results.map((r) => r.json().status).sort()).toEqual(['accepted', 'duplicate', 'duplicate']);
      expect(await count('TRM-P1')).toBe(201);
      const leaves = await db.query<{ n: number }>(
        `SELECT COUNT(DISTINCT ${LEAF_INDEX_SQL}) AS n FROM accepted_records r JOIN batches b ON b.batch_id = r.batch_id
         WHERE r.terminal_id = $1`,
        ['TRM-P1'],
      );
      expect(leaves[0]!.n).toBe(201);
    });
  });
}
