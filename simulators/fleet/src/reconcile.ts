/**
 * The end of a fleet run: what the simulator knows it did, what the cards signed in the records
 * the clearing service accepted, and what the service settles, must agree to the cent; every
 * injected clone must be caught, and nothing else flagged.
 */
import { decodeTransactionProof, TxType } from '@huduma/card-applet-spec';
import { decodeRecord } from '@huduma/txlog';
import { EXPECTED_REFUSAL, type TamperAttempt } from './tamper';
import type { World } from './world';

export interface MerchantTotals {
  debitCount: number;
  debitCents: number;
  cancelCount: number;
  cancelCents: number;
}

/** What the simulator itself counted as approved. */
export interface Expected {
  byMerchant: Map<string, MerchantTotals>;
  /** Each honest card's balance: loads − sales + cancels, by card label. */
  balances: Map<string, number>;
  /** Card numbers of the cloned cards. */
  clones: string[];
  /** Every tampered upload a tampering terminal sent. */
  tampered: TamperAttempt[];
}

export interface Reconciliation {
  ok: boolean;
  problems: string[];
  records: number;
  sales: number;
  netSettledCents: number;
  clonesInjected: number;
  clonesCaught: number;
  tamperedUploads: number;
  /** Tampered uploads refused with the expected code (and alert, where the service raises one). */
  tamperedRefused: number;
  /** Alerts on anything that was not injected fraud. */
  falseAlerts: number;
}

const sum = (xs: Iterable<number>) => [...xs].reduce((a, b) => a + b, 0);

export async function reconcile(world: World, expected: Expected): Promise<Reconciliation> {
  const problems: string[] = [];
  const db = world.service.db;

  // 1. Every terminal's whole log is held by the service.
  let records = 0;
  for (const c of world.counters) {
    const status = c.engine.status();
    if (status.unsyncedRecords !== 0)
      problems.push(`${c.terminalId}: ${status.unsyncedRecords} records not uploaded`);
    records += status.logRecords;
  }
  const held = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM accepted_records');
  if (held[0]!.n !== records)
    problems.push(`the service holds ${held[0]!.n} records, the terminals wrote ${records}`);

  // 2. What the cards signed, per merchant, from the accepted records.
  const signed = new Map<string, MerchantTotals>();
  const rows = await db.query<{ merchant_id: string; record: Uint8Array; business_date: string }>(
    'SELECT merchant_id, record, business_date FROM accepted_records ORDER BY terminal_id, seq',
  );
  const dates = new Set<string>();
  for (const row of rows) {
    const rec = decodeRecord(row.record);
    if (!('cardProof' in rec)) continue;
    const proof = decodeTransactionProof(rec.cardProof).record;
    if (proof.type === TxType.RELOAD) continue;
    dates.add(row.business_date);
    const m = signed.get(row.merchant_id) ?? { debitCount: 0, debitCents: 0, cancelCount: 0, cancelCents: 0 };
    if (proof.type === TxType.DEBIT) {
      m.debitCount++;
      m.debitCents += proof.amount;
    } else {
      m.cancelCount++;
      m.cancelCents += proof.amount;
    }
    signed.set(row.merchant_id, m);
  }

  // 3. What the service settles, per merchant, over the days.
  const settled = new Map<string, MerchantTotals & { netCents: number }>();
  for (const date of dates) {
    const day = (await world.operator(`/v1/admin/settlement?date=${date}`)) as {
      merchants: {
        merchantId: string;
        debitCount: number;
        grossDebitsCents: number;
        cancelCount: number;
        cancelsCents: number;
        netCents: number;
      }[];
    };
    for (const m of day.merchants) {
      const s = settled.get(m.merchantId) ?? {
        debitCount: 0,
        debitCents: 0,
        cancelCount: 0,
        cancelCents: 0,
        netCents: 0,
      };
      s.debitCount += m.debitCount;
      s.debitCents += m.grossDebitsCents;
      s.cancelCount += m.cancelCount;
      s.cancelCents += m.cancelsCents;
      s.netCents += m.netCents;
      settled.set(m.merchantId, s);
    }
  }
  const merchants = new Set([...expected.byMerchant.keys(), ...signed.keys(), ...settled.keys()]);
  for (const id of merchants) {
    const e = expected.byMerchant.get(id);
    const g = signed.get(id);
    const s = settled.get(id);
    const show = (t?: MerchantTotals) =>
      t ? `${t.debitCount} sales ${t.debitCents} c, ${t.cancelCount} cancels ${t.cancelCents} c` : 'nothing';
    const same = (a?: MerchantTotals, b?: MerchantTotals) =>
      (a?.debitCount ?? 0) === (b?.debitCount ?? 0) &&
      (a?.debitCents ?? 0) === (b?.debitCents ?? 0) &&
      (a?.cancelCount ?? 0) === (b?.cancelCount ?? 0) &&
      (a?.cancelCents ?? 0) === (b?.cancelCents ?? 0);
    if (!same(e, g) || !same(g, s))
      problems.push(`${id}: simulator ${show(e)}; cards signed ${show(g)}; settled ${show(s)}`);
    if (s && s.netCents !== s.debitCents - s.cancelCents) problems.push(`${id}: net ≠ sales − cancels`);
  }

  // 4. Every honest card holds what its loads, sales and cancels add up to.
  for (const card of world.cards) {
    const want = expected.balances.get(card.label) ?? 0;
    if (card.card.state.balance !== want)
      problems.push(
        `${card.label}: the card holds ${card.card.state.balance} c, its history adds up to ${want} c`,
      );
  }

  // 5. Fraud: every clone caught; nothing legitimate flagged.
  const alerts = (
    (await world.operator('/v1/admin/alerts?limit=1000')) as {
      alerts: { kind: string; cardNumber: string | null; terminalId: string | null }[];
    }
  ).alerts;
  const caught = new Set(alerts.filter((a) => a.kind === 'card-clone').map((a) => a.cardNumber));
  const clonesCaught = expected.clones.filter((n) => caught.has(n)).length;
  if (clonesCaught !== expected.clones.length)
    problems.push(
      `${expected.clones.length - clonesCaught} of ${expected.clones.length} cloned cards not caught`,
    );
  // 6. Tampering: every tampered upload refused, as the service says it refuses that alteration,
  // and alerted where the service raises an alert for it. Its money is not settled: the per-merchant
  // check above holds the terminal's honest records only, to the cent.
  const expectedAlerts = new Map<string, number>();
  let tamperedRefused = 0;
  const alertedRecords = new Set<string>();
  for (const t of expected.tampered) {
    const want = EXPECTED_REFUSAL[t.kind];
    const got = t.answer;
    const what = `${t.terminalId}'s ${t.kind} of record ${t.seq}`;
    if (got === 'accepted') {
      problems.push(`${what} was accepted`);
      continue;
    }
    if (got.status !== want.status || got.code !== want.code || got.seq === undefined) {
      problems.push(
        `${what}: refused ${got.status} ${got.code}, expected ${want.status} ${want.code} naming a record`,
      );
      continue;
    }
    tamperedRefused++;
    // card-proof-refused is raised once per terminal and record a day: count distinct records.
    const recordKey = `${t.terminalId}:${t.seq}`;
    const repeat = want.alert === 'card-proof-refused' && alertedRecords.has(recordKey);
    alertedRecords.add(recordKey);
    if (want.alert && !repeat) {
      const key = `${want.alert} ${t.terminalId}`;
      expectedAlerts.set(key, (expectedAlerts.get(key) ?? 0) + 1);
    }
  }
  const raised = new Map<string, number>();
  for (const a of alerts) {
    const key = `${a.kind} ${a.terminalId ?? ''}`;
    if (expectedAlerts.has(key)) raised.set(key, (raised.get(key) ?? 0) + 1);
  }
  for (const [key, n] of expectedAlerts)
    if ((raised.get(key) ?? 0) !== n) problems.push(`${n} × ${key} expected, ${raised.get(key) ?? 0} raised`);

  const falseAlerts = alerts.filter(
    (a) =>
      !(a.kind === 'card-clone' && expected.clones.includes(a.cardNumber ?? '')) &&
      !expectedAlerts.has(`${a.kind} ${a.terminalId ?? ''}`),
  );
  for (const a of falseAlerts.slice(0, 5))
    problems.push(`a legitimate card or terminal was flagged: ${a.kind} ${a.cardNumber ?? ''}`);

  return {
    ok: problems.length === 0,
    problems,
    records,
    sales: sum([...signed.values()].map((m) => m.debitCount)),
    netSettledCents: sum([...settled.values()].map((m) => m.netCents)),
    clonesInjected: expected.clones.length,
    clonesCaught,
    tamperedUploads: expected.tampered.length,
    tamperedRefused,
    falseAlerts: falseAlerts.length,
  };
}
