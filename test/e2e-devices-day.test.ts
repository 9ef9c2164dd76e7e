/**
 * A day of sales at one counter on its devices, end to end: the reader is a PN532 over the real
 * `serialport` binding on a socat pty pair (the PN532 simulator at the far end hosts the cards),
 * the receipt printer is ESC/POS on another pty (the printer simulator renders text and PNG), and
 * PINs are typed on the simulated HID pad. The day is drawn from a seed (HUDUMA_SEED; it is in the
 * test name): sales above and below the PIN limit, a wrong PIN then the right one, a cancel, a
 * reload, a card pulled mid-DEBIT and resolved on the next tap, a burst of corrupted frames the link
 * recovers from by asking again, a longer one it cannot (the cashier is told to tap again, and the
 * next tap settles it), the printer out of paper for one sale, the pad unplugged during one PIN
 * entry.
 *
 * Every receipt is read back from the paper (text, and the QR decoded from the PNG) and kept as a
 * PNG under test-results/e2e-devices-day/. In the evening: Z report, upload, and the clearing
 * service's settlement, the cards' balances, the signed log and the X/Z totals all agree.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { INS } from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import { openPtyPair, Pn532Simulator, type PtyPair } from '@huduma/sim-pn532';
import type { PrintedPage } from '@huduma/sim-printer';
import {
  type ApprovedTransaction,
  BatchUploader,
  ClearingClient,
  clearingLoadAuthorizer,
  FILES,
  initTerminal,
  loadTerminalConfig,
  pcscCardReader,
  proofReference,
  TerminalEngine,
  TransactionRefusedError,
} from '@huduma/terminal';
import {
  type CounterDevices,
  noticeText,
  openCounterDevices,
  type PrintReport,
  receiptDataOfRecord,
  shiftReportDocument,
  translate,
} from '@huduma/terminal-app';
import { Pn532Reader } from '@huduma/transport-pn532';
import { cardProofVerifier, type LogRecord, type RecoveredSaleEvent, verifyLog } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClearingHarness, startClearingService } from './support/clearing-harness';
import { planDay } from './support/devices-day-plan';
import {
  checkReceipt,
  type ExpectedReceipt,
  keepPagePng,
  shillingsToCents,
} from './support/printed-receipts';
import { seededRandom, seedFromEnv } from './support/random';
import { type FleetCard, issueFleetCard, tempDir } from './support/terminal-fleet';

const SEED = seedFromEnv(20261130);
const TERMINAL_ID = 'T-DEV1';
const MERCHANT_ID = 'HC-NBI01';
/** A PIN above KES 1,000 at this counter. */
const CVM_LIMIT = 100_000;
const START_BALANCE = 2_000_000;
const RELOAD = 300_000;
const SMALL_FEES = [1_999, 5_000, 10_000, 50_000, 65_000, 95_000] as const;
const PIN_FEES = [105_000, 150_000, 250_000] as const;
/**
 * The pad's state word when it is plugged in: 'connected' from the driver, 'ready' once the
 * counter's device-state model (branch s4-devices) words every device alike.
 */
const PAD_PLUGGED_IN = expect.stringMatching(/^(connected|ready)$/);
const ARTIFACTS = join(import.meta.dirname, '../test-results/e2e-devices-day');

const pki = DevPki.inMemory();
const root = tempDir('huduma-devices-day-');
const dir = join(root, TERMINAL_ID);
let svc: ClearingHarness;
let pty: PtyPair;
let sim: Pn532Simulator;
let reader: Pn532Reader;
let devices: CounterDevices;
let engine: TerminalEngine;
const printReports: PrintReport[] = [];
const noPinMessages: string[] = [];

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true }); // this run's receipts only
  svc = await startClearingService(pki);
  pty = await openPtyPair();
  sim = await Pn532Simulator.open(pty.device, { seed: SEED });
  reader = await Pn532Reader.open(pty.host, { pollMs: 20 });
  devices = await openCounterDevices(
    { printer: 'escpos:sim', pinpad: 'hid:sim' },
    { onPrintReport: (r) => printReports.push(r), onNoPin: (m) => noPinMessages.push(m) },
  );
  await initTerminal({
    dir,
    pki,
    terminalId: TERMINAL_ID,
    merchantId: MERCHANT_ID,
    location: { kind: 'huduma-centre', name: 'Nairobi GPO' },
    limits: { cvmLimitCents: CVM_LIMIT, maxUnsyncedRecords: 9_999 },
  });
  const config = await loadTerminalConfig(dir);
  engine = await TerminalEngine.open({
    dir,
    reader: pcscCardReader(reader, reader.name),
    pinPad: devices.pinPad!,
    // Cash reloads are authorized online by the clearing service's load authority.
    loadAuthorizer: clearingLoadAuthorizer(
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
});
afterAll(async () => {
  await engine?.close();
  await devices?.close();
  await reader?.close();
  await sim?.close();
  await pty?.close();
  await svc?.close();
  rmSync(root, { recursive: true, force: true });
});

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The customer taps `card`: whatever card was in the field leaves first, and the reader sees it come. */
async function tap(card: FleetCard): Promise<void> {
  sim.remove();
  await until('the reader to see the field empty', () => !reader.state()?.cardPresent);
  sim.insert(card.card);
  await reader.waitForCard(undefined, { timeoutMs: 5000 });
}

function nextPage(): Promise<PrintedPage> {
  return new Promise((resolve) => devices.simulated.printer!.once('page', resolve));
}

const expectedOf = (tx: ApprovedTransaction): ExpectedReceipt => ({ ...tx, kind: tx.operation });

/** Prints the receipt of `tx` and reads it back from the paper. */
async function printAndRead(tx: ApprovedTransaction, name: string) {
  const page = nextPage();
  devices.printReceipt(tx, engine.config);
  return checkPage(await page, expectedOf(tx), name);
}

/** Reads a page back, checks it against `tx`, and keeps its PNG under ARTIFACTS as `name`. */
function checkPage(page: PrintedPage, tx: ExpectedReceipt, name: string) {
  const png = page.png(); // rendered once: kept, and read back for its QR code
  keepPagePng(ARTIFACTS, name, png);
  const counter = { merchantId: MERCHANT_ID, terminalId: TERMINAL_ID };
  return checkReceipt({ text: page.text, png: () => png }, tx, counter, name);
}

/** Prints the receipt of a sale the re-tap completed, from its record in the log. */
async function printRecoveredSale(terminalSeq: number, name: string): Promise<void> {
  let logged: RecoveredSaleEvent | undefined;
  for await (const r of engine.records())
    if (r.type === 'recovered-sale' && r.terminalSeq === terminalSeq) logged = r;
  expect(logged, `recovered sale #${terminalSeq} in the log`).toBeDefined();
  const data = receiptDataOfRecord(logged!, engine.config, (code) => engine.catalog.nameOf(code));
  const page = nextPage();
  devices.printing!.printReceipt(data);
  checkPage(await page, { ...data, proofRef: proofReference(data.cardProof) }, name);
}

/** The machine-readable codes down an error's cause chain. */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) codes.push(String((e as { code?: unknown }).code));
  return codes;
}

async function loggedRecords(): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of engine.records()) out.push(r);
  return out;
}

describe('a day of sales on the PN532, the receipt printer and the PIN pad', () => {
  it(`sells, prints, takes PINs through faults, and settles to the cent (seed ${SEED})`, async () => {
    const started = Date.now();
    const random = seededRandom(SEED);
    const uploader = new BatchUploader({
      engine,
      baseUrl: svc.url,
      servicePublicKey: svc.signer.publicKey,
      retryHooks: { sleep: async () => {} },
    });
    expect((await uploader.syncNow()).errors).toEqual([]);
    const pad = devices.simulated.pad!;
    const printer = devices.simulated.printer!;
    expect(await devices.states()).toMatchObject({ printer: 'ready', pinpad: PAD_PLUGGED_IN });

    const cardCount = 3 + Math.floor(random() * 3);
    const cards: FleetCard[] = [];
    for (let i = 0; i < cardCount; i++)
      cards.push(await issueFleetCard(pki, join(root, 'cards'), `card${i}`, { balance: START_BALANCE }));
    const plan = planDay(random, cards, { small: SMALL_FEES, pin: PIN_FEES });

    // What the day should come to, kept as the test goes.
    const expected = new Map(cards.map((c) => [c.cardNumber, START_BALANCE]));
    const charge = (card: FleetCard, cents: number) =>
      expected.set(card.cardNumber, expected.get(card.cardNumber)! + cents);
    let approvedCents = 0;
    let approvedCount = 0;
    let recoveredCents = 0;
    let cancelledCents = 0;
    let reloadCents = 0;
    let printed = 0;
    let interrupted: { card: FleetCard; amountCents: number; charged: boolean } | undefined;
    let interruptions = 0;

    for (const [i, s] of plan.entries()) {
      const name = `sale-${String(i + 1).padStart(2, '0')}`;
      await tap(s.card);
      if (s.special === 'reload') {
        const loaded = await engine.reload({ amountCents: RELOAD });
        charge(s.card, RELOAD);
        reloadCents += RELOAD;
        expect(loaded.balanceAfterCents).toBe(expected.get(s.card.cardNumber));
        await printAndRead(loaded, `${name}-reload`);
        printed++;
      }
      let attempts = 0;
      pad.onPinEntry = (p) => {
        attempts++;
        if (s.special === 'unplug') p.unplug();
        else if (s.special === 'wrong-pin' && attempts === 1)
          p.enterPin(s.card.pin === '0000' ? '1111' : '0000');
        else p.enterPin(s.card.pin);
      };
      const billRef = `DAY-${i + 1}`;

      if (s.special === 'pulled') {
        const afterCardProcessed = random() < 0.5;
        const pulled = sim.removeCardDuringNextApdu({ afterCardProcessed, when: (a) => a[1] === INS.DEBIT });
        const refusal = await engine.sale({ amount: s.amountCents, billRef }).catch((e: unknown) => e);
        await pulled;
        expect(refusal).toBeInstanceOf(TransactionRefusedError);
        expect((refusal as TransactionRefusedError).reason).toBe('outcome-unknown');
        expect(engine.status().unresolved).toHaveLength(1);
        interrupted = { card: s.card, amountCents: s.amountCents, charged: afterCardProcessed };
        interruptions++;
        continue;
      }
      if (s.special === 'garbled') {
        // More garbled answers to the DEBIT than the link asks again for: the card ran it, the
        // answer is lost. The cashier is told to tap the same card again; nothing is lost.
        const balanceBefore = s.card.card.state.balance;
        sim.corruptAnswersToNextApdu({ times: 4, when: (a) => a[1] === INS.DEBIT });
        const refusal = await engine.sale({ amount: s.amountCents, billRef }).catch((e: unknown) => e);
        sim.clearFaults();
        expect(refusal).toBeInstanceOf(TransactionRefusedError);
        const refused = refusal as TransactionRefusedError;
        expect([refused.reason, refused.code]).toEqual(['outcome-unknown', 'ERR_REFUSED_OUTCOME_UNKNOWN']);
        expect(causeCodes(refused), 'the line fault under the refusal').toContain('ERR_PN532_BAD_FRAME');
        // What the cashier reads, in both languages: tap the same card again, never charged twice.
        expect(translate(refused.reason, refused.params, 'en')).toMatch(
          /tap the same card again to finish \(it will never be charged twice\)/,
        );
        expect(translate(refused.reason, refused.params, 'sw')).toMatch(/gusa kadi hiyo hiyo tena/);
        expect(s.card.card.state.balance, 'the card obeyed the DEBIT').toBe(balanceBefore - s.amountCents);
        expect(engine.status().unresolved).toHaveLength(1);
        interrupted = { card: s.card, amountCents: s.amountCents, charged: true };
        interruptions++;
        continue;
      }
      if (s.special === 'unplug') {
        const balanceBefore = s.card.card.state.balance;
        const recordsBefore = engine.status().logRecords;
        const refusal = await engine.sale({ amount: s.amountCents, billRef }).catch((e: unknown) => e);
        expect(refusal).toBeInstanceOf(TransactionRefusedError);
        expect((refusal as TransactionRefusedError).reason).toBe('pin-cancelled');
        expect(noPinMessages.at(-1)).toMatch(/PIN pad was disconnected during PIN entry: no payment taken/);
        expect(s.card.card.state.balance, 'nothing charged').toBe(balanceBefore);
        expect(engine.status().logRecords, 'nothing logged').toBe(recordsBefore);
        expect((await devices.states()).pinpad).toBe('absent');
        // Still unplugged: the next PIN sale is refused at once, saying so; nothing charged.
        const again = await engine.sale({ amount: s.amountCents, billRef }).catch((e: unknown) => e);
        expect(again).toMatchObject({ reason: 'pin-cancelled' });
        expect(noPinMessages.at(-1)).toMatch(/No PIN pad is connected: no payment taken/);
        expect(s.card.card.state.balance, 'nothing charged').toBe(balanceBefore);
        expect(engine.status().logRecords, 'nothing logged').toBe(recordsBefore);
        pad.plugIn();
        expect((await devices.states()).pinpad).toEqual(PAD_PLUGGED_IN);
        continue;
      }

      const line = { frames: sim.stats.framesCorrupted, nacks: reader.lineStats.nacksSent };
      // A burst of garbled frames inside the sale, as many as the link asks again for: resent.
      if (s.special === 'corrupt')
        sim.corruptAnswersToNextApdu({ times: 3, when: (a) => a[1] === INS.DEBIT });
      const sale = await engine.sale({ amount: s.amountCents, billRef });
      expect(sale.status).toBe('approved');
      approvedCents += s.amountCents;
      approvedCount++;
      charge(s.card, -s.amountCents);
      const needsPin = s.amountCents > CVM_LIMIT;
      expect(attempts, `${name}: PIN entries`).toBe(needsPin ? (s.special === 'wrong-pin' ? 2 : 1) : 0);
      expect(sim.stats.framesCorrupted - line.frames).toBe(s.special === 'corrupt' ? 3 : 0);
      if (s.special === 'corrupt') expect(reader.lineStats.nacksSent - line.nacks).toBeGreaterThanOrEqual(3);
      if (interrupted?.card === s.card) {
        // The re-tap: the interrupted sale is settled once, in this tap.
        expect(sale.recovered).toHaveLength(1);
        expect(sale.recovered[0]!.outcome).toBe(interrupted.charged ? 'completed' : 'not-charged');
        expect(noticeText(sale.recovered[0]!, 'en')).toMatch(
          interrupted.charged ? /went through/ : /did NOT go through; the card was not charged/,
        );
        if (interrupted.charged) {
          charge(s.card, -interrupted.amountCents);
          recoveredCents += interrupted.amountCents;
          // The customer gets the paper receipt of the sale that went through after all.
          await printRecoveredSale(sale.recovered[0]!.terminalSeq, `${name}-recovered`);
          printed++;
        }
        expect(engine.status().unresolved).toEqual([]);
        interrupted = undefined;
      } else expect(sale.recovered).toEqual([]);
      expect(s.card.card.state.balance, `${name}: charged once`).toBe(expected.get(s.card.cardNumber));

      if (s.special === 'paper-out') {
        printer.faults.paperOut = true;
        const pagesBefore = printer.pages.length;
        devices.printReceipt(sale, engine.config);
        await devices.printing!.settled();
        expect(printReports.at(-1)).toMatchObject({
          ok: false,
          what: `receipt #${sale.terminalSeq}`,
          reason: 'paper-out',
          message: expect.stringMatching(/out of paper/i),
        });
        expect(printer.pages.length).toBe(pagesBefore);
        expect((await devices.states()).printer).toBe('paper-out');
        printer.faults.paperOut = false;
        const page = nextPage();
        expect(devices.printing!.reprint(sale.terminalSeq)).toBe(true);
        const read = checkPage(await page, expectedOf(sale), `${name}-reprint`);
        expect(read.reprint).toBe(true);
      } else {
        await printAndRead(sale, name);
      }
      printed++;

      if (s.special === 'cancel') {
        const cancelled = await engine.cancelLast();
        expect(cancelled.amountCents).toBe(s.amountCents);
        charge(s.card, s.amountCents);
        cancelledCents += s.amountCents;
        expect(s.card.card.state.balance).toBe(expected.get(s.card.cardNumber));
        await printAndRead(cancelled, `${name}-cancel`);
        printed++;
      }
    }
    sim.remove();
    expect(interrupted, 'the interrupted card came back').toBeUndefined();
    expect(interruptions).toBe(2);
    await devices.printing!.settled();
    expect(printReports.filter((r) => r.ok).length).toBe(printed);
    expect(printReports.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(['paper-out']);
    expect(printer.unknownCommands).toEqual([]);

    // Cards: start + reloads − sales (+ the cancel's refund), as the cards themselves hold it.
    for (const card of cards) expect(card.card.state.balance, card.label).toBe(expected.get(card.cardNumber));

    // The shift: X then Z agree with the day, and with each other.
    const net = approvedCents + recoveredCents - cancelledCents;
    const x = engine.xReport();
    expect({
      approved: x.approved,
      recovered: x.recovered.amountCents,
      cancelled: x.cancelled,
      reloads: x.reloads,
      interrupted: x.interrupted.count,
      net: x.netSalesCents,
      unresolved: x.unresolvedPending,
    }).toEqual({
      approved: { count: approvedCount, amountCents: approvedCents },
      recovered: recoveredCents,
      cancelled: { count: 1, amountCents: cancelledCents },
      reloads: { count: 1, amountCents: reloadCents },
      interrupted: 2,
      net,
      unresolved: 0,
    });
    expect(x.declined.byReason['pin-cancelled']?.count).toBe(2);
    const z = await engine.zReport();
    expect({ ...z, kind: 'X', at: x.at }).toEqual(x);
    for (const report of [x, z]) {
      const page = nextPage();
      devices.printing!.printDocument(shiftReportDocument(report, TERMINAL_ID), `${report.kind} report`);
      const { text, png } = await page;
      keepPagePng(ARTIFACTS, `${report.kind.toLowerCase()}-report`, png());
      expect(text).toContain(`${report.kind} REPORT`);
      const netLine = /^\s*NET SALES\s+(Ksh \S+)\s*$/m.exec(text);
      expect(netLine && shillingsToCents(netLine[1]!), `${report.kind} report on paper`).toBe(net);
    }

    // The signed log verifies: chain, checkpoint signatures, every card proof.
    const log = await verifyLog(join(dir, FILES.log), {
      terminalPublicKey: engine.config.certificate.keyAgreementKey,
      verifyCardProof: cardProofVerifier({ issuerCaPublicKeys: [pki.issuerCaPublicKey] }),
    });
    expect(log.firstError).toBeUndefined();
    expect(log.ok).toBe(true);
    expect([log.checkpointSignatures, log.cardProofs]).toEqual(['verified', 'verified']);
    expect(log.totals).toMatchObject({ reloadCents, netSalesCents: net, cancelCents: cancelledCents });
    expect(log.unresolvedPendingDebits).toEqual([]);
    const sales = (await loggedRecords()).filter((r) => r.type === 'sale' || r.type === 'recovered-sale');
    const seqs = sales.map((r) => (r as { terminalSeq: number }).terminalSeq);
    expect(new Set(seqs).size, 'no sale logged twice').toBe(seqs.length);

    // Evening upload; the service's settlement equals the day to the cent.
    await uploader.upload();
    expect(engine.status().unsyncedRecords).toBe(0);
    const dates = await svc.db.query<{ business_date: string }>(
      'SELECT DISTINCT business_date FROM accepted_records WHERE terminal_id = $1',
      [TERMINAL_ID],
    );
    let settled = { grossDebitsCents: 0, cancelsCents: 0, netCents: 0, cancelCount: 0 };
    for (const { business_date } of dates) {
      const report = await svc.operator('GET', `/v1/admin/settlement?date=${business_date}`);
      expect(report.status).toBe(200);
      for (const m of report.json.merchants) {
        expect(m.merchantId).toBe(MERCHANT_ID);
        settled = {
          grossDebitsCents: settled.grossDebitsCents + m.grossDebitsCents,
          cancelsCents: settled.cancelsCents + m.cancelsCents,
          netCents: settled.netCents + m.netCents,
          cancelCount: settled.cancelCount + m.cancelCount,
        };
      }
    }
    expect(settled).toEqual({
      grossDebitsCents: approvedCents + recoveredCents,
      cancelsCents: cancelledCents,
      netCents: net,
      cancelCount: 1,
    });
    expect(settled.netCents).toBe(z.netSalesCents);
    console.log(
      `devices day (seed ${SEED}): ${plan.length} taps on ${cardCount} cards, ${approvedCount} sales, ${printed} receipts, net KES ${(net / 100).toFixed(2)}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
