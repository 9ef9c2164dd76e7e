/**
 * The PN532 serial path end to end: the real `serialport` binding on a socat pty pair, the PN532
 * simulator at the device end hosting the reference card simulator.
 *
 * - The v2 conformance suite passes through it, fresh cards fed into the simulated field.
 * - The card pulled mid-DEBIT (before, and after the card processed it) is resolved exactly once
 *   by the terminal engine, as test/pcsc-e2e-removal shows over PC/SC: the sale is refused as
 *   outcome-unknown, the next tap tells what happened, the card and the log agree.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INS } from '@huduma/card-applet-spec';
import {
  blankSimulatedCard,
  CONFORMANCE_PROFILE,
  type ConformanceTarget,
  conformanceSimulatedCard,
  formatResults,
  runConformance,
  simulatorTarget,
} from '@huduma/card-conformance';
import { issueTestCard, type SimulatedCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { openPtyPair, Pn532Simulator, type PtyPair } from '@huduma/sim-pn532';
import {
  devLoadAuthorizer,
  initTerminal,
  pcscCardReader,
  TerminalEngine,
  TransactionRefusedError,
} from '@huduma/terminal';
import { Pn532Reader } from '@huduma/transport-pn532';
import type { LogRecord } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let pty: PtyPair;
let sim: Pn532Simulator;
let reader: Pn532Reader;

beforeAll(async () => {
  pty = await openPtyPair();
  sim = await Pn532Simulator.open(pty.device);
  reader = await Pn532Reader.open(pty.host, { pollMs: 20 });
});

afterAll(async () => {
  await reader?.close();
  await sim?.close();
  await pty?.close();
});

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Takes any card out, waits until the reader saw it go, puts `card` in and waits until it is seen. */
async function feed(card: SimulatedCard): Promise<void> {
  sim.remove();
  await until('the reader to see the field empty', () => !reader.state()?.cardPresent);
  sim.insert(card);
  await reader.waitForCard(undefined, { timeoutMs: 5000 });
}

describe('v2 conformance through the PN532 serial path', () => {
  it('passes every check the in-process simulator passes, tear checks aside', async () => {
    const pki = DevPki.inMemory();
    const target: ConformanceTarget = {
      name: `PN532 ${pty.host} (fresh simulated cards fed in)`,
      keys: pki,
      pin: CONFORMANCE_PROFILE.pin,
      puk: CONFORMANCE_PROFILE.puk,
      hasIdentity: true,
      freshCards: true,
      async openCard() {
        await feed((await conformanceSimulatedCard(pki)).card);
        return reader.connect();
      },
      async openBlankCard() {
        await feed(blankSimulatedCard(pki));
        return reader.connect();
      },
    };
    const seed = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);
    const results = await runConformance(target, { seed });
    const failed = results.filter((r) => r.status === 'failed');
    expect(failed, `seed ${seed}; failing checks:\n${formatResults(failed)}`).toEqual([]);
    const inProcess = await runConformance(await simulatorTarget(), { seed });
    expect(results.map((r) => r.id)).toEqual(inProcess.map((r) => r.id));
    const notRun = results.filter((r) => r.status === 'not run').map((r) => r.id);
    expect(
      notRun.every(
        (id) => id.startsWith('tear.') || inProcess.find((r) => r.id === id)?.status === 'not run',
      ),
    ).toBe(true);
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(110);
  }, 600_000);
});

describe('terminal engine over the PN532: a card pulled mid-DEBIT is resolved exactly once', () => {
  const TERMINAL_ID = 'T-PN532';
  const AMOUNT = 5_000; // business name search: under every CVM limit, no PIN
  let dir: string;
  let engine: TerminalEngine;
  let card: SimulatedCard;
  let initialBalance: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'huduma-pn532-terminal-'));
    const pki = DevPki.inMemory();
    const issued = await issueTestCard({ pki, balance: 1_000_000 });
    card = issued.card;
    initialBalance = card.state.balance;
    await initTerminal({
      dir,
      pki,
      terminalId: TERMINAL_ID,
      merchantId: 'HC-NBI01',
      location: { kind: 'huduma-centre', name: 'Nairobi GPO' },
      limits: {},
      now: Date.now(),
    });
    engine = await TerminalEngine.open({
      dir,
      reader: pcscCardReader(reader, reader.name),
      pinPad: { requestPin: async () => undefined },
      loadAuthorizer: devLoadAuthorizer(pki),
    });
    await feed(card);
  });

  afterAll(async () => {
    await engine?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function records(): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    for await (const r of engine.records()) out.push(r);
    return out;
  }

  it('a clean sale first: approved, charged once', async () => {
    const sale = await engine.sale({ serviceCode: 301, billRef: 'BN-SEARCH' });
    expect(sale.status).toBe('approved');
    expect(card.state.balance).toBe(initialBalance - AMOUNT);
  });

  it.each([
    ['before the card received the DEBIT', false],
    ['after the card processed the DEBIT', true],
  ])(
    'pulled %s: refused as outcome unknown, the next tap resolves it once',
    async (_what, afterCardProcessed) => {
      const balanceBefore = card.state.balance;
      const pulled = sim.removeCardDuringNextApdu({
        afterCardProcessed,
        when: (apdu) => apdu[1] === INS.DEBIT,
      });
      const refusal = await engine.sale({ serviceCode: 301, billRef: 'BN-SEARCH' }).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(TransactionRefusedError);
      await pulled;
      expect((refusal as TransactionRefusedError).reason).toBe('outcome-unknown');
      expect(engine.status().unresolved).toHaveLength(1);
      expect(card.state.balance).toBe(afterCardProcessed ? balanceBefore - AMOUNT : balanceBefore);

      await feed(card); // the same card tapped again
      const notices = await engine.recoverCard();
      expect(notices).toHaveLength(1);
      expect(notices[0]!.outcome).toBe(afterCardProcessed ? 'completed' : 'not-charged');
      expect(engine.status().unresolved).toEqual([]);
      // Recovering again finds nothing more to do: resolved exactly once.
      expect(await engine.recoverCard()).toEqual([]);
      expect(card.state.balance).toBe(afterCardProcessed ? balanceBefore - AMOUNT : balanceBefore);

      const logged = (await records()).filter(
        (r) => (r.type === 'sale' || r.type === 'recovered-sale') && r.cardNumber === card.state.cardNumber,
      );
      const net = logged.reduce((n, r) => n + (r as { amountCents: number }).amountCents, 0);
      expect(initialBalance - card.state.balance, 'card balance drop equals the logged sales').toBe(net);
      const seqs = logged.map((r) => (r as { terminalSeq: number }).terminalSeq);
      expect(new Set(seqs).size, 'no terminal sequence logged twice').toBe(seqs.length);
    },
  );
});
