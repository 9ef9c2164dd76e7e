/**
 * huduma-sim-pn532 as a process: makes its pty pair, hosts a card file, and a terminal reader
 * opened on `pn532:<link>` sees the card; hostile options are refused naming the option.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HUDUMA_ATR, SimulatedCard } from '@huduma/card-simulator';
import { openPn532CardSource } from '@huduma/transport-pn532';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Pn532SimUsageError, parsePn532SimArgs } from '../src/index';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const SEED = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);

describe('huduma-sim-pn532', () => {
  it('serves a card file on a pty pair that `pn532:<link>` opens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huduma-sim-pn532-cli-'));
    const cardPath = join(dir, 'card.cbor');
    SimulatedCard.create(cardPath);
    const link = join(dir, 'pn532');
    const child = spawn(
      process.execPath,
      [
        '--conditions=huduma-source',
        '--import',
        'tsx',
        CLI,
        '--card',
        cardPath,
        '--link',
        link,
        '--seed',
        '7',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    try {
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes(`reader: pn532:${link}`)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`simulator exited ${code}: ${err}`)));
      });
      expect(out).toContain('fault seed 7');
      const source = await openPn532CardSource(`pn532:${link}`);
      try {
        const tap = await source.reader.waitForCard(undefined, { timeoutMs: 5000 });
        expect(tap.atr).toEqual(HUDUMA_ATR);
      } finally {
        await source.close();
      }
      child.stdin.write('quit\n');
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.each([
    [['--link', '/tmp/x'], 'card'],
    [['--card', 'c.cbor'], 'link'],
    [['--card', 'c.cbor', '--link', '/tmp/x', '--corrupt-rate', '2'], 'corrupt-rate'],
    [['--card', 'c.cbor', '--link', '/tmp/x', '--slow-ms', '-1'], 'slow-ms'],
    [['--card', 'c.cbor', '--link', '/tmp/x', '--bogus', '1'], 'bogus'],
  ])('refuses %j naming --%s', (argv, field) => {
    expect(() => parsePn532SimArgs(argv)).toThrow(Pn532SimUsageError);
    try {
      parsePn532SimArgs(argv);
    } catch (e) {
      expect((e as Pn532SimUsageError).field).toBe(field);
    }
  });

  it(`any argv parses or gives Pn532SimUsageError (seed ${SEED})`, () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 12 }),
            fc.constantFrom('--card', '--link', '--drop-rate', '--seed'),
          ),
          { maxLength: 8 },
        ),
        (argv) => {
          try {
            parsePn532SimArgs(argv);
          } catch (e) {
            expect(e).toBeInstanceOf(Pn532SimUsageError);
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
