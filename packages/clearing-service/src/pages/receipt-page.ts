/**
 * The public receipt check. A receipt's QR code (printed or on the cashier's screen) holds the
 * receipt code of @huduma/clearing-protocol, "HPR1:<terminal>:<transaction number>:<proof ref>",
 * read here with the same parser the terminal's encoder is tested against; a person can also type
 * it from the paper (terminal, number and proof ref are printed).
 */
import {
  parseReceiptCode,
  ReceiptCodeError,
  type ReceiptCodeField,
} from '@huduma/clearing-protocol/receipt-code';
import { el, formatKes } from './page-kit';
import { fromHex, type ReceiptCheckAnswer, verifyReceipt } from './verify-receipt';

const main = document.getElementById('main')!;

/** What a cardholder is told is wrong with the code they scanned or typed. */
const FIELD_WORDS: Record<ReceiptCodeField, string> = {
  code: 'it is not in the HPR1:terminal:number:reference form',
  prefix: 'it does not start with HPR1:',
  version: 'it is from a newer receipt format than this page knows',
  terminalId: 'the terminal id is not valid',
  terminalSeq: 'the transaction number is not valid',
  proofRef: 'the proof reference must be 8 hex digits',
};

async function check(text: string, out: HTMLElement) {
  let p: ReturnType<typeof parseReceiptCode>;
  try {
    p = parseReceiptCode(text);
  } catch (err) {
    if (!(err instanceof ReceiptCodeError)) throw err;
    out.replaceChildren(
      el(
        'p',
        { class: 'refused', id: 'verdict', 'data-field': err.field },
        `This is not a Huduma receipt code: ${FIELD_WORDS[err.field]}.`,
      ),
    );
    return;
  }
  const keysRes = await fetch('/v1/receipt-check/keys');
  const keys = (await keysRes.json()) as { servicePublicKey: string; issuerCaKeys: string[] };
  const res = await fetch(
    `/v1/receipt-check?terminalId=${encodeURIComponent(p.terminalId)}&seq=${p.terminalSeq}&proof=${p.proofRef}`,
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
  const v = await verifyReceipt(answer, p.proofRef, {
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
