/** The operator console (also the auditor's read-only view). */
import { api, barChart, cell, download, el, formatKes, type Me, signIn, signOut, table } from './page-kit';

type Alert = {
  alertId: number;
  kind: string;
  severity: string;
  terminalId: string | null;
  cardNumber: string | null;
  createdAt: string;
  status: string;
  note: string | null;
};
type History = {
  counter: number;
  type: string | null;
  amountCents: number | null;
  balanceAfterCents: number | null;
  terminalId: string;
  seq: number;
};

const mask = (n: string | null) => (n ? `${n.slice(0, 4)} •••• •••• ${n.slice(-4)}` : '—');
const main = document.getElementById('main')!;
const today = new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);

function section(id: string, title: string): HTMLElement {
  const s = el('section', { id, 'aria-labelledby': `${id}-h` }, el('h2', { id: `${id}-h` }, title));
  main.append(s);
  return s;
}

async function alerts(me: Me) {
  const s = section('alerts', 'Alerts');
  const detail = el('div', { id: 'alert-detail' });
  const { alerts } = await api<{ alerts: Alert[] }>('GET', '/v1/console/alerts?status=all');
  const list = el('ul', { class: 'alerts' });
  for (const a of alerts) {
    const open = el(
      'button',
      { type: 'button', 'data-alert': String(a.alertId) },
      `#${a.alertId} ${a.kind} (${a.severity}) — ${a.status}`,
    );
    open.addEventListener('click', () => void showAlert(me, a.alertId, detail));
    list.append(el('li', {}, open, ` terminal ${a.terminalId ?? '—'}, card ${mask(a.cardNumber)}`));
  }
  s.append(alerts.length ? list : el('p', {}, 'No alerts.'), detail);
}

async function showAlert(me: Me, alertId: number, box: HTMLElement) {
  const d = await api<{
    alert: Alert;
    triage: Array<{ status: string; note: string; actor: string; at: string }>;
    cardHistory: History[];
  }>('GET', `/v1/console/alerts/${alertId}`);
  const parts: Node[] = [
    el('h3', {}, `Alert #${alertId}: ${d.alert.kind}`),
    el(
      'p',
      {},
      `Card ${mask(d.alert.cardNumber)}, terminal ${d.alert.terminalId ?? '—'}, status ${d.alert.status}`,
    ),
    table(
      'Card history (pseudonymous)',
      ['Counter', 'Type', 'Amount', 'Balance after', 'Terminal', 'Seq'],
      d.cardHistory.map((h) => [
        cell(h.counter, h.counter),
        cell(h.type),
        cell(h.amountCents === null ? null : formatKes(h.amountCents), h.amountCents ?? -1),
        cell(h.balanceAfterCents === null ? null : formatKes(h.balanceAfterCents), h.balanceAfterCents ?? -1),
        cell(h.terminalId),
        cell(h.seq, h.seq),
      ]),
    ),
    el('ul', {}, ...d.triage.map((t) => el('li', {}, `${t.at} ${t.actor}: ${t.status} — ${t.note}`))),
  ];
  if (me.role === 'operator') {
    const status = el(
      'select',
      { id: 'triage-status', name: 'status' },
      ...['investigating', 'resolved', 'false-positive', 'open'].map((v) => el('option', { value: v }, v)),
    );
    const note = el('textarea', { id: 'triage-note', name: 'note', required: '' });
    const msg = el('p', { role: 'status' });
    const form = el(
      'form',
      { 'aria-label': 'Triage' },
      el('label', { for: 'triage-status' }, 'Status'),
      status,
      el('label', { for: 'triage-note' }, 'Note'),
      note,
      el('button', { type: 'submit' }, 'Save triage'),
      msg,
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      await api('POST', `/v1/console/alerts/${alertId}/triage`, { status: status.value, note: note.value });
      msg.textContent = 'Triage saved.';
    });
    parts.push(form);
    if (d.alert.cardNumber) {
      const cardNumber = d.alert.cardNumber;
      const deny = el('button', { type: 'button', id: 'deny-card' }, `Deny card ${mask(cardNumber)}`);
      deny.addEventListener('click', async () => {
        const r = await api<{ version: number }>('POST', '/v1/console/deny-list', {
          cardNumber,
          action: 'add',
          reason: note.value || `alert #${alertId}`,
        });
        msg.textContent = `Card denied: deny list version ${r.version}.`;
      });
      parts.push(deny);
    }
  }
  box.replaceChildren(...parts);
}

async function denyList(me: Me) {
  const s = section('deny', 'Deny list');
  const d = await api<{
    version: number;
    entries: Array<{
      version: number;
      cardNumber: string;
      action: string;
      reason: string;
      by: string;
      at: string;
    }>;
  }>('GET', '/v1/console/deny-list');
  if (me.role === 'operator') {
    const card = el('input', {
      id: 'deny-card-number',
      name: 'cardNumber',
      inputmode: 'numeric',
      pattern: '[0-9]{16}',
      required: '',
    });
    const action = el(
      'select',
      { id: 'deny-action', name: 'action' },
      el('option', { value: 'add' }, 'add'),
      el('option', { value: 'remove' }, 'remove'),
    );
    const reason = el('input', { id: 'deny-reason', name: 'reason', required: '' });
    const msg = el('p', { role: 'status' });
    const form = el(
      'form',
      { 'aria-label': 'Change the deny list' },
      el('label', { for: 'deny-card-number' }, 'Card number'),
      card,
      el('label', { for: 'deny-action' }, 'Action'),
      action,
      el('label', { for: 'deny-reason' }, 'Reason'),
      reason,
      el('button', { type: 'submit' }, 'Apply'),
      msg,
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await api<{ version: number }>('POST', '/v1/console/deny-list', {
          cardNumber: card.value,
          action: action.value,
          reason: reason.value,
        });
        msg.textContent = `Deny list version ${r.version}.`;
      } catch (e) {
        msg.textContent = (e as Error).message;
      }
    });
    s.append(form);
  }
  const held = await api<{
    version: number;
    terminalCount: number;
    holdingCurrent: number;
    behind: Array<{
      terminalId: string;
      versionHeld: number | null;
      fetchedAt: string | null;
      versionsBehind: number;
    }>;
  }>('GET', '/v1/console/deny-list/terminals');
  s.append(
    el('p', {}, `Current version ${d.version}.`),
    el(
      'p',
      { id: 'deny-held' },
      `${held.holdingCurrent} of ${held.terminalCount} terminals hold version ${held.version}.`,
    ),
    held.behind.length === 0
      ? el('p', {}, 'No terminal is behind.')
      : table(
          'Terminals behind, most behind first',
          ['Terminal', 'Version held', 'Fetched at', 'Versions behind'],
          held.behind.map((t) => [
            cell(t.terminalId),
            cell(t.versionHeld ?? 'never fetched', t.versionHeld ?? -1),
            cell(t.fetchedAt),
            cell(t.versionsBehind, t.versionsBehind),
          ]),
          'deny-behind-table',
        ),
    table(
      'Versions',
      ['Version', 'Card', 'Action', 'Reason', 'By', 'At'],
      d.entries.map((e) => [
        cell(e.version, e.version),
        cell(mask(e.cardNumber)),
        cell(e.action),
        cell(e.reason),
        cell(e.by),
        cell(e.at),
      ]),
    ),
  );
}

async function fleet() {
  const s = section('fleet', 'Terminal fleet');
  const { terminals } = await api<{
    terminals: Array<{
      terminalId: string;
      merchantId: string;
      status: string;
      lastSyncAt: string | null;
      offlineSeconds: number | null;
      heldUpToSeq: number | null;
      certificateExpiresAt: string | null;
      outOfBalanceShifts: number;
      openAlerts: number;
      denyListVersion: number | null;
      denyListBehind: number;
      needsAttention: string[];
    }>;
  }>('GET', '/v1/console/fleet');
  const denyHeld = (t: { denyListVersion: number | null; denyListBehind: number }) =>
    t.denyListVersion === null
      ? 'never fetched'
      : t.denyListBehind === 0
        ? `v${t.denyListVersion} (current)`
        : `v${t.denyListVersion} / behind by ${t.denyListBehind}`;
  const hours = (sec: number | null) => (sec === null ? 'never synced' : `${(sec / 3600).toFixed(1)} h`);
  s.append(
    table(
      'Terminals, needing attention first',
      [
        'Terminal',
        'Merchant',
        'Attention',
        'Last sync',
        'Offline',
        'Held up to seq',
        'Certificate expires',
        'Out-of-balance shifts',
        'Open alerts',
        'Deny list',
      ],
      terminals.map((t) => [
        cell(t.terminalId),
        cell(t.merchantId),
        cell(t.needsAttention.join(', ') || 'ok', -t.needsAttention.length),
        cell(t.lastSyncAt),
        cell(hours(t.offlineSeconds), t.offlineSeconds ?? 1e12),
        cell(t.heldUpToSeq, t.heldUpToSeq ?? -1),
        cell(t.certificateExpiresAt),
        cell(t.outOfBalanceShifts, t.outOfBalanceShifts),
        cell(t.openAlerts, t.openAlerts),
        cell(denyHeld(t), t.denyListVersion === null ? 1e12 : t.denyListBehind),
      ]),
      'fleet-table',
    ),
  );
}

async function settlement() {
  const s = section('settlement', 'Settlement');
  const from = el('input', { id: 'from', type: 'date', value: today });
  const to = el('input', { id: 'to', type: 'date', value: today });
  const out = el('div');
  const show = async () => {
    const q = `from=${from.value}&to=${to.value}`;
    const { days } = await api<{
      days: Array<{
        date: string;
        merchantId: string;
        serviceCode: number | null;
        debitCount: number;
        netCents: number;
      }>;
    }>('GET', `/v1/console/settlement?${q}`);
    const byDay = new Map<string, { value: number; count: number }>();
    const byService = new Map<string, number>();
    for (const d of days) {
      const x = byDay.get(d.date) ?? { value: 0, count: 0 };
      x.value += d.netCents;
      x.count += d.debitCount;
      byDay.set(d.date, x);
      byService.set(
        String(d.serviceCode ?? '—'),
        (byService.get(String(d.serviceCode ?? '—')) ?? 0) + d.netCents,
      );
    }
    out.replaceChildren(
      barChart(
        'Net value per day',
        [...byDay].map(([label, v]) => ({ label, value: v.value, text: formatKes(v.value) })),
      ),
      barChart(
        'Sales per day',
        [...byDay].map(([label, v]) => ({ label, value: v.count, text: String(v.count) })),
      ),
      barChart(
        'Net value by service',
        [...byService].map(([label, v]) => ({ label: `     ${label}`, value: v, text: formatKes(v) })),
      ),
      table(
        'Per merchant per day',
        ['Date', 'Merchant', 'Service', 'Sales', 'Net'],
        days.map((d) => [
          cell(d.date),
          cell(d.merchantId),
          cell(d.serviceCode),
          cell(d.debitCount, d.debitCount),
          cell(formatKes(d.netCents), d.netCents),
        ]),
      ),
      download('settlement.csv', `/v1/console/settlement?${q}&format=csv`),
      ' ',
      download('settlement.json', `/v1/console/settlement?${q}&format=json`),
    );
  };
  const button = el('button', { type: 'button' }, 'Show');
  button.addEventListener('click', () => void show());
  s.append(el('label', { for: 'from' }, 'From'), from, el('label', { for: 'to' }, 'To'), to, button, out);
  await show();
}

async function topups() {
  const s = section('topups', 'Mobile-money top-ups');
  const { topups } = await api<{
    topups: Array<{
      topupId: number;
      provider: string;
      cardNumber: string;
      amountCents: number;
      status: string;
      receivedAt: string;
    }>;
  }>('GET', '/v1/console/topups');
  s.append(
    table(
      'Pending first',
      ['Id', 'Provider', 'Card', 'Amount', 'Status', 'Received'],
      topups.map((t) => [
        cell(t.topupId, t.topupId),
        cell(t.provider),
        cell(mask(t.cardNumber)),
        cell(formatKes(t.amountCents), t.amountCents),
        cell(t.status),
        cell(t.receivedAt),
      ]),
    ),
  );
}

async function start() {
  const me = await signIn(main, ['operator', 'auditor']);
  const out = el('button', { type: 'button' }, 'Sign out');
  out.addEventListener('click', () => void signOut());
  document.getElementById('who')!.replaceChildren(`${me.username} (${me.role}) `, out);
  await alerts(me);
  await denyList(me);
  await fleet();
  await settlement();
  await topups();
  main.setAttribute('data-ready', 'true');
}

void start();
