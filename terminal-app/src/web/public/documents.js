// Views of the cashier page that are documents: the shift report table and the receipt, worded
// in the cashier's language. Built with textContent only.
import { $, api, el, kes, t, when } from './page-kit.js';

export function renderReport(report) {
  const table = el('table');
  const caption = el(
    'caption',
    `${report.kind} · ${t('reports.shift', { id: report.shiftId, time: when(report.openedAt) })}`,
  );
  table.append(caption);
  const rows = [
    ['reports.approved', report.approved],
    ['reports.recovered', report.recovered],
    ['reports.cancelled', report.cancelled],
    ['reports.reloads', report.reloads],
    ['reports.declined', report.declined],
    ['reports.interrupted', report.interrupted],
  ];
  for (const [key, v] of rows) {
    const tr = el('tr');
    tr.append(
      el('th', t(key), { scope: 'row' }),
      el('td', String(v.count), { class: 'num' }),
      el('td', kes(v.amountCents), { class: 'num' }),
    );
    table.append(tr);
  }
  const net = el('tr');
  net.append(
    el('th', t('reports.net'), { scope: 'row' }),
    el('td', ''),
    el('td', kes(report.netSalesCents), { class: 'num', 'data-net': '' }),
  );
  table.append(net);
  $('report-out').replaceChildren(table);
}

/** Fetches receipt `seq` from the log and shows it; resolves its number. */
export async function showReceipt(seq) {
  const r = await api('GET', `/api/receipt?seq=${seq}`);
  const box = el('article', undefined, {
    class: 'receipt',
    'data-seq': String(r.terminalSeq),
    'data-kind': r.kind,
  });
  box.append(el('h3', 'HUDUMA PAY'), el('h3', t(`receipt.title.${r.kind}`)));
  const service =
    r.kind === 'reload' ? t('receipt.reloadService') : (r.serviceName ?? t('receipt.typedAmount'));
  const rows = [
    ['receipt.merchant', r.merchantId],
    ['receipt.location', `${t(`status.kind.${r.locationKind}`)}: ${r.locationName}`],
    ['receipt.terminal', `${r.terminalId} #${r.terminalSeq}`],
    ['receipt.date', when(r.time)],
    ['receipt.service', service],
    ['receipt.serviceCode', String(r.serviceCode)],
    [r.locationKind === 'partner-merchant' ? 'sale.invoiceRef' : 'sale.billRef', r.billRef],
    [`receipt.amount.${r.kind}`, kes(r.amountCents)],
    ['receipt.card', r.maskedCard],
    ['receipt.counter', String(r.cardCounter)],
    ['receipt.balance', kes(r.balanceAfterCents)],
    ['receipt.proof', r.proofRef],
  ];
  const dl = el('dl');
  for (const [k, v] of rows) dl.append(el('dt', t(k)), el('dd', v, { 'data-field': k }));
  box.append(dl);
  const qr = el('img', undefined, {
    src: `/api/receipts/${r.terminalSeq}/qr.svg`,
    alt: t('receipt.qr'),
    'data-payload': r.qrPayload,
  });
  box.append(qr, el('p', t('receipt.footer')));
  $('receipt').replaceChildren(box);
}
