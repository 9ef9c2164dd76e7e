/**
 * The public receipt check. The QR code of a receipt carries "HUDUMA-RECEIPT:1:<terminal>:<seq>:<sha256 of
 * the card proof>"; a printed receipt gives terminal, seq and the 8-digit proof reference.
 */
import { el, formatKes } from './page-kit';
import { fromHex, type ReceiptCheckAnswer, verifyReceipt } from './verify-receipt';

const main = document.getElementById('main')!;

export function parsePayload(text: string): { terminalId: string; seq: number; proof: string } | undefined {
  const m = /^HUDUMA-RECEIPT:1:([A-Z0-9-]{1,8}):([0-9]{1,15}):([0-9a-fA-F]{64}|[0-9a-fA-F]{8})$/.exec(
    text.trim(),
  );
  return m ? { terminalId: m[1]!, seq: Number(m[2]), proof: m[3]! } : undefined;
}

async function check(text: string, out: HTMLElement) {
  const p = parsePayload(text);
  if (!p) {
    out.replaceChildren(el('p', { class: 'refused' }, 'This is not a Huduma receipt code.'));
    return;
  }
  const keysRes = await fetch('/v1/receipt-check/keys');
  const keys = (await keysRes.json()) as { servicePublicKey: string; issuerCaKeys: string[] };
  const res = await fetch(
    `/v1/receipt-check?terminalId=${encodeURIComponent(p.terminalId)}&seq=${p.seq}&proof=${p.proof}`,
  );
  if (!res.ok) {
    out.replaceChildren(
      el(
        'p',
        { class: 'refused', id: 'verdict' },
        'Not verified: the clearing service holds no accepted sale matching this receipt.',
      ),
    );
    return;
  }
  const answer = (await res.json()) as ReceiptCheckAnswer;
  const v = await verifyReceipt(answer, p.proof, {
    servicePublicKey: fromHex(keys.servicePublicKey),
    issuerCaKeys: keys.issuerCaKeys.map(fromHex),
  });
  if (!v.ok) {
    out.replaceChildren(
      el('p', { class: 'refused', id: 'verdict' }, `Not verified (${v.step}): ${v.reason}.`),
    );
    return;
  }
  out.replaceChildren(
    el(
      'p',
      { class: 'verified', id: 'verdict' },
      'Verified: the clearing service accepted this payment, signed by the card.',
    ),
    el(
      'dl',
      {},
      el('dt', {}, 'Amount'),
      el('dd', {}, formatKes(v.amountCents)),
      el('dt', {}, 'Kind'),
      el('dd', {}, v.kind),
      el('dt', {}, 'Terminal'),
      el('dd', {}, `${v.terminalId} #${v.seq}`),
      el('dt', {}, 'Card'),
      el('dd', {}, v.cardMasked),
      el('dt', {}, 'Bill'),
      el('dd', {}, v.billRef),
      el('dt', {}, 'Time (EAT)'),
      el('dd', {}, new Date(v.time * 1000 + 3 * 3600_000).toISOString().replace('T', ' ').slice(0, 19)),
      el('dt', {}, 'Checkpoint'),
      el('dd', {}, `tree of ${v.treeSize} records`),
    ),
  );
}

function start() {
  const input = el('textarea', { id: 'payload', name: 'payload', rows: '3', required: '' });
  const out = el('div', { 'aria-live': 'polite' });
  const form = el(
    'form',
    { 'aria-label': 'Check a receipt' },
    el('label', { for: 'payload' }, 'Receipt code (paste or scan the QR code)'),
    input,
    el('button', { type: 'submit' }, 'Check'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void check(input.value, out).catch(() =>
      out.replaceChildren(
        el('p', { class: 'refused', id: 'verdict' }, 'Not verified: the check could not complete.'),
      ),
    );
  });
  main.replaceChildren(form, out);
  main.setAttribute('data-ready', 'true');
}

start();
