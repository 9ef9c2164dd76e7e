import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueTestCard, type TestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import type { LogRecord } from '@huduma/txlog';
import {
  devLoadAuthorizer,
  initTerminal,
  type PinPad,
  pollingCardReader,
  TerminalEngine,
  type TerminalEngineOptions,
  type TerminalEvent,
  type TerminalLimits,
  type TerminalLocation,
} from '../src/index';

export const TERMINAL_ID = 'T-0001';
export const MERCHANT_ID = 'HC-NBI01';

export interface Rig {
  dir: string;
  pki: DevPki;
  testCard: TestCard;
  engine: TerminalEngine;
  events: TerminalEvent[];
  pins: string[];
  clock: { now: number };
  reopen(extra?: Partial<TerminalEngineOptions>): Promise<TerminalEngine>;
  records(): Promise<LogRecord[]>;
  cleanup(): Promise<void>;
}

/** Scripted PIN pad: hands out queued PINs, then cancels. */
export function scriptedPinPad(pins: string[]): PinPad {
  return { requestPin: async () => pins.shift() };
}

export async function makeRig(
  opts: {
    balance?: number;
    limits?: Partial<TerminalLimits>;
    location?: TerminalLocation;
    engine?: Partial<TerminalEngineOptions>;
    pki?: DevPki;
    dir?: string;
    testCard?: TestCard;
  } = {},
): Promise<Rig> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'huduma-terminal-'));
  const pki = opts.pki ?? DevPki.inMemory();
  // The card first: its certificate's notBefore is the issuing second, which the rig's clock
  // must not precede (v2 personalization takes long enough to cross a second boundary).
  const testCard = opts.testCard ?? (await issueTestCard({ pki, balance: opts.balance ?? 1_000_000 }));
  const clock = { now: Date.now() };
  await initTerminal({
    dir,
    pki,
    terminalId: TERMINAL_ID,
    merchantId: MERCHANT_ID,
    location: opts.location ?? { kind: 'huduma-centre', name: 'Nairobi GPO' },
    limits: opts.limits ?? {},
    now: clock.now,
  });
  const events: TerminalEvent[] = [];
  const pins: string[] = [];
  const reader = testCard.reader;
  const base = (): TerminalEngineOptions => ({
    dir,
    reader: pollingCardReader(() => (reader.cardPresent ? reader : undefined)),
    pinPad: scriptedPinPad(pins),
    loadAuthorizer: devLoadAuthorizer(pki),
    clock: () => clock.now,
    onEvent: (e) => events.push(e),
  });
  const rig: Rig = {
    dir,
    pki,
    testCard,
    engine: await TerminalEngine.open({ ...base(), ...opts.engine }),
    events,
    pins,
    clock,
    async reopen(extra = {}) {
      await rig.engine.close();
      rig.engine = await TerminalEngine.open({ ...base(), ...opts.engine, ...extra });
      return rig.engine;
    },
    async records() {
      const out: LogRecord[] = [];
      for await (const r of rig.engine.records()) out.push(r);
      return out;
    },
    async cleanup() {
      await rig.engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Sum of sale + recovered-sale - cancel amounts for a card, and the count of each by terminalSeq. */
export function chargesInLog(
  records: LogRecord[],
  cardNumber: string,
): { net: number; bySeq: Map<number, number> } {
  let net = 0;
  const bySeq = new Map<number, number>();
  for (const r of records) {
    if ((r.type === 'sale' || r.type === 'recovered-sale') && r.cardNumber === cardNumber) {
      net += r.amountCents;
      bySeq.set(r.terminalSeq, (bySeq.get(r.terminalSeq) ?? 0) + 1);
    } else if (r.type === 'cancel' && r.cardNumber === cardNumber) net -= r.amountCents;
  }
  return { net, bySeq };
}
