/** The merchant portal: own terminals, sales and cancels, statements, CSV downloads. */
import { api, cell, download, el, formatKes, signIn, signOut, table } from './page-kit';

const main = document.getElementById('main')!;

async function start() {
  const me = await signIn(main, ['merchant']);
  const out = el('button', { type: 'button' }, 'Sign out');
  out.addEventListener('click', () => void signOut());
  document.getElementById('who')!.replaceChildren(`${me.username} (merchant ${me.merchantId}) `, out);
  const { terminals } = await api<{
    terminals: Array<{
      terminalId: string;
      status: string;
      heldUpToSeq: number | null;
      lastSyncAt: string | null;
    }>;
  }>('GET', '/v1/merchant/terminals');
  main.append(
    el(
      'section',
      { 'aria-labelledby': 'terminals-h' },
      el('h2', { id: 'terminals-h' }, 'Terminals'),
      table(
        'Your terminals',
        ['Terminal', 'Status', 'Held up to seq', 'Last sync'],
        terminals.map((t) => [
          cell(t.terminalId),
          cell(t.status),
          cell(t.heldUpToSeq, t.heldUpToSeq ?? -1),
          cell(t.lastSyncAt),
        ]),
      ),
    ),
  );
  // Empty until the service answers: its default range (the last 7 Nairobi days, today included)
  // fills them, so the range shown is the one the service used, whatever the browser's clock.
  const from = el('input', { id: 'from', type: 'date' });
  const to = el('input', { id: 'to', type: 'date' });
  const shown = el('p', { id: 'statement-range', role: 'status' });
  const box = el('div');
  const show = async () => {
    const asked = from.value && to.value ? `from=${from.value}&to=${to.value}` : '';
    let st: Awaited<ReturnType<typeof statement>>;
    try {
      st = await statement(asked);
    } catch (e) {
      shown.textContent = (e as Error).message;
      return;
    }
    from.value = st.from;
    to.value = st.to;
    shown.textContent = `Showing ${st.from} to ${st.to} (Nairobi business days).`;
    const q = `from=${st.from}&to=${st.to}`;
    box.replaceChildren(...(await salesView(st, q)));
  };
  const button = el('button', { type: 'button' }, 'Show');
  button.addEventListener('click', () => void show());
  // An edited date shows its range at once, so the downloads always match the range shown.
  for (const input of [from, to]) input.addEventListener('change', () => void show());
  main.append(
    el(
      'section',
      { 'aria-labelledby': 'statement-h' },
      el('h2', { id: 'statement-h' }, 'Statement'),
      el('label', { for: 'from' }, 'From'),
      from,
      el('label', { for: 'to' }, 'To'),
      to,
      button,
      shown,
      box,
    ),
  );
  await show();
  main.setAttribute('data-ready', 'true');
}

function statement(q: string) {
  return api<{
    from: string;
    to: string;
    days: Array<{
      date: string;
      debitCount: number;
      grossDebitsCents: number;
      cancelCount: number;
      cancelsCents: number;
      netCents: number;
    }>;
    totalNetCents: number;
  }>('GET', `/v1/merchant/statement${q ? `?${q}` : ''}`);
}

async function salesView(st: Awaited<ReturnType<typeof statement>>, q: string): Promise<Node[]> {
  const { sales } = await api<{
    sales: Array<{
      time: string;
      terminalId: string;
      seq: number;
      type: string;
      amountCents: number;
      billRef: string | null;
      card: string | null;
    }>;
  }>('GET', `/v1/merchant/sales?${q}`);
  return [
    el('p', { id: 'statement-total' }, `Net for the period: ${formatKes(st.totalNetCents)}`),
    table(
      'Statement',
      ['Date', 'Sales', 'Gross', 'Cancels', 'Cancelled', 'Net'],
      st.days.map((d) => [
        cell(d.date),
        cell(d.debitCount, d.debitCount),
        cell(formatKes(d.grossDebitsCents), d.grossDebitsCents),
        cell(d.cancelCount, d.cancelCount),
        cell(formatKes(d.cancelsCents), d.cancelsCents),
        cell(formatKes(d.netCents), d.netCents),
      ]),
    ),
    download('statement.csv', `/v1/merchant/statement?${q}&format=csv`),
    document.createTextNode(' '),
    download('sales.csv', `/v1/merchant/sales?${q}&format=csv`),
    table(
      'Sales and cancels',
      ['Time', 'Terminal', 'Seq', 'Type', 'Amount', 'Bill', 'Card'],
      sales.map((s) => [
        cell(s.time),
        cell(s.terminalId),
        cell(s.seq, s.seq),
        cell(s.type),
        cell(formatKes(s.amountCents), s.amountCents),
        cell(s.billRef),
        cell(s.card),
      ]),
    ),
  ];
}

void start();
