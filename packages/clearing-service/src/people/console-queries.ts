/**
 * What the operator console and the merchant portal read. Card numbers are the pseudonymous
 * PANs of the payment path (no identity data exists in this service); pages show them masked.
 */

import { decodeCertificate } from '@huduma/card-applet-spec';
import type { TriageStatus } from '@huduma/clearing-protocol';
import type { Queryable } from '../db/types';

export interface ConsoleAlert {
  alertId: number;
  kind: string;
  severity: string;
  terminalId: string | null;
  cardNumber: string | null;
  details: Record<string, unknown>;
  createdAt: string;
  status: TriageStatus;
  note: string | null;
}

export async function consoleAlerts(
  q: Queryable,
  opts: { status: TriageStatus | 'all'; limit: number; alertId?: number },
): Promise<ConsoleAlert[]> {
  const rows = await q.query<{
    alert_id: number;
    kind: string;
    severity: string;
    terminal_id: string | null;
    card_number: string | null;
    details: Record<string, unknown>;
    created_at: Date;
    status: TriageStatus | null;
    note: string | null;
  }>(
    `SELECT a.alert_id, a.kind, a.severity, a.terminal_id, a.card_number, a.details, a.created_at, t.status, t.note
     FROM alerts a LEFT JOIN LATERAL (
       SELECT status, note FROM alert_triage WHERE alert_id = a.alert_id ORDER BY triage_id DESC LIMIT 1
     ) t ON true
     WHERE ($1 = 'all' OR coalesce(t.status, 'open') = $1) AND ($3::bigint IS NULL OR a.alert_id = $3)
     ORDER BY CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, a.alert_id DESC
     LIMIT $2`,
    [opts.status, opts.limit, opts.alertId ?? null],
  );
  return rows.map((r) => ({
    alertId: r.alert_id,
    kind: r.kind,
    severity: r.severity,
    terminalId: r.terminal_id,
    cardNumber: r.card_number,
    details: r.details,
    createdAt: r.created_at.toISOString(),
    status: r.status ?? 'open',
    note: r.note,
  }));
}

export async function triageHistory(q: Queryable, alertId: number) {
  const rows = await q.query<{ status: TriageStatus; note: string; actor: string; created_at: Date }>(
    'SELECT status, note, actor, created_at FROM alert_triage WHERE alert_id = $1 ORDER BY triage_id',
    [alertId],
  );
  return rows.map((r) => ({
    status: r.status,
    note: r.note,
    actor: r.actor,
    at: r.created_at.toISOString(),
  }));
}

const TX_TYPES: Record<number, string> = { 1: 'debit', 2: 'undebit', 3: 'reload' };

/** Every counter the service holds for a card, in order: what the card signed, where. */
export async function cardHistory(q: Queryable, cardNumber: string) {
  const rows = await q.query<{
    counter: number;
    tx_type: number | null;
    amount_cents: number | null;
    balance_after: number | null;
    terminal_id: string;
    seq: number;
  }>(
    `SELECT counter, tx_type, amount_cents, balance_after, terminal_id, seq FROM card_counters
     WHERE card_number = $1 ORDER BY counter LIMIT 1000`,
    [cardNumber],
  );
  return rows.map((r) => ({
    counter: r.counter,
    type: r.tx_type === null ? null : (TX_TYPES[r.tx_type] ?? null),
    amountCents: r.amount_cents,
    balanceAfterCents: r.balance_after,
    terminalId: r.terminal_id,
    seq: r.seq,
  }));
}

export async function denyListHistory(q: Queryable, limit: number) {
  const rows = await q.query<{
    version: number;
    card_number: string;
    action: 'add' | 'remove';
    reason: string;
    created_by: string;
    created_at: Date;
  }>(
    'SELECT version, card_number, action, reason, created_by, created_at FROM deny_list ORDER BY version DESC LIMIT $1',
    [limit],
  );
  return rows.map((r) => ({
    version: r.version,
    cardNumber: r.card_number,
    action: r.action,
    reason: r.reason,
    by: r.created_by,
    at: r.created_at.toISOString(),
  }));
}

export interface FleetTerminal {
  terminalId: string;
  merchantId: string;
  status: string;
  lastSyncAt: string | null;
  offlineSeconds: number | null;
  heldUpToSeq: number | null;
  recordsHeld: number;
  certificateExpiresAt: string | null;
  outOfBalanceShifts: number;
  openAlerts: number;
  /** The deny-list version the terminal last fetched (null: never) and how many versions it is behind. */
  denyListVersion: number | null;
  denyListBehind: number;
  needsAttention: string[];
}

const DAY_S = 86_400;

/** The fleet, the terminals needing attention first (most reasons, then longest offline). */
export async function fleet(q: Queryable, nowMs: number): Promise<FleetTerminal[]> {
  const rows = await q.query<{
    terminal_id: string;
    merchant_id: string;
    status: string;
    last_seq: number | null;
    certificate: Uint8Array | null;
    last_sync: Date | null;
    records_held: number;
    out_of_balance: number;
    open_alerts: number;
    deny_list_version: number | null;
    deny_list_head: number;
  }>(
    `SELECT t.terminal_id, t.merchant_id, t.status, t.last_seq, t.certificate,
       f.version AS deny_list_version,
       (SELECT version FROM deny_list_head WHERE singleton) AS deny_list_head,
       (SELECT max(received_at) FROM batches b WHERE b.terminal_id = t.terminal_id) AS last_sync,
       (SELECT count(*) FROM accepted_records r WHERE r.terminal_id = t.terminal_id) AS records_held,
       (SELECT count(*) FROM alerts a WHERE a.terminal_id = t.terminal_id AND a.kind = 'shift-out-of-balance') AS out_of_balance,
       (SELECT count(*) FROM alerts a WHERE a.terminal_id = t.terminal_id AND NOT EXISTS (
          SELECT 1 FROM alert_triage x WHERE x.alert_id = a.alert_id AND x.status IN ('resolved', 'false-positive'))) AS open_alerts
     FROM terminals t LEFT JOIN terminal_deny_list_fetches f ON f.terminal_id = t.terminal_id
     ORDER BY t.terminal_id LIMIT 5000`,
  );
  const list = rows.map((r): FleetTerminal => {
    let expiresS: number | undefined;
    try {
      const cert = r.certificate ? decodeCertificate(r.certificate) : undefined;
      if (cert?.type === 'terminal') expiresS = cert.notAfter;
    } catch {
      expiresS = undefined; // a certificate the service cannot read: shown as unknown
    }
    const offlineSeconds = r.last_sync
      ? Math.max(0, Math.floor((nowMs - r.last_sync.getTime()) / 1000))
      : null;
    const needs: string[] = [];
    if (r.status === 'revoked') needs.push('revoked');
    if (offlineSeconds === null || offlineSeconds > DAY_S) needs.push('offline');
    if (r.out_of_balance > 0) needs.push('out-of-balance');
    if (r.open_alerts > 0) needs.push('alerts');
    if (expiresS !== undefined && expiresS * 1000 - nowMs < 30 * DAY_S * 1000) needs.push('certificate');
    return {
      terminalId: r.terminal_id,
      merchantId: r.merchant_id,
      status: r.status,
      lastSyncAt: r.last_sync?.toISOString() ?? null,
      offlineSeconds,
      heldUpToSeq: r.last_seq,
      recordsHeld: r.records_held,
      certificateExpiresAt: expiresS === undefined ? null : new Date(expiresS * 1000).toISOString(),
      outOfBalanceShifts: r.out_of_balance,
      openAlerts: r.open_alerts,
      denyListVersion: r.deny_list_version === null ? null : Number(r.deny_list_version),
      denyListBehind: Math.max(0, Number(r.deny_list_head) - Number(r.deny_list_version ?? 0)),
      needsAttention: needs,
    };
  });
  return list.sort(
    (a, b) =>
      b.needsAttention.length - a.needsAttention.length ||
      (b.offlineSeconds ?? 1e12) - (a.offlineSeconds ?? 1e12),
  );
}

export interface SettlementDay {
  date: string;
  merchantId: string;
  serviceCode: number | null;
  debitCount: number;
  grossDebitsCents: number;
  cancelCount: number;
  cancelsCents: number;
  netCents: number;
}

/** Settled lines per business day, merchant and service (the same accepted records settlement sums). */
export async function settlementDays(
  q: Queryable,
  opts: { from: string; to: string; merchantId?: string },
): Promise<SettlementDay[]> {
  const rows = await q.query<{
    business_date: string;
    merchant_id: string;
    service_code: number | null;
    debit_count: number;
    gross: number;
    cancel_count: number;
    cancels: number;
  }>(
    `SELECT business_date, merchant_id, service_code,
       count(*) FILTER (WHERE record_type = 'debit') AS debit_count,
       coalesce(sum(amount_cents) FILTER (WHERE record_type = 'debit'), 0)::bigint AS gross,
       count(*) FILTER (WHERE record_type = 'cancel') AS cancel_count,
       coalesce(sum(amount_cents) FILTER (WHERE record_type = 'cancel'), 0)::bigint AS cancels
     FROM accepted_records
     WHERE business_date BETWEEN $1::date AND $2::date AND record_type IN ('debit', 'cancel')
       AND ($3::text IS NULL OR merchant_id = $3)
     GROUP BY business_date, merchant_id, service_code
     ORDER BY business_date, merchant_id, service_code`,
    [opts.from, opts.to, opts.merchantId ?? null],
  );
  return rows.map((r) => ({
    date: r.business_date,
    merchantId: r.merchant_id,
    serviceCode: r.service_code,
    debitCount: r.debit_count,
    grossDebitsCents: r.gross,
    cancelCount: r.cancel_count,
    cancelsCents: r.cancels,
    netCents: r.gross - r.cancels,
  }));
}

export async function topups(q: Queryable, limit: number) {
  const rows = await q.query<{
    topup_id: number;
    provider: string;
    card_number: string;
    amount_cents: number;
    status: string;
    received_at: Date;
  }>(
    `SELECT topup_id, provider, card_number, amount_cents, status, received_at FROM pending_topups
     ORDER BY (status = 'pending') DESC, topup_id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    topupId: r.topup_id,
    provider: r.provider,
    cardNumber: r.card_number,
    amountCents: r.amount_cents,
    status: r.status,
    receivedAt: r.received_at.toISOString(),
  }));
}
