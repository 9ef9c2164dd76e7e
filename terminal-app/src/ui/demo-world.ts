import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CURRENCY_KES } from '@huduma/card-applet-spec';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { devLoadAuthorizer, initTerminal, TerminalEngine } from '@huduma/terminal';
import { PinPadSlot } from './console';
import { DemoReader } from './demo-reader';

/** A demo card as the world file records it. */
export interface DemoCardInfo {
  label: string;
  path: string;
  cardNumber: string;
  pin: string;
  initialBalanceCents: number;
}

/** What `ensureDemoWorld` set up: paths under the data directory. */
export interface DemoWorld {
  dataDir: string;
  pkiDir: string;
  terminalDir: string;
  cards: DemoCardInfo[];
  /** True when this call created the world (false: it was already there). */
  created: boolean;
}

const WORLD_FILE = 'world.json';

const DEMO_CARDS = [
  { label: 'Amina', balanceCents: 500_000 },
  { label: 'Baraka', balanceCents: 12_000 }, // too little for most services: shows a decline
  { label: 'Chebet', balanceCents: 2_000_000 },
] as const;

export const DEMO_TERMINAL = {
  terminalId: 'T-0001',
  merchantId: 'HC-NBI01',
  location: 'Nairobi GPO',
} as const;

/**
 * Creates the local demo world under `dataDir` unless it is already there: a development PKI, a
 * terminal provisioned at a Huduma Centre, and three file-backed simulated cards with balances.
 * `world.json` is written last, so a half-made world (interrupted setup) is made again.
 */
export async function ensureDemoWorld(dataDir: string): Promise<DemoWorld> {
  const worldPath = join(dataDir, WORLD_FILE);
  if (existsSync(worldPath)) {
    const saved = JSON.parse(await readFile(worldPath, 'utf8')) as Omit<DemoWorld, 'created'>;
    return { ...saved, created: false };
  }
  const pkiDir = join(dataDir, 'pki');
  const terminalDir = join(dataDir, 'terminal');
  const cardsDir = join(dataDir, 'cards');
  for (const d of [pkiDir, terminalDir, cardsDir]) await rm(d, { recursive: true, force: true });
  await mkdir(cardsDir, { recursive: true });
  const pki = DevPki.init(pkiDir);
  await initTerminal({
    dir: terminalDir,
    pki,
    terminalId: DEMO_TERMINAL.terminalId,
    merchantId: DEMO_TERMINAL.merchantId,
    location: { kind: 'huduma-centre', name: DEMO_TERMINAL.location },
    // No clearing service runs in the demo yet, so nothing ever syncs: do not stop sales for it.
    limits: { maxOfflineMs: 10 * 365 * 24 * 3600_000, maxUnsyncedRecords: 9_999 },
  });
  const cards: DemoCardInfo[] = [];
  for (const c of DEMO_CARDS) {
    const path = join(cardsDir, `${c.label.toLowerCase()}.cbor`);
    const issued = await issueTestCard({
      pki,
      balance: c.balanceCents,
      path,
      identity: null,
      // A high offline limit so that running the demo many times does not exhaust it.
      purse: {
        maxBalance: 10_000_000,
        offlineLimit: 10_000_000,
        cvmLimit: 100_000,
        noCvmLimit: 10_000_000,
        currency: CURRENCY_KES,
      },
    });
    issued.reader.remove();
    cards.push({
      label: c.label,
      path,
      cardNumber: issued.cardNumber,
      pin: issued.pin,
      initialBalanceCents: c.balanceCents,
    });
  }
  const world = { dataDir, pkiDir, terminalDir, cards };
  await writeFile(worldPath, `${JSON.stringify(world, null, 2)}\n`);
  return { ...world, created: true };
}

/** An open demo terminal: the engine over the demo cards' simulated reader, and its PIN pad slot. */
export interface DemoCounter {
  engine: TerminalEngine;
  reader: DemoReader;
  pinPad: PinPadSlot;
  close(): Promise<void>;
}

export async function openDemoCounter(world: DemoWorld): Promise<DemoCounter> {
  const reader = DemoReader.fromFiles(world.cards.map((c) => c.path));
  world.cards.forEach((c, i) => {
    reader.cards[i]!.label = c.label;
  });
  const pinPad = new PinPadSlot();
  const engine = await TerminalEngine.open({
    dir: world.terminalDir,
    reader: reader.cardReader,
    pinPad,
    loadAuthorizer: devLoadAuthorizer(DevPki.open(world.pkiDir)),
  });
  return {
    engine,
    reader,
    pinPad,
    close: async () => {
      reader.remove();
      await engine.close();
    },
  };
}
