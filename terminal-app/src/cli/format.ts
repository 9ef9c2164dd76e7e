import { maskCardNumber } from '@huduma/card-applet-spec';
import type {
  RecoveryNotice,
  RefusalReason,
  ServiceCatalog,
  ShiftReport,
  TerminalLimits,
  TerminalStatus,
} from '@huduma/terminal';
import { formatEat, formatKes } from '@huduma/terminal';

/** "KES 1,250.00" */
export function kes(cents: number): string {
  return `KES ${formatKes(cents)}`;
}

const WIDTH = 40;

function row(left: string, right: string): string {
  const room = Math.max(8, WIDTH - right.length - 1);
  const l = left.length > room ? `${left.slice(0, room - 1)}…` : left;
  return l + ' '.repeat(Math.max(1, WIDTH - l.length - right.length)) + right;
}

/** "3 h 05 min", "12 min", "40 s": how long, for a cashier. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

/**
 * Short plain-English decline reasons for the first line of a decline ("Declined: <this>").
 * The engine's own sentence (what to do next) follows on the next line.
 */
const DECLINE_PHRASES: Record<RefusalReason, string> = {
  'deny-listed': 'card on the deny list (card now blocked)',
  'card-blocked': 'card blocked',
  'card-certificate-expired': 'card expired',
  'card-certificate-invalid': 'not a genuine Huduma card',
  'terminal-certificate-expired': "this terminal's certificate has expired",
  'terminal-not-authorized': 'the card does not accept this terminal',
  'per-sale-limit': "above this terminal's offline limit per sale",
  'card-offline-limit': "card's offline spending limit reached",
  'offline-too-long': 'terminal offline too long',
  'too-many-unsynced': 'too many transactions waiting to upload',
  'insufficient-funds': 'insufficient balance',
  'wrong-pin': 'wrong PIN',
  'pin-blocked': 'PIN blocked',
  'pin-cancelled': 'PIN not entered',
  'card-removed': 'card removed too early',
  'outcome-unknown': 'card pulled out mid-payment',
  'pending-unresolved': 'an earlier payment on this card is unresolved',
  'journal-failed': 'terminal storage error',
  'undebit-refused': 'the card refused the cancellation',
  'nothing-to-cancel': 'nothing to cancel',
  'max-balance': 'card balance would exceed its maximum',
  'load-declined': 'reload not authorized',
  'card-error': 'card error',
  'storage-full': "terminal's storage is full",
  'storage-failed': 'terminal storage error',
  'terminal-revoked': 'this terminal is revoked',
  'clock-invalid': "the terminal's clock is wrong",
  'no-cvm-limit-reached': 'PIN needed (no-PIN allowance used up)',
  'puk-blocked': 'card PUK blocked',
  'sync-required': 'card must be reloaded online first',
  'currency-mismatch': 'card in another currency',
  'secure-messaging': 'secure channel with the card failed',
  'card-changed': 'the card moved on: not charged',
};

/** What the UI knew about the card when the decline happened (for "(balance KES 120.00)"). */
export interface DeclineContext {
  balanceCents?: number;
  triesLeft?: number;
}

/**
 * Two lines for the cashier: "Declined: insufficient balance (balance KES 120.00)" and the
 * engine's sentence that says what happens next.
 */
export function declineText(
  reason: RefusalReason,
  cashierMessage: string,
  context: DeclineContext = {},
): string {
  let phrase = DECLINE_PHRASES[reason] ?? reason;
  if (reason === 'insufficient-funds' && context.balanceCents !== undefined)
    phrase += ` (balance ${kes(context.balanceCents)})`;
  if ((reason === 'wrong-pin' || reason === 'pin-blocked') && context.triesLeft !== undefined)
    phrase += ` (${context.triesLeft} ${context.triesLeft === 1 ? 'try' : 'tries'} left)`;
  const heading = reason === 'outcome-unknown' ? 'NOT FINISHED' : 'Declined';
  return `${heading}: ${phrase}\n  ${cashierMessage}`;
}

const OP_NAMES: Record<RecoveryNotice['op'], string> = {
  debit: 'sale',
  undebit: 'cancellation',
  reload: 'reload',
};

/** What a re-tap found about an interrupted transaction, in the words the cashier needs. */
export function recoveryText(notice: RecoveryNotice): string {
  const what = OP_NAMES[notice.op];
  if (notice.outcome === 'completed')
    return `The earlier ${what} of ${kes(notice.amountCents)} went through — receipt below.`;
  if (notice.outcome === 'not-charged')
    return notice.op === 'debit'
      ? `The earlier sale of ${kes(notice.amountCents)} did NOT go through; the card was not charged.`
      : `The earlier ${what} of ${kes(notice.amountCents)} did NOT happen on the card.`;
  return `ATTENTION: ${notice.message}`;
}

export function formatCatalog(catalog: ServiceCatalog): string {
  const lines = ['Code  Service                                   Fee KES'];
  for (const s of catalog.list())
    lines.push(
      `${String(s.code).padEnd(5)} ${s.name.padEnd(40).slice(0, 40)} ${formatKes(s.feeCents).padStart(10)}`,
    );
  return `${lines.join('\n')}\n`;
}

export function formatLimits(limits: TerminalLimits): string[] {
  return [
    row('  Offline limit per sale', kes(limits.perSaleOfflineLimitCents)),
    // The engine asks for the PIN above the terminal's limit and whenever the card asks (its own
    // per-sale limit, KES 1,000.00 on development cards, and its cumulative no-PIN allowance).
    row('  PIN required above', kes(limits.cvmLimitCents)),
    "    or above the card's own PIN limit, if lower",
    row('  Max time offline', formatDuration(limits.maxOfflineMs)),
    row('  Max unsynced records', String(limits.maxUnsyncedRecords)),
  ];
}

export function formatStatus(status: TerminalStatus, limits: TerminalLimits): string {
  const where = status.location.kind === 'huduma-centre' ? 'Huduma Centre' : 'Partner merchant';
  const lines = [
    'TERMINAL STATUS',
    '-'.repeat(WIDTH),
    row('Terminal', status.terminalId),
    row('Merchant', status.merchantId),
    `Location: ${where}, ${status.location.name}`,
    row(
      'Certificate expires',
      `${formatEat(status.certificateNotAfter).slice(0, 10)}${status.certificateExpired ? ' EXPIRED' : ''}`,
    ),
    row('Shift', status.shiftId),
    row('Shift opened', formatEat(status.shiftOpenedAt)),
    row('Log records', String(status.logRecords)),
    row('Unsynced records', String(status.unsyncedRecords)),
    row('Last sync', status.everSynced ? formatEat(status.lastSyncAt) : 'never synced'),
    row('Time offline', formatDuration(status.offlineForMs)),
    row('Deny list version', String(status.denyListVersion)),
    row('Unresolved transactions', String(status.unresolved.length)),
  ];
  for (const u of status.unresolved)
    lines.push(
      `  #${u.terminalSeq} ${OP_NAMES[u.op]} ${kes(u.amountCents)} card ${maskCardNumber(u.cardNumber)} ${formatEat(u.time)}${u.needsOperator ? ' (operator)' : ' (re-tap card)'}`,
    );
  lines.push('Limits:', ...formatLimits(limits));
  lines.push(
    status.offlineRefusal ? `SALES STOPPED: ${status.offlineRefusal.message}` : 'Offline sales: allowed',
  );
  return `${lines.join('\n')}\n`;
}

/** X or Z report as printed at the counter. */
export function formatShiftReport(report: ShiftReport): string {
  const count = (label: string, t: { count: number; amountCents: number }) =>
    row(`${label} (${t.count})`, formatKes(t.amountCents));
  const lines = [
    report.kind === 'X' ? 'X REPORT (shift still open)' : 'Z REPORT (shift closed)',
    '-'.repeat(WIDTH),
    row('Shift', report.shiftId),
    row('Opened', formatEat(report.openedAt)),
    row(report.kind === 'X' ? 'Printed' : 'Closed', formatEat(report.at)),
    '-'.repeat(WIDTH),
    row('', 'KES'),
    count('Sales', report.approved),
    count('Recovered sales', report.recovered),
    count('Cancelled', report.cancelled),
    row('NET SALES', formatKes(report.netSalesCents)),
    count('Cash reloads', report.reloads),
    count('Declined', report.declined),
  ];
  for (const [reason, t] of Object.entries(report.declined.byReason))
    lines.push(
      row(`  ${DECLINE_PHRASES[reason as RefusalReason] ?? reason} (${t.count})`, formatKes(t.amountCents)),
    );
  // Not declines: each interrupted sale later shows up as recovered or as not charged.
  if (report.interrupted.count)
    lines.push('-'.repeat(WIDTH), count('Interrupted (see recovered)', report.interrupted));
  if (report.byService.length) {
    lines.push('-'.repeat(WIDTH), 'By service (net of cancellations):');
    // Count and total (never "count × total"): the count stays whole when a long name is cut.
    for (const s of report.byService.filter((s) => s.count !== 0 || s.amountCents !== 0))
      lines.push(row(`  ${s.serviceCode} ${s.name}`, `(${s.count}) ${formatKes(s.amountCents)}`));
  }
  if (report.unresolvedPending)
    lines.push(
      '-'.repeat(WIDTH),
      `UNRESOLVED: ${report.unresolvedPending} (re-tap those cards or call the operator)`,
    );
  return `${lines.join('\n')}\n`;
}
