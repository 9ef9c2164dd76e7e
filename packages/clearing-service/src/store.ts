import type { Queryable } from './db/types';
import { ConflictError, InputError } from './errors';
import { centsToKes, formatKes } from './kes';

export const CARD_NUMBER_PATTERN = /^[0-9]{16}$/;

function assertCardNumber(cardNumber: string): void {
  if (!CARD_NUMBER_PATTERN.test(cardNumber)) {
    throw new InputError(
      'ERR_CARD_NUMBER',
      `card number must be 16 digits, got ${JSON.stringify(cardNumber)}`,
    );
  }
}

/** Africa/Nairobi is UTC+3 all year; settlement days are Nairobi calendar days. */
export function nairobiBusinessDate(unixSeconds: number): string {
  // An upload's records mostly fall on one day: the last day's text is kept (one Date per day).
  const day = Math.floor((unixSeconds + 3 * 3600) / 86_400);
  if (day !== lastDay.day) {
    lastDay.day = day;
    lastDay.text = new Date((unixSeconds + 3 * 3600) * 1000).toISOString().slice(0, 10);
  }
  return lastDay.text;
}
const lastDay = { day: Number.NaN, text: '' };

/**
 * nairobiBusinessDate in SQL, of a unix-seconds expression that is never negative: the same day
 * count (Nairobi keeps UTC+3 all year), so a bulk insert sends occurred_at and no date column.
 */
export function nairobiBusinessDateSql(unixSeconds: string): string {
  return `(DATE '1970-01-01' + ((${unixSeconds} + 10800) / 86400)::integer)`;
}

// ---------------------------------------------------------------------------------------------
// Accepted records: stored by the upload (ingest.ts), exactly once per (terminal_id, seq)

/**
 * Record types settlement understands. `debit` is a sale paid from the card; `cancel` reverses
 * an earlier debit of the same merchant (amount positive, subtracted from net). Other types
 * (loads, shift markers…) are stored but do not move merchant money.
 */
export type RecordType = 'debit' | 'cancel' | (string & {});

// ---------------------------------------------------------------------------------------------
// Alerts

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface Alert {
  alertId: number;
  kind: string;
  severity: AlertSeverity;
  terminalId: string | null;
  cardNumber: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

/** Creates a merchant or renames it (operator onboarding; terminals enrol under an existing merchant). */
export async function upsertMerchant(q: Queryable, merchantId: string, name: string): Promise<void> {
  await q.query(
    `INSERT INTO merchants (merchant_id, name) VALUES ($1, $2)
     ON CONFLICT (merchant_id) DO UPDATE SET name = EXCLUDED.name`,
    [merchantId, name],
  );
}

export interface NewAlert {
  kind: string;
  severity: AlertSeverity;
  terminalId?: string | null;
  cardNumber?: string | null;
  details?: Record<string, unknown>;
}

/** The five values of an alerts row, in the column order both inserts below use ($1..$5). */
function alertValues(alert: NewAlert) {
  return [
    alert.kind,
    alert.severity,
    alert.terminalId ?? null,
    alert.cardNumber ?? null,
    JSON.stringify(alert.details ?? {}),
  ];
}

export async function raiseAlert(q: Queryable, alert: NewAlert): Promise<number> {
  const rows = await q.query<{ alert_id: number }>(
    `INSERT INTO alerts (kind, severity, terminal_id, card_number, details) VALUES ($1, $2, $3, $4, $5::jsonb)
     RETURNING alert_id`,
    alertValues(alert),
  );
  return rows[0]!.alert_id;
}

/**
 * raiseAlert, unless an alert of the same kind, terminal and details was raised in the last 24
 * hours: a refused upload the terminal sends again is not a new event. Returns the new alert's
 * id, or null when it was a repeat.
 */
export async function raiseAlertOnce(q: Queryable, alert: NewAlert): Promise<number | null> {
  const rows = await q.query<{ alert_id: number }>(
    `INSERT INTO alerts (kind, severity, terminal_id, card_number, details)
     SELECT $1, $2, $3, $4, $5::jsonb
     WHERE NOT EXISTS (
       SELECT 1 FROM alerts WHERE kind = $1 AND terminal_id IS NOT DISTINCT FROM $3
         AND details = $5::jsonb AND created_at > now() - interval '24 hours')
     RETURNING alert_id`,
    alertValues(alert),
  );
  return rows[0]?.alert_id ?? null;
}

export async function listAlerts(
  q: Queryable,
  options: { afterId?: number; limit?: number } = {},
): Promise<Alert[]> {
  const rows = await q.query<{
    alert_id: number;
    kind: string;
    severity: AlertSeverity;
    terminal_id: string | null;
    card_number: string | null;
    details: Record<string, unknown>;
    created_at: Date;
  }>(
    `SELECT alert_id, kind, severity, terminal_id, card_number, details, created_at FROM alerts
     WHERE alert_id > $1 ORDER BY alert_id LIMIT $2`,
    [options.afterId ?? 0, options.limit ?? 100],
  );
  return rows.map((r) => ({
    alertId: r.alert_id,
    kind: r.kind,
    severity: r.severity,
    terminalId: r.terminal_id,
    cardNumber: r.card_number,
    details: r.details,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

// ---------------------------------------------------------------------------------------------
// Deny list

export type DenyAction = 'add' | 'remove';

export interface DenyListEntry {
  version: number;
  cardNumber: string;
  action: DenyAction;
}

/** Appends an entry; returns its version (gapless, in commit order: see deny_list_head). */
export async function appendDenyListEntry(
  q: Queryable,
  entry: { cardNumber: string; action: DenyAction; reason: string; createdBy: string },
): Promise<number> {
  assertCardNumber(entry.cardNumber);
  const head = await q.query<{ version: number }>(
    'UPDATE deny_list_head SET version = version + 1 WHERE singleton RETURNING version',
  );
  const version = head[0]!.version;
  await q.query(
    'INSERT INTO deny_list (version, card_number, action, reason, created_by) VALUES ($1, $2, $3, $4, $5)',
    [version, entry.cardNumber, entry.action, entry.reason, entry.createdBy],
  );
  return version;
}

export async function currentDenyListVersion(q: Queryable): Promise<number> {
  const rows = await q.query<{ version: number }>('SELECT version FROM deny_list_head WHERE singleton');
  return rows[0]!.version;
}

/**
 * Changes after `sinceVersion`, compacted to the latest action per card (ordered by version), and
 * the version they bring a client to. Applying them in order to the set held at `sinceVersion`
 * yields the set at `version`. Both are read in one snapshot.
 */
export async function denyListSince(
  q: Queryable,
  sinceVersion: number,
): Promise<{ version: number; entries: DenyListEntry[] }> {
  const rows = await q.query<{ version: number; card_number: string; action: DenyAction; head: number }>(
    `WITH head AS (SELECT version AS head FROM deny_list_head WHERE singleton),
     latest AS (
       SELECT DISTINCT ON (card_number) version, card_number, action FROM deny_list
       WHERE version > $1 ORDER BY card_number, version DESC
     )
     SELECT latest.version, latest.card_number, latest.action, head.head FROM head
     LEFT JOIN latest ON latest.version <= head.head
     ORDER BY latest.version`,
    [sinceVersion],
  );
  const version = rows[0]?.head ?? 0;
  const entries = rows
    .filter((r) => r.card_number !== null)
    .map((r) => ({ version: r.version, cardNumber: r.card_number, action: r.action }));
  return { version, entries };
}

export async function isCardDenied(q: Queryable, cardNumber: string): Promise<boolean> {
  const rows = await q.query<{ action: DenyAction }>(
    'SELECT action FROM deny_list WHERE card_number = $1 ORDER BY version DESC LIMIT 1',
    [cardNumber],
  );
  return rows[0]?.action === 'add';
}

// ---------------------------------------------------------------------------------------------
// Catalog

export interface CatalogService {
  serviceCode: number;
  name: string;
  agency: string;
  feeCents: number;
}

export async function listCatalog(q: Queryable): Promise<CatalogService[]> {
  const rows = await q.query<{ service_code: number; name: string; agency: string; fee_cents: number }>(
    'SELECT service_code, name, agency, fee_cents FROM catalog WHERE active ORDER BY service_code',
  );
  return rows.map((r) => ({
    serviceCode: r.service_code,
    name: r.name,
    agency: r.agency,
    feeCents: r.fee_cents,
  }));
}

// ---------------------------------------------------------------------------------------------
// Settlement

export interface MerchantSettlement {
  merchantId: string;
  merchantName: string;
  debitCount: number;
  grossDebitsCents: number;
  cancelCount: number;
  cancelsCents: number;
  netCents: number;
}

export interface SettlementReport {
  date: string;
  merchants: MerchantSettlement[];
  totals: Omit<MerchantSettlement, 'merchantId' | 'merchantName'>;
}

/** Per-merchant money for one Nairobi business day, from accepted_records only. */
export async function settlementForDate(q: Queryable, date: string): Promise<SettlementReport> {
  const rows = await q.query<{
    merchant_id: string;
    name: string;
    debit_count: number;
    gross: number;
    cancel_count: number;
    cancels: number;
  }>(
    `SELECT r.merchant_id, m.name,
       COUNT(*) FILTER (WHERE r.record_type = 'debit') AS debit_count,
       COALESCE(SUM(r.amount_cents) FILTER (WHERE r.record_type = 'debit'), 0)::bigint AS gross,
       COUNT(*) FILTER (WHERE r.record_type = 'cancel') AS cancel_count,
       COALESCE(SUM(r.amount_cents) FILTER (WHERE r.record_type = 'cancel'), 0)::bigint AS cancels
     FROM accepted_records r JOIN merchants m ON m.merchant_id = r.merchant_id
     WHERE r.business_date = $1::date AND r.record_type IN ('debit', 'cancel')
     GROUP BY r.merchant_id, m.name
     ORDER BY r.merchant_id`,
    [date],
  );
  const merchants = rows.map((r) => ({
    merchantId: r.merchant_id,
    merchantName: r.name,
    debitCount: r.debit_count,
    grossDebitsCents: r.gross,
    cancelCount: r.cancel_count,
    cancelsCents: r.cancels,
    netCents: r.gross - r.cancels,
  }));
  const totals = { debitCount: 0, grossDebitsCents: 0, cancelCount: 0, cancelsCents: 0, netCents: 0 };
  for (const m of merchants) {
    totals.debitCount += m.debitCount;
    totals.grossDebitsCents += m.grossDebitsCents;
    totals.cancelCount += m.cancelCount;
    totals.cancelsCents += m.cancelsCents;
    totals.netCents += m.netCents;
  }
  return { date, merchants, totals };
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Settlement as CSV for people and spreadsheets: each amount in KES with two decimals (what
 * people read) beside its integer cents (what systems reconcile on).
 */
export function settlementToCsv(report: SettlementReport): string {
  const header =
    'date,merchant_id,merchant_name,debit_count,gross_debits_kes,gross_debits_cents,cancel_count,cancels_kes,cancels_cents,net_kes,net_cents';
  const lines = report.merchants.map((m) =>
    [
      report.date,
      m.merchantId,
      m.merchantName,
      m.debitCount,
      centsToKes(m.grossDebitsCents),
      m.grossDebitsCents,
      m.cancelCount,
      centsToKes(m.cancelsCents),
      m.cancelsCents,
      centsToKes(m.netCents),
      m.netCents,
    ]
      .map(csvField)
      .join(','),
  );
  return [header, ...lines].join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// Mobile-money top-ups

export interface PendingTopup {
  topupId: number;
  provider: string;
  providerTxnId: string;
  cardNumber: string;
  amountCents: number;
  status: 'pending' | 'authorized' | 'loaded' | 'expired';
  receivedAt: string;
}

type TopupRow = {
  topup_id: number;
  provider: string;
  provider_txn_id: string;
  card_number: string;
  amount_cents: number;
  status: PendingTopup['status'];
  received_at: Date;
};

function toTopup(r: TopupRow): PendingTopup {
  return {
    topupId: r.topup_id,
    provider: r.provider,
    providerTxnId: r.provider_txn_id,
    cardNumber: r.card_number,
    amountCents: r.amount_cents,
    status: r.status,
    receivedAt: new Date(r.received_at).toISOString(),
  };
}

const TOPUP_COLUMNS = 'topup_id, provider, provider_txn_id, card_number, amount_cents, status, received_at';

/**
 * Idempotent on (provider, provider transaction id): a repeated notification returns the
 * original top-up with `created: false`; a repeat that disagrees on card or amount is an error.
 */
export async function recordTopupNotification(
  q: Queryable,
  n: {
    provider: string;
    providerTxnId: string;
    cardNumber: string;
    amountCents: number;
    payer?: string | null;
  },
): Promise<{ created: boolean; topup: PendingTopup }> {
  assertCardNumber(n.cardNumber);
  if (!Number.isSafeInteger(n.amountCents) || n.amountCents <= 0) {
    throw new InputError('ERR_AMOUNT', `top-up amount must be positive integer cents, got ${n.amountCents}`);
  }
  const inserted = await q.query<TopupRow>(
    `INSERT INTO pending_topups (provider, provider_txn_id, card_number, amount_cents, payer)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, provider_txn_id) DO NOTHING
     RETURNING ${TOPUP_COLUMNS}`,
    [n.provider, n.providerTxnId, n.cardNumber, n.amountCents, n.payer ?? null],
  );
  if (inserted[0]) return { created: true, topup: toTopup(inserted[0]) };
  const rows = await q.query<TopupRow>(
    `SELECT ${TOPUP_COLUMNS} FROM pending_topups WHERE provider = $1 AND provider_txn_id = $2`,
    [n.provider, n.providerTxnId],
  );
  const topup = toTopup(rows[0]!);
  if (topup.cardNumber !== n.cardNumber || topup.amountCents !== n.amountCents) {
    throw new ConflictError(
      'ERR_TOPUP_CONFLICT',
      `transaction ${n.providerTxnId} was already notified for card ${topup.cardNumber}, amount ${formatKes(topup.amountCents)}`,
    );
  }
  return { created: false, topup };
}

export async function listPendingTopups(q: Queryable, cardNumber: string): Promise<PendingTopup[]> {
  assertCardNumber(cardNumber);
  const rows = await q.query<TopupRow>(
    `SELECT ${TOPUP_COLUMNS} FROM pending_topups WHERE card_number = $1 AND status = 'pending' ORDER BY topup_id`,
    [cardNumber],
  );
  return rows.map(toTopup);
}
