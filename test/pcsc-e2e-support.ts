/**
 * Shared pieces of the pcsc-e2e tests: the REAL simulator card module for the harness, card files
 * issued like `issueTestCard` does, and the independent PC/SC clients of Debian.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueTestCard, SimulatedCard } from '@huduma/card-simulator';
import type { DevPki } from '@huduma/pki';
import type { PcscReaders } from '@huduma/transport-pcsc';
import type { PcscHarness } from './support/pcsc-harness';

/** The card module the harness's card host loads: `createCard({ cardPath })` opens a card file. */
export const SIMULATOR_CARD_MODULE = fileURLToPath(
  new URL('../simulators/card/src/vpcd-card.ts', import.meta.url),
);

export const PIN = '1234';
export const PUK = '12345678';

/** Debian's interpreter: python3-pyscard installs for it, not for a pyenv/venv `python3` on PATH. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

let serial = 0;

/** A personalized ACTIVE card file (issueTestCard: SDK personalization + a signed RELOAD). */
export async function issueCardFile(
  pki: DevPki,
  dir: string,
  balance = 0,
): Promise<{ path: string; cardNumber: string }> {
  const path = join(dir, `card-${++serial}.cbor`);
  const { cardNumber } = await issueTestCard({ pki, path, balance, pin: PIN, puk: PUK });
  return { path, cardNumber };
}

/** A blank card file in PERSONALIZATION. */
export function blankCardFile(dir: string): string {
  const path = join(dir, `blank-${++serial}.cbor`);
  SimulatedCard.create(path);
  return path;
}

/** Inserts the card file into `slot` and waits until pcscd (as `readers` sees it) has the card. */
export async function insertCardFile(
  harness: PcscHarness,
  readers: PcscReaders,
  cardPath: string,
  slot = 0,
): Promise<void> {
  const reader = harness.readers[slot]!;
  await harness.insertCard(slot, { module: SIMULATOR_CARD_MODULE, options: { cardPath } });
  await readers.waitForCard(reader, { timeoutMs: 5000 });
}

/** Removes the card from `slot` and waits until `readers` has seen it leave. */
export async function removeCard(harness: PcscHarness, readers: PcscReaders, slot = 0): Promise<void> {
  const reader = harness.readers[slot]!;
  await harness.removeCard(slot);
  const deadline = Date.now() + 5000;
  while (readers.state(reader)?.cardPresent) {
    if (Date.now() > deadline) throw new Error(`pcscd still reports a card in ${reader} 5 s after removal`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Fails (never skips) when an independent PC/SC client is missing, saying how to install it. */
export function requireTool(command: string, debianPackage: string): void {
  const found = command.startsWith('/')
    ? existsSync(command)
    : spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
  if (!found) {
    throw new Error(
      `${command} is missing: install it with \`bash scripts/setup\` or \`apt-get install ${debianPackage}\``,
    );
  }
}
