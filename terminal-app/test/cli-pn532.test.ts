/**
 * `huduma-terminal sale --reader pn532:<path>`: the counter CLI on a PN532 over a serial line (the
 * simulator at the far end of a socat pty pair), and a clear message for a PN532 that is not there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueTestCard, SimulatedCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { openPtyPair, Pn532Simulator, type PtyPair } from '@huduma/sim-pn532';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTerminalCli } from '../src/cli/commands';

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runTerminalCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

describe('huduma-terminal over a PN532 reader', () => {
  let root: string;
  let dir: string;
  let cardPath: string;
  let pty: PtyPair;
  let sim: Pn532Simulator;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'huduma-terminal-pn532-'));
    dir = join(root, 'terminal');
    const pkiDir = join(root, 'pki');
    const init = await cli(
      'init',
      '--dir',
      dir,
      '--pki',
      pkiDir,
      '--terminal-id',
      'T-0002',
      '--merchant',
      'HC-NBI01',
      '--location',
      'Nairobi GPO',
    );
    expect(init.code, init.stderr).toBe(0);
    cardPath = join(root, 'card.cbor');
    await issueTestCard({ pki: DevPki.open(pkiDir), balance: 500_000, path: cardPath });
    pty = await openPtyPair();
    sim = await Pn532Simulator.open(pty.device);
    sim.insert(SimulatedCard.open(cardPath));
  });
  afterAll(async () => {
    await sim?.close();
    await pty?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('sells through `--reader pn532:PATH`: exit 0, receipt, the card charged', async () => {
    const r = await cli(
      'sale',
      '--dir',
      dir,
      '--amount',
      '250.00',
      '--bill-ref',
      'PN-1',
      '--reader',
      `pn532:${pty.host}`,
    );
    expect(r.stderr).toContain(`Tap card on PN532 ${pty.host}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('250.00');
    expect(SimulatedCard.open(cardPath).state.balance).toBe(500_000 - 25_000);
  });

  it('a PN532 path that does not exist: exit 1 with a message naming it', async () => {
    const r = await cli(
      'sale',
      '--dir',
      dir,
      '--amount',
      '1.00',
      '--bill-ref',
      'PN-2',
      '--reader',
      'pn532:/dev/no-such-tty',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('/dev/no-such-tty');
  });
});
