/**
 * A day of Huduma Pay, end to end: three terminals at two merchants (a Huduma Centre with two
 * counters, a partner merchant), twelve simulated cards loaded with cash at the Centre through the
 * clearing service's load authority, offline sales and cancels, an M-Pesa top-up loaded at the
 * next tap, a cloned card spent offline at the partner, and uploads through dropped connections
 * and a repeated batch. Then: the clone is caught (alert and deny list, enforced offline), the
 * settlement per merchant equals what the cards signed, and every card's balance equals its
 * loads − debits + undebits from the signed records.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTransactionProof, TxType } from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import {
  BatchUploader,
  ClearingClient,
  clearingLoadAuthorizer,
  loadPendingTopups,
  TransactionRefusedError,
} from '@huduma/terminal';
import { decodeRecord } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClearingHarness, startClearingService } from './support/clearing-harness';
import { seededRandom } from './support/random';
import {
  cloneCard,
  type FleetCard,
  type FleetTerminal,
  issueFleetCard,
  openFleetTerminal,
  tempDir,
} from './support/terminal-fleet';

const pki = DevPki.inMemory();
const root = tempDir('huduma-day-');
let svc: ClearingHarness;

beforeAll(async () => {
  svc = await startClearingService(pki);
});
afterAll(async () => {
  await svc?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a day of Huduma Pay', () => {
  it('sells offline all day, syncs through faults, catches the clone, and settles to the cent', async () => {
    const started = Date.now();
    const random = seededRandom(20261123);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

    const terminals: FleetTerminal[] = [];
    for (const [terminalId, merchantId, kind] of [
      ['T-HC1', 'HC-NBI01', 'huduma-centre'],
      ['T-HC2', 'HC-NBI01', 'huduma-centre'],
      ['T-PM1', 'PM-MAMA1', 'partner-merchant'],
    ] as const) {
      terminals.push(
        await openFleetTerminal({
          pki,
          dir: join(root, terminalId),
          terminalId,
          merchantId,
          location: { kind, name: terminalId },
          loadAuthorizer: (config) =>
            clearingLoadAuthorizer(
              new ClearingClient({
                baseUrl: svc.url,
                terminal: {
                  terminalId: config.terminalId,
                  certificateBytes: config.certificateBytes,
                  privateKey: config.privateKey,
                  publicKey: config.certificate.keyAgreementKey,
                },
              }),
            ),
        }),
      );
    }
    const [hc1, hc2, pm1] = terminals as [FleetTerminal, FleetTerminal, FleetTerminal];
    const uploaders = new Map(
      terminals.map((t) => [
        t.terminalId,
        new BatchUploader({
          engine: t.engine,
          baseUrl: svc.url,
          servicePublicKey: svc.signer.publicKey,
          maxBatchRecords: 25,
          retryHooks: { sleep: async () => {} },
        }),
      ]),
    );
    const uploader = (t: FleetTerminal) => uploaders.get(t.terminalId)!;

    // Morning: every terminal syncs (enrols, deny list, catalog).
    for (const t of terminals) expect((await uploader(t).syncNow()).errors).toEqual([]);

    // Twelve cards, loaded with cash at the Centre counters through the online load authority.
    const cards: FleetCard[] = [];
    for (let i = 0; i < 12; i++) {
      const card = await issueFleetCard(pki, join(root, 'cards'), `card${i}`);
      const counter = i % 2 === 0 ? hc1 : hc2;
      counter.tap(card);
      const loaded = await counter.engine.reload({ amountCents: 500_000 + i * 10_000 });
      counter.remove();
      expect(loaded.balanceAfterCents).toBe(500_000 + i * 10_000);
      cards.push(card);
    }

    const sale = async (t: FleetTerminal, card: FleetCard, amountCents: number) => {
      t.tap(card);
      try {
        return await t.engine.sale({
          amount: amountCents,
          billRef: `B${t.terminalId}-${card.label}`.slice(0, 16),
        });
      } finally {
        t.remove();
      }
    };
    const fees = [5_000, 10_000, 50_000, 65_000, 95_000, 5_050, 1_999] as const;

    // Offline until the evening: sales everywhere, with checkpoints when tails grow long.
    for (let round = 0; round < 4; round++) {
      for (const card of cards) {
        const t = pick(terminals);
        await sale(t, card, pick(fees));
        await uploader(t).checkpointIfLong();
      }
    }
    // Three cancels, right after the sale, same card, same counter.
    let cancels = 0;
    for (const [t, card] of [
      [hc1, cards[1]!],
      [pm1, cards[4]!],
      [hc2, cards[9]!],
    ] as const) {
      await sale(t, card, 95_000);
      t.tap(card);
      await t.engine.cancelLast();
      t.remove();
      cancels++;
    }

    // An M-Pesa payment for card 5 arrives; its next online tap at the Centre loads it.
    expect((await svc.mpesaTopup('RKT7Q1X2ZP', cards[5]!.cardNumber, '1500.00')).status).toBe(200);
    hc2.tap(cards[5]!);
    const topups = await loadPendingTopups(hc2.engine, uploader(hc2).client, cards[5]!.cardNumber);
    hc2.remove();
    expect(topups.map((l) => l.approved.amountCents)).toEqual([150_000]);

    // A card is cloned: its file is copied before a sale at the Centre, and the copy is spent
    // offline at the partner merchant: same counter, a different record.
    const victim = cards[7]!;
    const copy = cloneCard(victim, 'card7-copy');
    const honest = await sale(hc1, victim, 10_000);
    const forged = await sale(pm1, copy, 77_700);
    expect(forged.cardCounter).toBe(honest.cardCounter);
    const copySales = new Set([`${pm1.terminalId}/${forged.terminalSeq}`]);

    // Evening uploads, through faults: a connection dropped after the service stored a batch,
    // one dropped before, and a batch the terminal sends twice.
    svc.faults.dropAfterStore = 1;
    const r1 = await uploader(hc1).upload();
    expect(r1.retries).toBe(1);
    svc.faults.dropBeforeStore = 1;
    const r2 = await uploader(pm1).upload();
    expect(r2.retries).toBe(1);
    const r3 = await uploader(hc2).upload();
    expect(r3.batches).toBeGreaterThanOrEqual(2);
    const firstPart: Uint8Array[] = [];
    for await (const r of hc2.engine.storedRecords(0)) {
      firstPart.push(r.bytes);
      if (r.record.type === 'checkpoint') break;
    }
    const replay = await uploader(hc2).client.uploadBatch(firstPart);
    // Acknowledged as a duplicate; the counts below show nothing was stored twice.
    expect(replay.status).toBe('duplicate');
    expect((await uploader(hc2).client.state()).lastSeq).toBe(hc2.engine.status().logRecords - 1);
    for (const t of terminals) {
      expect(t.engine.status().unsyncedRecords).toBe(0);
      const held = await svc.db.query<{ n: number }>(
        'SELECT COUNT(*)::bigint AS n FROM accepted_records WHERE terminal_id = $1',
        [t.terminalId],
      );
      expect(Number(held[0]!.n)).toBe(t.engine.status().logRecords);
    }

    // The clone is caught: a critical alert, and the card on the signed deny list, enforced offline.
    const alerts = (await svc.operator('GET', '/v1/admin/alerts?limit=1000')).json.alerts as {
      kind: string;
      cardNumber: string | null;
    }[];
    expect(alerts.filter((a) => a.kind === 'card-clone').map((a) => a.cardNumber)).toEqual([
      victim.cardNumber,
    ]);
    expect(alerts.filter((a) => a.kind !== 'card-clone')).toEqual([]);
    const deny = await uploader(hc2).refreshDenyList();
    expect(deny.added).toBeGreaterThanOrEqual(1);
    expect(hc2.engine.denyList.has(victim.cardNumber)).toBe(true);
    const blocked = await sale(hc2, victim, 5_000).catch((e) => e);
    expect(blocked).toBeInstanceOf(TransactionRefusedError);
    expect(blocked.reason).toBe('deny-listed');

    // Settlement per merchant = what the cards signed in the accepted records.
    const rows = await svc.db.query<{
      merchant_id: string;
      terminal_id: string;
      record: Uint8Array;
      business_date: string;
    }>(
      'SELECT merchant_id, terminal_id, record, business_date FROM accepted_records ORDER BY terminal_id, seq',
    );
    const signed = new Map<string, { gross: number; cancels: number; debits: number; undebits: number }>();
    const byCard = new Map<
      string,
      { terminal: string; type: number; amount: number; counter: number; balanceAfter: number }[]
    >();
    const dates = new Set<string>();
    for (const row of rows) {
      const rec = decodeRecord(row.record);
      if (!('cardProof' in rec)) continue;
      const proof = decodeTransactionProof(rec.cardProof).record;
      const tx = {
        terminal: `${row.terminal_id}/${proof.terminalSeq}`,
        type: proof.type,
        amount: proof.amount,
        counter: proof.counter,
        balanceAfter: proof.balanceAfter,
      };
      byCard.set(rec.cardNumber, [...(byCard.get(rec.cardNumber) ?? []), tx]);
      if (proof.type === TxType.RELOAD) continue;
      dates.add(row.business_date);
      const m = signed.get(row.merchant_id) ?? { gross: 0, cancels: 0, debits: 0, undebits: 0 };
      if (proof.type === TxType.DEBIT) {
        m.gross += proof.amount;
        m.debits++;
      } else {
        m.cancels += proof.amount;
        m.undebits++;
      }
      signed.set(row.merchant_id, m);
    }
    const settled = new Map<
      string,
      {
        debitCount: number;
        grossDebitsCents: number;
        cancelCount: number;
        cancelsCents: number;
        netCents: number;
      }
    >();
    for (const date of dates) {
      const report = await svc.operator('GET', `/v1/admin/settlement?date=${date}`);
      expect(report.status).toBe(200);
      for (const m of report.json.merchants) {
        const s = settled.get(m.merchantId) ?? {
          debitCount: 0,
          grossDebitsCents: 0,
          cancelCount: 0,
          cancelsCents: 0,
          netCents: 0,
        };
        for (const k of Object.keys(s) as (keyof typeof s)[]) s[k] += m[k];
        settled.set(m.merchantId, s);
      }
    }
    expect([...settled.keys()].sort()).toEqual(['HC-NBI01', 'PM-MAMA1']);
    for (const [merchantId, s] of settled) {
      const m = signed.get(merchantId)!;
      expect(s, merchantId).toEqual({
        debitCount: m.debits,
        grossDebitsCents: m.gross,
        cancelCount: m.undebits,
        cancelsCents: m.cancels,
        netCents: m.gross - m.cancels,
      });
    }
    expect([...signed.values()].reduce((n, m) => n + m.undebits, 0)).toBe(cancels);

    // Every card's balance = loads − debits + undebits of the signed records of its own history
    // (the copy's debit belongs to the copy), and equals the last balance the card signed.
    const physical = [...cards.map((c) => ({ card: c, isCopy: false })), { card: copy, isCopy: true }];
    for (const { card, isCopy } of physical) {
      const history = (byCard.get(card.cardNumber) ?? [])
        .filter(
          (tx) =>
            card.cardNumber !== victim.cardNumber ||
            copySales.has(tx.terminal) === isCopy ||
            tx.counter < honest.cardCounter,
        )
        .sort((a, b) => a.counter - b.counter);
      let balance = 0;
      for (const tx of history) balance += tx.type === TxType.DEBIT ? -tx.amount : tx.amount;
      expect(card.card.state.balance, card.label).toBe(balance);
      expect(history[history.length - 1]!.balanceAfter, card.label).toBe(balance);
      expect(
        history.map((tx) => tx.counter),
        card.label,
      ).toEqual(history.map((_, i) => i + 1));
    }
    for (const t of terminals) await t.engine.close();
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `day: ${rows.length} records accepted, ${[...signed.values()].reduce((n, m) => n + m.debits, 0)} debits, ${cancels} cancels, ${seconds.toFixed(1)} s`,
    );
  });
});
