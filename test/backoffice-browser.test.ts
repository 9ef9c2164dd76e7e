/**
 * The back office in a real browser (Debian's chromium through playwright-core): after a day of
 * uploads in which a cloned card was spent, the operator triages the clone alert and denies the
 * card from the console, and the terminal's next sync delivers the deny list; a merchant
 * downloads a statement that reconciles to the cent with the signed records; a receipt from the
 * terminal (its code read off the printed receipt's QR) is verified on the public page, and a
 * tampered or malformed one is refused. Every page passes an
 * axe-core check; screenshots are kept under .tmp/backoffice/ as artifacts.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { encodeReceiptCode, parseReceiptCode } from '@huduma/clearing-protocol';
import { createAccount, upsertMerchant } from '@huduma/clearing-service';
import { DevPki } from '@huduma/pki';
import { encodeDocument } from '@huduma/printer-escpos';
import { PrinterSimulator } from '@huduma/sim-printer';
import {
  BatchUploader,
  ClearingClient,
  clearingLoadAuthorizer,
  TransactionRefusedError,
} from '@huduma/terminal';
import { receiptDataOf, receiptDocument } from '@huduma/terminal-app';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClearingHarness, startClearingService } from './support/clearing-harness';
import { qrTextOfPng } from './support/printed-qr';
import {
  cloneCard,
  type FleetCard,
  type FleetTerminal,
  issueFleetCard,
  openFleetTerminal,
  tempDir,
} from './support/terminal-fleet';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '.tmp', 'backoffice');
const PASSWORD = 'browser test password';
const pki = DevPki.inMemory();
const root = tempDir('huduma-backoffice-');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let svc: ClearingHarness;
let browser: Browser;
let hc1: FleetTerminal;
let pm1: FleetTerminal;
const uploaders = new Map<string, BatchUploader>();
let victim: FleetCard;
/** The first sale and the code its printed receipt's QR holds. */
let receipt: { terminalSeq: number; proofRef: string; code: string };

async function sale(t: FleetTerminal, card: FleetCard, amountCents: number) {
  t.tap(card);
  try {
    return await t.engine.sale({
      amount: amountCents,
      billRef: `B${t.terminalId}-${card.label}`.slice(0, 16),
    });
  } finally {
    t.remove();
  }
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected into the page above, and this runs in the page
    const g = globalThis as any;
    const r = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return r.violations.map((v: { id: string; nodes: unknown[] }) => `${v.id} (${v.nodes.length})`);
  });
  return result as string[];
}

async function signIn(page: Page, path: string, username: string) {
  await page.goto(`${svc.url}${path}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('main[data-ready=true]');
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium is missing at ${CHROMIUM}: run scripts/setup (it installs the Debian chromium package)`,
    );
  }
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  svc = await startClearingService(pki);
  const open = (terminalId: string, merchantId: string, kind: 'huduma-centre' | 'partner-merchant') =>
    openFleetTerminal({
      pki,
      dir: join(root, terminalId),
      terminalId,
      merchantId,
      location: { kind, name: terminalId },
      loadAuthorizer: (config) =>
        clearingLoadAuthorizer(
          new ClearingClient({
            baseUrl: svc.url,
            terminal: {
              terminalId: config.terminalId,
              certificateBytes: config.certificateBytes,
              privateKey: config.privateKey,
              publicKey: config.certificate.keyAgreementKey,
            },
          }),
        ),
    });
  hc1 = await open('T-HC1', 'HC-NBI01', 'huduma-centre');
  pm1 = await open('T-PM1', 'PM-MAMA1', 'partner-merchant');
  for (const t of [hc1, pm1]) {
    const u = new BatchUploader({
      engine: t.engine,
      baseUrl: svc.url,
      servicePublicKey: svc.signer.publicKey,
      retryHooks: { sleep: async () => {} },
    });
    uploaders.set(t.terminalId, u);
    expect((await u.syncNow()).errors).toEqual([]);
  }
  // A day: three cards loaded with cash at the Centre, sales at both merchants.
  const cards: FleetCard[] = [];
  for (let i = 0; i < 3; i++) {
    const card = await issueFleetCard(pki, join(root, 'cards'), `card${i}`);
    hc1.tap(card);
    await hc1.engine.reload({ amountCents: 500_000 });
    hc1.remove();
    cards.push(card);
  }
  const first = await sale(hc1, cards[0]!, 65_000);
  // Its receipt as the counter prints it (ESC/POS to the printer simulator), the QR read off the PNG.
  const printer = new PrinterSimulator();
  printer.receive(encodeDocument(receiptDocument(receiptDataOf(first, hc1.engine.config))));
  const code = qrTextOfPng(printer.pages[0]!.png());
  if (code === undefined) throw new Error('no QR code readable on the printed receipt');
  receipt = { terminalSeq: first.terminalSeq, proofRef: first.proofRef, code };
  await sale(hc1, cards[1]!, 5_050);
  await sale(pm1, cards[2]!, 1_999);
  // The clone: the card file copied before a sale at the Centre, the copy spent at the partner.
  victim = cards[1]!;
  const copy = cloneCard(victim, 'card1-copy');
  await sale(hc1, victim, 10_000);
  await sale(pm1, copy, 77_700);
  for (const t of [hc1, pm1]) await uploaders.get(t.terminalId)!.upload();
  for (const [username, role, merchantId] of [
    ['ops.jane', 'operator', undefined],
    ['shop.hc', 'merchant', 'HC-NBI01'],
  ] as const) {
    if (merchantId) await upsertMerchant(svc.db, merchantId, 'Huduma Centre Nairobi');
    await createAccount(svc.db, {
      username,
      role,
      ...(merchantId ? { merchantId } : {}),
      password: PASSWORD,
    });
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  rmSync(root, { recursive: true, force: true });
});

async function newPage() {
  // bypassCSP only so that axe-core can be injected; the pages themselves run under their CSP.
  const context = await browser.newContext({ bypassCSP: true, acceptDownloads: true, locale: 'en-KE' });
  return context.newPage();
}

describe('the back office in chromium', () => {
  it('the operator triages the clone, denies the card, and the next sync delivers the deny list', async () => {
    const page = await newPage();
    await signIn(page, '/console', 'ops.jane');
    const alert = page.locator('button[data-alert]', { hasText: 'card-clone' });
    await expect(alert.count()).resolves.toBe(1);
    await alert.click();
    await page.waitForSelector('#alert-detail table');
    const detail = await page.locator('#alert-detail').textContent();
    expect(detail).toContain('T-PM1'); // where the copy was spent
    expect(detail).toContain('T-HC1'); // the card's pseudonymous history: its loads and sales
    expect(await page.locator('body').textContent()).not.toContain(victim.cardNumber); // masked everywhere
    await page.selectOption('#triage-status', 'resolved');
    await page.fill('#triage-note', 'clone spent at T-PM1: card denied');
    await page.click('form[aria-label=Triage] button[type=submit]');
    await page.waitForSelector('text=Triage saved.');
    await page.click('#deny-card');
    await page.waitForSelector('text=Card denied');
    await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    const trail = await svc.db.query<{ action: string; actor: string }>(
      'SELECT action, actor FROM audit_trail ORDER BY entry_id',
    );
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['alert-triage', 'deny-list-add']));
    expect(trail.every((e) => e.actor === 'operator:ops.jane' || e.actor.startsWith('cli:'))).toBe(true);

    const deny = await uploaders.get('T-HC1')!.refreshDenyList();
    expect(deny.added).toBeGreaterThanOrEqual(1);
    expect(hc1.engine.denyList.has(victim.cardNumber)).toBe(true);
    const blocked = await sale(hc1, victim, 5_000).catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(TransactionRefusedError);

    // The signed fetch told the service which version T-HC1 holds; T-PM1 still holds the older one.
    await page.reload();
    await page.waitForSelector('main[data-ready=true]');
    expect(await page.locator('#deny-held').textContent()).toBe(
      `1 of 2 terminals hold version ${deny.toVersion}.`,
    );
    expect(await page.locator('#deny-behind-table tbody').textContent()).toContain('T-PM1');
    const fleetRow = (id: string) => page.locator('#fleet-table tbody tr', { hasText: id }).textContent();
    expect(await fleetRow('T-HC1')).toContain(`v${deny.toVersion} (current)`);
    expect(await fleetRow('T-PM1')).toMatch(/v\d+ \/ behind by [1-9]/);
  });

  it('a merchant downloads a statement that reconciles to the cent with the signed records', async () => {
    const page = await newPage();
    await signIn(page, '/merchant', 'shop.hc');
    const shown = await page.locator('#statement-total').textContent();
    // The default range: the last 7 Nairobi days, shown and in the date fields.
    const [from, to] = [await page.inputValue('#from'), await page.inputValue('#to')];
    expect((Date.parse(to) - Date.parse(from)) / 86_400_000).toBe(6);
    expect(await page.locator('#statement-range').textContent()).toContain(`${from} to ${to}`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('text=Download statement.csv'),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const net = csv.trim().split('\r\n').at(-1)!.split(',').at(-1)!;
    const signed = await svc.db.query<{ net: number }>(
      `SELECT coalesce(sum(CASE record_type WHEN 'debit' THEN amount_cents ELSE -amount_cents END), 0)::bigint AS net
       FROM accepted_records WHERE merchant_id = 'HC-NBI01' AND record_type IN ('debit', 'cancel')`,
    );
    expect(net).toBe(`${Math.floor(signed[0]!.net / 100)}.${String(signed[0]!.net % 100).padStart(2, '0')}`);
    expect(signed[0]!.net).toBe(65_000 + 5_050 + 10_000);
    expect(shown).toContain('800.50'); // KES 650.00 + 50.50 + 100.00, in en-KE
    expect(await page.locator('body').textContent()).not.toContain('T-PM1');
    await page.screenshot({ path: join(ARTIFACTS, 'merchant.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
  });

  it('a receipt from the terminal is verified on the public page, and a tampered one refused', async () => {
    // The printed QR holds the one receipt code: this terminal, this sale, its proof reference.
    const fields = parseReceiptCode(receipt.code);
    expect(fields).toEqual({
      terminalId: 'T-HC1',
      terminalSeq: receipt.terminalSeq,
      proofRef: receipt.proofRef,
    });
    const page = await newPage();
    await page.goto(`${svc.url}/receipt-check`);
    await page.waitForSelector('main[data-ready=true]');
    await page.fill('#payload', receipt.code);
    await page.click('button[type=submit]');
    await page.waitForSelector('#verdict');
    expect(await page.locator('#verdict').textContent()).toMatch(/^Verified/);
    expect(await page.locator('main').textContent()).toContain('650.00');
    await page.screenshot({ path: join(ARTIFACTS, 'receipt-verified.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // A receipt whose proof reference was altered (one digit) is refused.
    const d = receipt.proofRef[0] === '0' ? '1' : '0';
    await page.fill(
      '#payload',
      encodeReceiptCode({ ...fields, proofRef: `${d}${receipt.proofRef.slice(1)}` }),
    );
    await page.click('button[type=submit]');
    await page.waitForSelector('#verdict.refused');
    expect(await page.locator('#verdict').textContent()).toMatch(/^Not verified/);
    // A malformed code and one in the dropped HUDUMA-RECEIPT:1 form are refused, naming what is wrong.
    for (const [text, field] of [
      [`HPR1:T-HC1:${receipt.terminalSeq}:12345`, 'proofRef'],
      [`HUDUMA-RECEIPT:1:T-HC1:${receipt.terminalSeq}:${receipt.proofRef}`, 'prefix'],
    ] as const) {
      await page.fill('#payload', text);
      await page.click('button[type=submit]');
      await page.waitForSelector(`#verdict[data-field=${field}]`);
    }
    // An answer tampered in transit (the signed checkpoint's root) is refused by the browser's check.
    await page.route('**/v1/receipt-check?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.checkpoint.rootHash = `${body.checkpoint.rootHash[0] === '0' ? '1' : '0'}${body.checkpoint.rootHash.slice(1)}`;
      await route.fulfill({ response: res, json: body });
    });
    await page.fill('#payload', receipt.code);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Not verified (checkpoint)');
    await page.screenshot({ path: join(ARTIFACTS, 'receipt-refused.png'), fullPage: true });
  });
});
