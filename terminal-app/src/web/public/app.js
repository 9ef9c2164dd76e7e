// The cashier page. Plain JavaScript (no framework, no CDN): it renders the live state the
// server pushes (server-sent events) and posts the cashier's actions. Labels come from
// /api/i18n (en, sw); amounts and dates are formatted with Intl for Kenya.
import { renderDevices } from './device-strip.js';
import { renderReport, showReceipt as showReceiptDocument } from './documents.js';
import { $, api, duration, el, getLang, kes, setLabels, setLang, t, when } from './page-kit.js';

let state;
let services = [];
let receiptSeq;
let zArmed = false;
let lastResultVersion;

function showReceipt(seq) {
  receiptSeq = seq;
  return showReceiptDocument(seq);
}

function showError(id, err) {
  const field = err.field ? t('error.field', { field: err.field, message: err.message }) : err.message;
  $(id).textContent = err.code === 'ERR_TERMINAL_BUSY' ? t('error.busy') : field;
}

// ---------------------------------------------------------------- language

function applyLanguage() {
  document.documentElement.lang = getLang();
  $('lang').value = getLang();
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  document.title = t('app.title');
  if (state) render(state);
  renderServices();
  if (receiptSeq !== undefined) void showReceipt(receiptSeq);
}

// ---------------------------------------------------------------- tabs and keyboard

const TABS = ['sale', 'cancel', 'reload', 'reports', 'status'];
function openTab(name) {
  for (const tab of TABS) $(`tab-${tab}`).hidden = tab !== name;
  for (const b of document.querySelectorAll('[data-tab]')) {
    if (b.dataset.tab === name) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  if (name === 'sale') focusSale();
  if (name === 'cancel') void loadLastSale();
  if (name === 'status') void loadStatus();
  if (name === 'reload') $('reload-amount').focus();
}

function focusSale() {
  const mode = document.querySelector('input[name="mode"]:checked').value;
  (mode === 'service' && services.length ? $('sale-search') : $('sale-amount')).focus();
}

document.addEventListener('keydown', (e) => {
  if (e.altKey && /^[1-5]$/.test(e.key)) {
    e.preventDefault();
    const tab = TABS[Number(e.key) - 1];
    if (tab !== 'reload' || state?.profile.reloadAllowed) openTab(tab);
  }
  if (e.key === 'Escape' && state && (state.phase === 'waiting-card' || state.phase === 'hold-card')) {
    e.preventDefault();
    void api('POST', '/api/abort', {});
  }
  if (e.key === 'Escape' && state?.phase === 'pin') {
    e.preventDefault();
    void api('POST', '/api/pin', { cancel: true }).catch(() => {});
  }
});

// ---------------------------------------------------------------- sale

function renderServices() {
  const query = $('sale-search').value.trim().toLowerCase();
  const select = $('sale-service');
  const previous = select.value;
  select.replaceChildren();
  const matches = services.filter(
    (s) => !query || String(s.code).startsWith(query) || s.name.toLowerCase().includes(query),
  );
  for (const s of matches) {
    const option = el('option', `${s.code} · ${s.name} · ${kes(s.feeCents)}`, { value: String(s.code) });
    select.append(option);
  }
  select.value = matches.some((s) => String(s.code) === previous) ? previous : String(matches[0]?.code ?? '');
  $('sale-nomatch').hidden = matches.length > 0;
}

function saleMode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function setMode(mode) {
  for (const r of document.querySelectorAll('input[name="mode"]')) r.checked = r.value === mode;
  $('by-service').hidden = mode !== 'service';
  $('by-amount').hidden = mode !== 'amount';
}

$('sale-search').addEventListener('input', renderServices);
$('sale-search').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    if ($('sale-service').value) $('sale-ref').focus();
  }
  if (e.key === 'ArrowDown') {
    e.preventDefault();
    $('sale-service').focus();
  }
});
$('sale-service').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    $('sale-ref').focus();
  }
});
$('sale-amount').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    $('sale-ref').focus();
  }
});
for (const r of document.querySelectorAll('input[name="mode"]'))
  r.addEventListener('change', () => setMode(r.value));

$('sale-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('sale-error').textContent = '';
  const billRef = $('sale-ref').value;
  const body =
    saleMode() === 'service'
      ? { serviceCode: Number($('sale-service').value), billRef }
      : { amount: $('sale-amount').value, billRef };
  try {
    await api('POST', '/api/sale', body);
  } catch (err) {
    showError('sale-error', err);
  }
});

function resetSale() {
  // Each customer starts on the service search (amount-only counters: on the amount).
  setMode(services.length ? 'service' : 'amount');
  $('sale-search').value = '';
  $('sale-amount').value = '';
  $('sale-ref').value = '';
  $('sale-error').textContent = '';
  renderServices();
}

// ---------------------------------------------------------------- cancel, reload, reports, status, sync

async function loadLastSale() {
  $('cancel-error').textContent = '';
  const { lastSale } = await api('GET', '/api/last-sale');
  const service = (code) => services.find((s) => s.code === code)?.name ?? t('receipt.typedAmount');
  $('cancel-which').textContent = lastSale
    ? t('cancel.which', {
        amount: kes(lastSale.amountCents),
        service: service(lastSale.serviceCode),
        ref: lastSale.billRef,
        card: lastSale.maskedCard,
        seq: lastSale.terminalSeq,
        time: when(lastSale.time),
      }) + (lastSale.cancelled ? ` ${t('cancel.already')}` : '')
    : t('cancel.none');
  $('cancel-submit').disabled = !lastSale || lastSale.cancelled;
  if (!$('cancel-submit').disabled) $('cancel-submit').focus();
}
$('cancel-submit').addEventListener('click', () =>
  api('POST', '/api/cancel', {}).catch((err) => showError('cancel-error', err)),
);

$('reload-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('reload-error').textContent = '';
  try {
    await api('POST', '/api/reload', { amount: $('reload-amount').value, reference: $('reload-ref').value });
    $('reload-amount').value = '';
    $('reload-ref').value = '';
  } catch (err) {
    showError('reload-error', err);
  }
});

$('report-x').addEventListener('click', async () => {
  zArmed = false;
  $('report-confirm').textContent = '';
  renderReport(await api('GET', '/api/report/x'));
});
$('report-z').addEventListener('click', async () => {
  if (!zArmed) {
    zArmed = true;
    $('report-confirm').textContent = t('reports.zConfirm');
    return;
  }
  zArmed = false;
  try {
    renderReport(await api('POST', '/api/report/z', {}));
    $('report-confirm').textContent = t('reports.closed');
  } catch (err) {
    showError('report-confirm', err);
  }
});

async function loadStatus() {
  const s = await api('GET', '/api/status');
  const rows = [
    ['status.terminal', s.terminalId],
    ['status.merchant', s.merchantId],
    ['status.location', `${t(`status.kind.${s.location.kind}`)}: ${s.location.name}`],
    ['status.certificate', when(s.certificateNotAfter)],
    ['status.shift', `${s.shiftId} (${when(s.shiftOpenedAt)})`],
    ['status.records', String(s.logRecords)],
    ['live.unsynced', String(s.unsyncedRecords)],
    ['status.lastSync', s.lastSyncAt ? when(s.lastSyncAt) : t('live.never')],
    ['status.denyList', String(s.denyListVersion)],
  ];
  $('status-out').replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const div = el('div');
      div.append(el('dt', t(k)), el('dd', v));
      return [div];
    }),
  );
}

$('sync-now').addEventListener('click', async () => {
  $('sync-message').textContent = '';
  try {
    const sync = await api('POST', '/api/sync', {});
    $('sync-message').textContent =
      sync.state === 'ok'
        ? t('sync.done', { n: sync.uploaded ?? 0 })
        : t('sync.failedMsg', { error: sync.error });
  } catch (err) {
    $('sync-message').textContent = t('sync.failedMsg', { error: err.message });
  }
});

// ---------------------------------------------------------------- flow: tap, PIN, result

$('abort').addEventListener('click', () => api('POST', '/api/abort', {}));
$('resolve').addEventListener('click', () => api('POST', '/api/recover', {}).catch(() => {}));
$('pin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $('pin-input');
  const pin = input.value;
  input.value = '';
  await api('POST', '/api/pin', { pin }).catch(() => {});
});
$('pin-cancel').addEventListener('click', () => api('POST', '/api/pin', { cancel: true }).catch(() => {}));
$('next-customer').addEventListener('click', () => {
  $('result').hidden = true;
  resetSale();
  openTab('sale');
});

const opName = (op) => t(`op.${op}`);

function renderFlow(s) {
  const active = s.phase === 'waiting-card' || s.phase === 'hold-card';
  $('flow').hidden = !active;
  if (active) {
    $('flow-h').textContent = s.phase === 'hold-card' ? t('tap.hold') : t('tap.waiting');
    $('flow-what').textContent =
      s.amountCents === undefined
        ? opName(s.operation)
        : t('tap.for', { what: opName(s.operation), amount: kes(s.amountCents) });
    $('flow-card').textContent = s.card
      ? `${s.card.maskedCard} · ${t('result.balance', { amount: kes(s.card.balanceCents) })}`
      : '';
  }
  const wasHidden = $('pin').hidden;
  $('pin').hidden = s.phase !== 'pin';
  if (s.phase === 'pin') {
    $('pin-amount').textContent = t('pin.amount', { amount: kes(s.amountCents ?? 0) });
    $('pin-tries').textContent = t('pin.tries', { n: s.pin.triesLeft });
    $('pin-wrong').hidden = !s.pin.wrong;
    if (wasHidden || s.pin.wrong) $('pin-input').focus();
  }
  const result = s.result;
  $('result').hidden = s.phase !== 'result' || !result;
  if (s.phase === 'result' && result) {
    const box = $('result');
    box.classList.toggle('approved', result.kind === 'approved' || result.kind === 'recovered');
    box.classList.toggle('declined', result.kind === 'declined' || result.kind === 'error');
    if (result.kind === 'approved') {
      $('result-h').textContent = `${t('result.approved')}: ${opName(result.operation)}`;
      $('result-text').textContent = kes(result.receipt.amountCents);
      $('result-next').textContent = t('result.balance', { amount: kes(result.receipt.balanceAfterCents) });
      if (receiptSeq !== result.receipt.terminalSeq) void showReceipt(result.receipt.terminalSeq);
    } else if (result.kind === 'declined') {
      const w = result.wording[getLang()];
      $('result-h').textContent = `${t('result.declined')}: ${opName(result.operation)}`;
      $('result-text').textContent = w.text;
      $('result-next').textContent = '';
    } else if (result.kind === 'recovered') {
      $('result-h').textContent = opName('recover');
      $('result-text').textContent = '';
      $('result-next').textContent = '';
    } else {
      $('result-h').textContent = `${t('result.declined')}: ${result.code}`;
      $('result-text').textContent = '';
      $('result-next').textContent = '';
    }
    if (lastResultVersion !== s.version) {
      lastResultVersion = s.version;
      $('next-customer').focus();
    }
  }
  const notes = s.recovered.map((r) => {
    const key =
      r.outcome === 'completed'
        ? 'recovered.completed'
        : r.outcome === 'not-charged'
          ? 'recovered.notCharged'
          : 'recovered.unknown';
    return el(
      'p',
      t(key, {
        what: opName(r.op === 'debit' ? 'sale' : r.op === 'undebit' ? 'cancel' : 'reload'),
        amount: kes(r.amountCents),
      }),
      { class: 'big' },
    );
  });
  $('recovered').replaceChildren(...notes);
  const completed = s.recovered.find((r) => r.receipt);
  if (completed && !(result?.kind === 'approved') && receiptSeq !== completed.terminalSeq)
    void showReceipt(completed.terminalSeq);
}

function renderInterrupted(s) {
  $('interrupted').hidden = s.unresolved.length === 0;
  $('interrupted-list').replaceChildren(
    ...s.unresolved.map((u) => {
      const what = opName(u.op === 'debit' ? 'sale' : u.op === 'undebit' ? 'cancel' : 'reload');
      const li = el(
        'li',
        t('interrupted.item', { what, amount: kes(u.amountCents), card: u.maskedCard, seq: u.terminalSeq }),
      );
      if (u.needsOperator) li.append(el('strong', ` ${t('interrupted.operator')}`));
      return li;
    }),
  );
  $('resolve').disabled = s.phase === 'waiting-card' || s.phase === 'hold-card' || s.phase === 'pin';
}

function renderLive(s) {
  $('profile').textContent =
    `${s.profile.terminalId} · ${s.profile.merchantId} · ${t(`status.kind.${s.profile.locationKind}`)}: ${s.profile.locationName}`;
  $('live-reader').textContent = t(s.readerConnected ? 'live.reader.on' : 'live.reader.off');
  $('live-card').textContent = t(s.cardPresent ? 'live.card.on' : 'live.card.off');
  $('live-sync').textContent = t(`live.sync.${s.sync.state}`);
  $('live-offline').textContent = s.sync.lastSyncAt ? duration(s.sync.offlineForMs) : t('live.never');
  $('live-unsynced').textContent = String(s.sync.unsyncedRecords);
  renderDevices(s.devices);
  $('sync-now').disabled = s.sync.state === 'unavailable' || s.sync.state === 'syncing';
  $('nav-reload').hidden = !s.profile.reloadAllowed;
  $('sale-ref-label').textContent = t(
    s.profile.locationKind === 'partner-merchant' ? 'sale.invoiceRef' : 'sale.billRef',
  );
}

function renderDemo(s) {
  $('demo').hidden = !s.demo;
  if (!s.demo) return;
  $('demo-cards').replaceChildren(
    ...s.demo.cards.map((c) => {
      const b = el(
        'button',
        `${t('demo.present', { label: c.label })} · ${c.maskedCard} · ${kes(c.balanceCents)}${c.pin ? ` · ${t('demo.pin', { pin: c.pin })}` : ''}`,
        {
          type: 'button',
          'data-demo-card': String(c.index),
          'aria-pressed': String(s.demo.inserted === c.index),
        },
      );
      b.addEventListener('click', () => api('POST', '/api/demo/present', { card: c.index }));
      return b;
    }),
  );
  $('demo-pull').setAttribute('aria-pressed', String(s.demo.pullArmed));
}
$('demo-remove').addEventListener('click', () => api('POST', '/api/demo/remove', {}));
$('demo-pull').addEventListener('click', () => api('POST', '/api/demo/pull', { afterCardProcessed: true }));

function render(s) {
  state = s;
  renderLive(s);
  renderInterrupted(s);
  renderFlow(s);
  renderDemo(s);
}

// ---------------------------------------------------------------- receipt

$('print').addEventListener('click', () => window.print());
$('reprint').addEventListener('click', () => {
  if (state?.lastReceiptSeq === undefined) return;
  // A counter with a receipt printer reprints on it; otherwise the browser prints the page.
  if (state.devices && state.devices.printer !== 'not-configured')
    void api('POST', '/api/reprint', { seq: state.lastReceiptSeq }).catch((err) =>
      showError('reprint-error', err),
    );
  else void showReceipt(state.lastReceiptSeq).then(() => window.print());
});

// ---------------------------------------------------------------- start

async function start() {
  setLabels(await api('GET', '/api/i18n'));
  services = (await api('GET', '/api/catalog')).services;
  if (!services.length) {
    setMode('amount');
    $('sale-mode').hidden = true;
  }
  $('lang').addEventListener('change', () => {
    setLang($('lang').value);
    $('sync-message').textContent = '';
    applyLanguage();
  });
  for (const b of document.querySelectorAll('[data-tab]'))
    b.addEventListener('click', () => openTab(b.dataset.tab));
  applyLanguage();
  const events = new EventSource('/api/events');
  // Ready once the counter's own state is on screen (profile wording, reload item, live state).
  events.onmessage = (m) => {
    render(JSON.parse(m.data));
    document.body.dataset.ready = 'true';
  };
  openTab('sale');
}
void start();
