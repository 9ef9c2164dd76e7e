/**
 * The v2 conformance suite against the reference simulator card through the real PC/SC stack:
 * pcscd + vpcd, the card host running simulators/card/src/vpcd-card.ts, our PC/SC transport.
 * Card files are made by the suite itself (blank cards keyed with the dev PKI's install keys,
 * personalized with raw §7 commands), so the SDK is nowhere on the path.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  blankSimulatedCard,
  conformanceSimulatedCard,
  formatResults,
  pcscTarget,
  runConformance,
  simulatorTarget,
} from '@huduma/card-conformance';
import { DevPki } from '@huduma/pki';
import { PcscReaders } from '@huduma/transport-pcsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCardFile, PIN, PUK, removeCard, SIMULATOR_CARD_MODULE, tempDir } from './pcsc-e2e-support';
import { type PcscHarness, startPcscHarness } from './support/pcsc-harness';

const CONFORMANCE_CLI = fileURLToPath(new URL('../packages/card-conformance/src/cli.ts', import.meta.url));

let harness: PcscHarness;
let readers: PcscReaders;
let pki: DevPki;
let dir: string;
let reader: string;
let serial = 0;

async function cardFile(kind: 'blank' | 'personalized'): Promise<string> {
  const path = join(dir, `${kind}-${++serial}.cbor`);
  if (kind === 'blank') blankSimulatedCard(pki, path);
  else await conformanceSimulatedCard(pki, path);
  return path;
}

beforeAll(async () => {
  harness = await startPcscHarness({ cardModule: SIMULATOR_CARD_MODULE });
  reader = harness.readers[0]!;
  readers = await PcscReaders.open();
  dir = tempDir('huduma-e2e-conformance-');
  pki = DevPki.init(`${dir}/pki`);
});

afterAll(async () => {
  await readers?.close();
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TEAR_CHECKS = ['tear.debit-t0-t2', 'tear.debit-t3-t4', 'tear.reload', 'tear.pin', 'tear.register'];

describe('v2 conformance through pcscd + vpcd', () => {
  it('passes every check with fresh simulated cards fed into the reader', async () => {
    const inserted: string[] = [];
    const target = pcscTarget({
      readers,
      reader,
      keys: pki,
      pin: PIN,
      puk: PUK,
      hasIdentity: true,
      ownsReaders: false,
      cardFeeder: {
        remove: () => harness.removeCard(0),
        async insert(kind) {
          const path = await cardFile(kind);
          inserted.push(kind);
          await harness.insertCard(0, { options: { cardPath: path } });
        },
      },
    });
    const seed = Date.now() % 2 ** 31;
    const results = await runConformance(target, { seed });
    await target.close?.();
    const failed = results.filter((r) => r.status === 'failed');
    expect(failed, `seed ${seed}; failing checks:\n${formatResults(failed)}`).toEqual([]);
    // Not run: what the in-process simulator cannot run either, plus the tear checks (no power
    // control through pcscd).
    const inProcess = await runConformance(await simulatorTarget(), { seed });
    const notRun = (rs: typeof results) => rs.filter((r) => r.status === 'not run').map((r) => r.id);
    expect(notRun(results)).toEqual([...notRun(inProcess), ...TEAR_CHECKS].sort((a, b) => idx(a) - idx(b)));
    expect(results.map((r) => r.id)).toEqual(inProcess.map((r) => r.id));
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(110);
    expect(inserted.filter((k) => k === 'personalized').length).toBeGreaterThanOrEqual(8);
    expect(inserted).toContain('blank');
    function idx(id: string) {
      return results.findIndex((r) => r.id === id);
    }
  }, 600_000);

  it('`conformance --reader NAME` on one card: passes, card-consuming checks reported "not run"', async () => {
    await removeCard(harness, readers);
    await insertCardFile(harness, readers, await cardFile('personalized'));
    const { code, stdout, stderr } = await run([
      '--reader',
      reader,
      '--pki',
      `${dir}/pki`,
      '--pin',
      PIN,
      '--puk',
      PUK,
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    const results = JSON.parse(stdout) as { id: string; status: string; detail: string }[];
    expect(results.filter((r) => r.status === 'failed')).toEqual([]);
    const notRun = results.filter((r) => r.status === 'not run');
    expect(notRun.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'pin.block',
        'puk.exhaust-no-terminate',
        'block.happy',
        'perso.complete',
        'tear.pin',
      ]),
    );
    expect(notRun.find((r) => r.id === 'pin.block')?.detail).toBe('not run (needs a fresh card)');
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(80);
  }, 300_000);

  it('`conformance --reader` with an unknown reader name lists the readers present', async () => {
    const { code, stderr } = await run(['--reader', 'No Such Reader']);
    expect(code).toBe(1);
    expect(stderr).toContain('no PC/SC reader named "No Such Reader"');
    expect(stderr).toContain(JSON.stringify(reader));
  });
});

function run(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=huduma-source', '--import', 'tsx', CONFORMANCE_CLI, ...args],
      { env: harness.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
