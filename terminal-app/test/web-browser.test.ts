/**
 * A day at the counter through the cashier page in a real browser (Debian's chromium, driven by
 * playwright-core): sales by service (keyboard only) and by amount, a wrong PIN, a decline, a
 * card pulled mid-payment and resolved on re-tap, cancel, reload, reports, sync with a running
 * clearing service, the Kiswahili screens, axe-core, and a partner merchant's counter. Afterwards
 * what the page showed must agree with the signed log and with the cards. Screenshots go to
 * .tmp/web/ (kept as artifacts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseReceiptCode } from '@huduma/clearing-protocol';
import { DevPki } from '@huduma/pki';
import {
  BatchUploader,
  initTerminal,
  pollingCardReader,
  ServiceCatalog,
  TerminalEngine,
} from '@huduma/terminal';
import { CounterSession, DeviceStateModel, startCounterWebApp } from '@huduma/terminal-app';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClearingHarness, startClearingService } from '../../test/support/clearing-harness';
import { launchChromium, startWebCounter, type WebCounter } from './support/web-counter';

// The page's globals, as the functions playwright runs inside the browser see them (no DOM lib here).
declare const document: { activeElement: { id: string } | null };
declare const window: {
  axe: {
    run(
      context: unknown,
      options: unknown,
    ): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }>;
  };
};

const SHOTS = resolve(__dirname, '../../.tmp/web');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AMINA = 0;
const BARAKA = 1;
const CHEBET = 2;

let browser: Awaited<ReturnType<typeof launchChromium>>;
let web: WebCounter;
let clearing: ClearingHarness;
let page: Page;
/** Receipts the page showed: terminal seq → kind, amount and balance after (cents). */
const shown = new Map<number, { kind: string; amountCents: number; balanceAfterCents: number }>();

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** axe-core in the page: no serious or critical violation. */
async function checkAccessibility(where: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations, `axe on ${where}`).toEqual([]);
}

const deviceStates = new DeviceStateModel({ reader: true, printer: true });

async function tap(card: number): Promise<void> {
  await page.locator('#flow:not([hidden])').waitFor();
  await page.click(`[data-demo-card="${card}"]`);
}

async function removeCard(): Promise<void> {
  await page.click('#demo-remove');
  await page
    .locator('#live-card', { hasText: 'none' })
    .or(page.locator('#live-card', { hasText: 'hakuna' }))
    .waitFor();
}

/**
 * The receipt's QR holds the receipt code (the one the public check page reads) naming this
 * terminal, this transaction and the proof reference the receipt prints; the amounts are those of
 * the receipt the page fetched from the log (checked against the log and the cards at the end).
 */
async function receiptShownWithCode(
  receipt: ReturnType<Page['locator']>,
  seq: number,
): Promise<{ amountCents: number; balanceAfterCents: number }> {
  const payload = (await receipt.locator('img').getAttribute('data-payload')) ?? '';
  const view = (await page.evaluate(async (s) => (await fetch(`/api/receipt?seq=${s}`)).json(), seq)) as {
    qrPayload: string;
    amountCents: number;
    balanceAfterCents: number;
  };
  const printedRef = await receipt.locator('[data-field="receipt.proof"]').textContent();
  expect(parseReceiptCode(payload)).toEqual({
    terminalId: web.session.engine.config.terminalId,
    terminalSeq: seq,
    proofRef: printedRef,
  });
  expect(view.qrPayload).toBe(payload);
  return { amountCents: view.amountCents, balanceAfterCents: view.balanceAfterCents };
}

/** Waits for the approved result and records the receipt the page shows (and checks its QR). */
async function approvedReceipt(kind: string): Promise<{ seq: number; amountCents: number }> {
  await page.locator('#result.approved:not([hidden])').waitFor();
  const receipt = page.locator(`article.receipt[data-kind="${kind}"]`);
  await receipt.waitFor();
  const seq = Number(await receipt.getAttribute('data-seq'));
  const verified = await receiptShownWithCode(receipt, seq);
  shown.set(seq, { kind, ...verified });
  // The QR image itself is served locally.
  const qr = await page.evaluate(async (s) => (await fetch(`/api/receipts/${s}/qr.svg`)).text(), seq);
  expect(qr).toContain('<svg');
  return { seq, amountCents: verified!.amountCents };
}

async function nextCustomer(): Promise<void> {
  // The approval or decline puts the focus on "Next customer": Enter clears the counter.
  await page.keyboard.press('Enter');
  await page.locator('#result').waitFor({ state: 'hidden' });
}

async function saleByService(code: string, billRef: string): Promise<void> {
  await page.keyboard.press('Alt+1');
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('sale-search');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
  await page.keyboard.type(billRef);
  await page.keyboard.press('Enter');
}

async function saleByAmount(amount: string, billRef: string): Promise<void> {
  await page.keyboard.press('Alt+1');
  await page.check('input[name="mode"][value="amount"]');
  await page.fill('#sale-amount', amount);
  await page.fill('#sale-ref', billRef);
  await page.press('#sale-ref', 'Enter');
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  deviceStates.set('reader', 'ready');
  deviceStates.set('printer', 'ready');
  web = await startWebCounter({
    // The device strip's states come from the model the drivers feed; receipts go to the page here.
    devices: { deviceStates, printReceipt: () => {} },
    uploader: async (counter, world) => {
      clearing = await startClearingService(DevPki.open(world.pkiDir));
      return new BatchUploader({
        engine: counter.engine,
        baseUrl: clearing.url,
        servicePublicKey: clearing.signer.publicKey,
      });
    },
  });
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(web.app.url);
  await page.locator('body[data-ready]').waitFor();
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await clearing?.close();
});

describe('a day at the counter in chromium', () => {
  it('opens on the sale screen with live state and the demo reader', async () => {
    await expect.poll(() => page.textContent('#live-reader')).toBe('connected');
    expect(await page.textContent('#demo-h')).toContain('DEMO READER');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sale-search');
    await shot('01-home');
    await checkAccessibility('the sale screen');
  });

  it('shows the devices, and a printer out of paper in plain words', async () => {
    await expect.poll(() => page.textContent('[data-device="printer"]')).toBe('Printer: ready');
    deviceStates.set('printer', 'paper-out');
    await page.locator('[data-device="printer"]', { hasText: 'Printer: out of paper' }).waitFor();
    expect(await page.textContent('[data-device="pinpad"]')).toBe('PIN pad: not set up');
    deviceStates.set('printer', 'ready');
    await page.locator('[data-device="printer"]', { hasText: 'Printer: ready' }).waitFor();
  });

  it('sells a service without the mouse and shows a receipt whose QR holds the receipt code', async () => {
    await saleByService('501', 'BILL-001');
    await expect.poll(() => page.textContent('#flow-h')).toBe('Ask the customer to tap the card.');
    await tap(AMINA);
    const r = await approvedReceipt('sale');
    expect(r.amountCents).toBe(5_000);
    expect(await page.textContent('#result-text')).toContain('50.00');
    expect(await page.textContent('article.receipt')).toContain('Birth certificate copy');
    await shot('02-approved-receipt');
    await page.locator('#receipt-panel').screenshot({ path: join(SHOTS, 'readme-receipt.png') });
    await checkAccessibility('an approval with its receipt');
    await removeCard();
    await nextCustomer();
  });

  it('asks the cardholder for the PIN above the limit: a wrong PIN, then the right one', async () => {
    await saleByAmount('1500.00', 'INV-0002');
    await tap(CHEBET);
    await page.locator('#pin:not([hidden])').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pin-input');
    expect(await page.textContent('#pin-amount')).toContain('1,500.00');
    await shot('03-pin');
    await checkAccessibility('the PIN prompt');
    await page.keyboard.type('9731');
    await page.keyboard.press('Enter');
    await page.locator('#pin-wrong:not([hidden])').waitFor();
    expect(await page.textContent('#pin-tries')).toContain('2');
    // The PIN is never echoed: not in the live state, not in the page.
    expect(JSON.stringify(web.session.snapshot())).not.toContain('9731');
    expect(await page.inputValue('#pin-input')).toBe('');
    await page.keyboard.type(web.world.cards[CHEBET]!.pin);
    await page.keyboard.press('Enter');
    const r = await approvedReceipt('sale');
    expect(r.amountCents).toBe(150_000);
    await removeCard();
    await nextCustomer();
  });

  it('declines with the reason in plain words and the next step', async () => {
    await saleByService('201', 'BILL-003');
    await tap(BARAKA);
    await page.locator('#result.declined:not([hidden])').waitFor();
    expect(await page.textContent('#result-text')).toContain('Insufficient balance');
    await shot('04-declined');
    await checkAccessibility('a decline');
    await removeCard();
    await nextCustomer();
  });

  it('lets the cashier stop waiting for a card with Esc: nothing is charged, nothing blocks', async () => {
    const records = web.counter.engine.status().logRecords;
    await saleByService('301', 'BILL-ESC');
    await page.locator('#flow:not([hidden])').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#flow').waitFor({ state: 'hidden' });
    expect(web.session.snapshot().phase).toBe('idle');
    expect(web.counter.engine.status().logRecords).toBe(records);
  });

  it('keeps a card pulled mid-payment on screen until the same card is tapped again', async () => {
    await page.click('#demo-pull');
    await saleByAmount('250.00', 'BILL-004');
    await tap(AMINA);
    await page.locator('#result.declined:not([hidden])').waitFor();
    expect(await page.textContent('#result-text')).toContain('tap the same card again');
    await page.locator('#interrupted:not([hidden])').waitFor();
    expect(await page.textContent('#interrupted-list')).toContain('250.00');
    await shot('05-interrupted');
    await nextCustomer();
    // Still on screen for the next customer, until resolved.
    expect(await page.isVisible('#interrupted')).toBe(true);
    await page.click('#resolve');
    await tap(AMINA);
    await page.locator('#recovered', { hasText: 'went through' }).waitFor();
    await approvedReceiptOfRecovery();
    await page.locator('#interrupted').waitFor({ state: 'hidden' });
    await removeCard();
    await nextCustomer();
  });

  it('cancels the last sale, showing which one, on the same card', async () => {
    await page.keyboard.press('Alt+2');
    await page.locator('#cancel-which', { hasText: 'BILL-004' }).waitFor();
    expect(await page.textContent('#cancel-which')).toContain('250.00');
    await page.click('#cancel-submit');
    await tap(AMINA);
    const r = await approvedReceipt('cancel');
    expect(r.amountCents).toBe(25_000);
    expect(await page.textContent('article.receipt')).toContain('Refunded');
    await removeCard();
    await nextCustomer();
  });

  it('reloads cash at the Huduma Centre', async () => {
    await page.keyboard.press('Alt+3');
    await page.fill('#reload-amount', '100.00');
    await page.press('#reload-amount', 'Enter');
    await tap(BARAKA);
    const r = await approvedReceipt('reload');
    expect(r.amountCents).toBe(10_000);
    expect(await page.textContent('article.receipt')).toContain('Loaded');
    await removeCard();
    await nextCustomer();
  });

  it('shows the X report and syncs with the clearing service', async () => {
    await page.keyboard.press('Alt+4');
    await page.click('#report-x');
    const x = web.counter.engine.xReport();
    expect(x.netSalesCents).toBe(5_000 + 150_000 + 25_000 - 25_000);
    expect(await page.textContent('[data-net]')).toContain('1,550.00');
    await page.click('#sync-now');
    await page.locator('#sync-message', { hasText: 'Synced' }).waitFor({ timeout: 60_000 });
    await expect.poll(() => page.textContent('#live-unsynced')).toBe('0');
    const status = web.counter.engine.status();
    expect(status.unsyncedRecords).toBe(0);
    expect(clearing.batchRequests).toBeGreaterThan(0);
    await shot('06-reports-synced');
  });

  it('speaks Kiswahili: labels, a decline and the receipt', async () => {
    await page.selectOption('#lang', 'sw');
    expect(await page.getAttribute('html', 'lang')).toBe('sw');
    await page.locator('article.receipt h3', { hasText: 'KUONGEZA SALIO' }).waitFor();
    expect(await page.textContent('article.receipt')).toContain('Kilichoongezwa');
    await shot('07-sw-receipt');
    await page.keyboard.press('Alt+1');
    expect(await page.textContent('#sale-h')).toBe('Mauzo mapya');
    await saleByService('201', 'BILL-005');
    await tap(BARAKA);
    await page.locator('#result.declined:not([hidden])').waitFor();
    expect(await page.textContent('#result-text')).toContain('Salio halitoshi');
    await shot('08-sw-declined');
    await page.locator('header').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'readme-sw-declined.png') });
    await checkAccessibility('the Kiswahili decline');
    await removeCard();
    await nextCustomer();
    // The choice is the cashier's: it survives a reload of the page.
    await page.reload();
    await page.locator('body[data-ready]').waitFor();
    expect(await page.textContent('#sale-h')).toBe('Mauzo mapya');
    await page.selectOption('#lang', 'en');
  });

  it('prints the receipt alone', async () => {
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('#sale-form')).toBe(false);
    await shot('09-print');
    await page.emulateMedia({ media: 'screen' });
  });

  it('closes the shift with a confirmed Z report', async () => {
    await page.keyboard.press('Alt+4');
    await page.click('#report-z');
    await page.locator('#report-confirm', { hasText: 'Press Z again' }).waitFor();
    await page.click('#report-z');
    await page.locator('#report-confirm', { hasText: 'Shift closed' }).waitFor();
  });

  it('agrees with the signed log and with the cards after the day', async () => {
    const engine = web.counter.engine;
    const logged = new Map<number, { kind: string; amountCents: number; cardNumber: string }>();
    for await (const r of engine.records())
      if (r.type === 'sale' || r.type === 'recovered-sale' || r.type === 'cancel' || r.type === 'reload')
        logged.set(r.terminalSeq, { kind: r.type, amountCents: r.amountCents, cardNumber: r.cardNumber });
    expect([...logged.keys()].sort()).toEqual([...shown.keys()].sort());
    for (const [seq, receipt] of shown) {
      expect(logged.get(seq)?.kind).toBe(receipt.kind);
      expect(logged.get(seq)?.amountCents).toBe(receipt.amountCents);
    }
    for (const [i, info] of web.world.cards.entries()) {
      let expected = info.initialBalanceCents;
      for (const r of logged.values())
        if (r.cardNumber === info.cardNumber)
          expected += r.kind === 'cancel' || r.kind === 'reload' ? r.amountCents : -r.amountCents;
      const card = web.counter.reader.cards[i]!.card;
      expect(card.state.balance, info.label).toBe(expected);
      const inPage = await page.evaluate(
        (cents) =>
          new Intl.NumberFormat('en-KE', {
            style: 'currency',
            currency: 'KES',
            minimumFractionDigits: 2,
          }).format(cents / 100),
        expected,
      );
      expect(await page.textContent(`[data-demo-card="${i}"]`)).toContain(inPage);
    }
  });
});

async function approvedReceiptOfRecovery(): Promise<void> {
  const receipt = page.locator('article.receipt[data-kind="recovered-sale"]');
  await receipt.waitFor();
  const seq = Number(await receipt.getAttribute('data-seq'));
  const verified = await receiptShownWithCode(receipt, seq);
  expect(verified.amountCents).toBe(25_000);
  shown.set(seq, { kind: 'recovered-sale', ...verified });
}

describe('a partner merchant counter in chromium', () => {
  it('sells by amount only, says "invoice reference" and offers no reload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huduma-partner-'));
    try {
      const pki = DevPki.init(join(dir, 'pki'));
      await initTerminal({
        dir: join(dir, 'terminal'),
        pki,
        terminalId: 'T-0900',
        merchantId: 'PM-KSM1',
        location: { kind: 'partner-merchant', name: 'Kisumu Pharmacy' },
      });
      const engine = await TerminalEngine.open({
        dir: join(dir, 'terminal'),
        reader: pollingCardReader(() => undefined),
        catalog: new ServiceCatalog([]),
      });
      const session = new CounterSession({ engine });
      const app = await startCounterWebApp(session);
      const partner = await browser.context.newPage();
      try {
        await partner.goto(app.url);
        await partner.locator('body[data-ready]').waitFor();
        expect(await partner.textContent('#sale-ref-label')).toBe('Invoice reference');
        expect(await partner.isVisible('#nav-reload')).toBe(false);
        expect(await partner.isVisible('#sale-mode')).toBe(false);
        expect(await partner.isVisible('#sale-amount')).toBe(true);
        const reload = await partner.evaluate(async () => {
          const res = await fetch('/api/reload', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ amount: '100.00' }),
          });
          return { status: res.status, body: (await res.json()) as { error: { code: string } } };
        });
        expect(reload.status).toBe(409);
        expect(reload.body.error.code).toBe('ERR_RELOAD_NOT_HERE');
        await partner.screenshot({ path: join(SHOTS, '10-partner.png'), fullPage: true });
      } finally {
        await partner.close();
        await app.close();
        await session.close();
        await engine.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
