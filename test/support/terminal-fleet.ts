/**
 * Terminals and simulated cards for sync and end-to-end tests: provisioned terminal directories
 * (development PKI), engines over a one-slot reader into which a test inserts any card, and
 * file-backed cards that can be copied (a cloned card is a copy of the card's file).
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CURRENCY_KES } from '@huduma/card-applet-spec';
import { issueTestCard, SimulatedCard, SimulatedReader } from '@huduma/card-simulator';
import type { DevPki } from '@huduma/pki';
import {
  initTerminal,
  type LoadAuthorizer,
  loadTerminalConfig,
  pollingCardReader,
  type TerminalConfig,
  TerminalEngine,
  type TerminalLocation,
} from '@huduma/terminal';

export interface FleetCard {
  label: string;
  cardNumber: string;
  pin: string;
  path: string;
  card: SimulatedCard;
}

/** A counter: an engine and its reader slot. */
export interface FleetTerminal {
  terminalId: string;
  merchantId: string;
  dir: string;
  engine: TerminalEngine;
  reader: SimulatedReader;
  /** Puts `card` in this terminal's reader (taking it out of any other first). */
  tap(card: FleetCard | SimulatedCard): void;
  remove(): void;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A personalized card in `dir`, with no balance (loads go through terminals) unless `balance`. */
export async function issueFleetCard(
  pki: DevPki,
  dir: string,
  label: string,
  options: { balance?: number } = {},
): Promise<FleetCard> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${label}.cbor`);
  const issued = await issueTestCard({
    pki,
    path,
    identity: null,
    ...(options.balance === undefined ? {} : { balance: options.balance }),
    purse: {
      maxBalance: 50_000_000,
      offlineLimit: 20_000_000,
      cvmLimit: 10_000_000,
      noCvmLimit: 50_000_000,
      currency: CURRENCY_KES,
    },
  });
  issued.reader.remove();
  return { label, cardNumber: issued.cardNumber, pin: issued.pin, path, card: issued.card };
}

/** Copies a card's file and opens the copy: same keys, same counter, same balance. */
export function cloneCard(original: FleetCard, label: string): FleetCard {
  const path = original.path.replace(/[^/]+\.cbor$/, `${label}.cbor`);
  copyFileSync(original.path, path);
  return { ...original, label, path, card: SimulatedCard.open(path) };
}

export async function openFleetTerminal(args: {
  pki: DevPki;
  dir: string;
  terminalId: string;
  merchantId: string;
  location: TerminalLocation;
  loadAuthorizer?: (config: TerminalConfig) => LoadAuthorizer;
  clock?: () => number;
}): Promise<FleetTerminal> {
  await initTerminal({
    dir: args.dir,
    pki: args.pki,
    terminalId: args.terminalId,
    merchantId: args.merchantId,
    location: args.location,
    limits: { maxUnsyncedRecords: 9_999, cvmLimitCents: 10_000_000 },
  });
  const reader = new SimulatedReader();
  const link = { transmit: (c: Uint8Array) => reader.transmit(c) };
  const config = await loadTerminalConfig(args.dir);
  const engine = await TerminalEngine.open({
    dir: args.dir,
    reader: pollingCardReader(() => (reader.cardPresent ? link : undefined), { pollMs: 2 }),
    ...(args.loadAuthorizer ? { loadAuthorizer: args.loadAuthorizer(config) } : {}),
    ...(args.clock ? { clock: args.clock } : {}),
  });
  return {
    terminalId: args.terminalId,
    merchantId: args.merchantId,
    dir: args.dir,
    engine,
    reader,
    tap(card) {
      reader.insert('card' in card ? card.card : card);
    },
    remove() {
      reader.remove();
    },
  };
}
