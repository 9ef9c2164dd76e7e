/** The merchant portal: own terminals, sales and cancels, statements, CSV downloads. */
import { api, cell, download, el, formatKes, signIn, signOut, table } from './page-kit';

const main = document.getElementById('main')!;
const today = new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);

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
  const from = el('input', { id: 'from', type: 'date', value: today });
  const to = el('input', { id: 'to', type: 'date', value: today });
  const box = el('div');
  const show = async () => {
    const q = `from=${from.value}&to=${to.value}`;
    const st = await api<{
      days: Array<{
        date: string;
        debitCount: number;
        grossDebitsCents: number;
        cancelCount: number;
        cancelsCents: number;
        netCents: number;
      }>;
      totalNetCents: number;
    }>('GET', `/v1/merchant/statement?${q}`);
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
    box.replaceChildren(
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
      ' ',
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
    );
  };
  const button = el('button', { type: 'button' }, 'Show');
  button.addEventListener('click', () => void show());
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
      box,
    ),
  );
  await show();
  main.setAttribute('data-ready', 'true');
}

void start();
