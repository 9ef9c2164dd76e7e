import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DevPki } from '@huduma/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ClearingHarness, startClearingService } from '../../test/support/clearing-harness';
import { issueFleetCard, openFleetTerminal, tempDir } from '../../test/support/terminal-fleet';
import { runTerminalCli } from '../src/cli/commands';

const pki = DevPki.inMemory();
const root = tempDir('huduma-sync-cli-');
let svc: ClearingHarness;
beforeAll(async () => {
  svc = await startClearingService(pki);
});
afterAll(async () => {
  await svc?.close();
  rmSync(root, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runTerminalCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

it('huduma-terminal sync uploads the log, remembers the service, and says what it did', async () => {
  const dir = join(root, 'terminal');
  const t = await openFleetTerminal({
    pki,
    dir,
    terminalId: 'T-CLI1',
    merchantId: 'HC-NBI01',
    location: { kind: 'huduma-centre', name: 'CLI' },
  });
  const card = await issueFleetCard(pki, join(root, 'cards'), 'cli', { balance: 100_000 });
  t.tap(card);
  await t.engine.sale({ amount: '50.00', billRef: 'CLI-1' });
  t.remove();
  await t.engine.close();

  const usage = await cli(['sync', '--dir', dir, '--url', svc.url]);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/--url and --service-key together/);
  const noConfig = await cli(['sync', '--dir', dir]);
  expect(noConfig.code).toBe(2);

  const key = Buffer.from(svc.signer.publicKey).toString('hex');
  const first = await cli(['sync', '--dir', dir, '--url', svc.url, '--service-key', key]);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/upload: \d+ records in 1 batches/);
  expect(first.stdout).toMatch(/0 records not yet uploaded/);
  expect(first.stdout).toMatch(/catalog: \d+ services/);
  expect(existsSync(join(dir, 'clearing.json'))).toBe(true);
  const state = await svc.operator('GET', '/v1/terminals/T-CLI1/state');
  expect(state.json.lastSeq).toBeGreaterThan(0);

  // Next time the saved settings are enough; nothing new to send.
  const again = await cli(['sync', '--dir', dir]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/upload: 0 records in 0 batches/);
});
