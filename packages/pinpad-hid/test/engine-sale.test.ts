import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueTestCard, type TestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { SimulatedHidBus, SimulatedPinPad } from '@huduma/sim-pinpad';
import {
  devLoadAuthorizer,
  initTerminal,
  pollingCardReader,
  TerminalEngine,
  TransactionRefusedError,
} from '@huduma/terminal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enginePinPad, PinPadDriver, type PinPadOutcomeReason } from '../src/index';

// A PIN typed on the simulated pad goes through the driver into the engine's PinPad and on to
// the card's VERIFY PIN (the card simulator checks it). KES 1,050 is above the card's CVM limit.
let dir: string;
let pki: DevPki;
let testCard: TestCard;
let engine: TerminalEngine;
const pad = new SimulatedPinPad();
const bus = new SimulatedHidBus();
bus.attach(pad);
const driver = new PinPadDriver({ backend: bus });
const noPin: Array<{ reason: PinPadOutcomeReason; message: string }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'huduma-pinpad-'));
  pki = DevPki.inMemory();
  testCard = await issueTestCard({ pki, balance: 1_000_000 });
  const now = Date.now();
  await initTerminal({
    dir,
    pki,
    terminalId: 'T-0001',
    merchantId: 'HC-NBI01',
    location: { kind: 'huduma-centre', name: 'Nairobi GPO' },
    limits: {},
    now,
  });
  const reader = testCard.reader;
  engine = await TerminalEngine.open({
    dir,
    reader: pollingCardReader(() => (reader.cardPresent ? reader : undefined)),
    pinPad: enginePinPad(driver, { onNoPin: (reason, message) => noPin.push({ reason, message }) }),
    loadAuthorizer: devLoadAuthorizer(pki),
    clock: () => now,
  });
});
afterAll(async () => {
  await engine.close();
  driver.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<TransactionRefusedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransactionRefusedError);
  return err as TransactionRefusedError;
}

describe('a PIN sale with the PIN typed on the pad', () => {
  it('approves with the right PIN, the pad showing the amount', async () => {
    pad.onPinEntry = (p) => {
      expect(p.display.amountCents).toBe(105_000);
      p.enterPin(testCard.pin);
    };
    const result = await engine.sale({ serviceCode: 201, billRef: 'ECZ-GC-1' });
    expect(result.status).toBe('approved');
    expect(result.balanceAfterCents).toBe(1_000_000 - 105_000);
  });

  it('a wrong PIN then the right one: asks again with the tries left, then approves', async () => {
    const wrong = testCard.pin === '0000' ? '1111' : '0000';
    const prompts: string[] = [];
    pad.onPinEntry = (p) => {
      prompts.push(p.display.prompt);
      p.enterPin(prompts.length === 1 ? wrong : testCard.pin);
    };
    const result = await engine.sale({ serviceCode: 201, billRef: 'ECZ-GC-2' });
    expect(result.status).toBe('approved');
    expect(prompts).toEqual(['Enter PIN', expect.stringMatching(/^Wrong PIN\. \d tries left\. Enter PIN$/)]);
  });

  it('cancel on the pad declines with no payment taken', async () => {
    const before = testCard.card.state.balance;
    pad.onPinEntry = (p) => p.press('cancel');
    const err = await refusal(engine.sale({ serviceCode: 201, billRef: 'ECZ-GC-3' }));
    expect(err.reason).toBe('pin-cancelled');
    expect(testCard.card.state.balance).toBe(before);
    expect(noPin.at(-1)?.reason).toBe('cancelled');
  });

  it('the pad unplugged mid-entry is a cancel with a clear message; plugged back it works', async () => {
    const before = testCard.card.state.balance;
    pad.onPinEntry = (p) => {
      p.press('1');
      p.unplug();
    };
    const err = await refusal(engine.sale({ serviceCode: 201, billRef: 'ECZ-GC-4' }));
    expect(err.reason).toBe('pin-cancelled');
    expect(noPin.at(-1)).toEqual({ reason: 'unplugged', message: expect.stringMatching(/disconnected/) });
    expect(testCard.card.state.balance).toBe(before);
    pad.plugIn();
    pad.onPinEntry = (p) => p.enterPin(testCard.pin);
    expect((await engine.sale({ serviceCode: 201, billRef: 'ECZ-GC-5' })).status).toBe('approved');
  });

  it('the pad timing out declines with no payment taken', async () => {
    pad.onPinEntry = (p) => p.expire();
    const err = await refusal(engine.sale({ serviceCode: 201, billRef: 'ECZ-GC-6' }));
    expect(err.reason).toBe('pin-cancelled');
    expect(noPin.at(-1)?.reason).toBe('timeout');
  });
});
