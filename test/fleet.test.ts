/**
 * The fleet simulator, small: real terminal engines on simulated cards for two simulated days
 * (one of them offline, so every terminal uploads at once after it), a cloned card, two tampering
 * terminals (an inflated sale, a hidden sale, each uploaded with the terminal's real key), and the
 * reconciliation: settlement equals what the cards signed and what the simulator approved, to the
 * cent; the clone caught; every tampered upload refused (and alerted where the service alerts);
 * nothing legitimate flagged. HUDUMA_SEED replays a run.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runFleet } from '@huduma/sim-fleet';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/terminal-fleet';

const seed = Number(process.env.HUDUMA_SEED ?? Date.now() % 1_000_000);

describe('fleet simulator', () => {
  it('two days, an outage, a clone and tampering terminals: reconciles to the cent, the fraud caught, nothing else flagged', async () => {
    const lines: string[] = [];
    const result = await runFleet({
      dir: join(tempDir('huduma-fleet-'), 'run'),
      terminals: 3,
      cards: 8,
      days: 2,
      tapsPerHour: 1,
      clones: 1,
      tampering: 2,
      seed,
      log: (line) => lines.push(line),
    });
    const context = `seed ${seed} (re-run with HUDUMA_SEED=${seed}): ${result.problems.join('; ')}`;
    expect(result.problems, context).toEqual([]);
    expect(result.ok, context).toBe(true);
    expect(result.sales, context).toBeGreaterThan(0);
    expect(result.clonesInjected, context).toBe(1);
    expect(result.clonesCaught, context).toBe(1);
    // The day after the outage, each of the two tampering terminals has sales to alter.
    expect(result.tamperedUploads, context).toBe(2);
    expect(result.tamperedRefused, context).toBe(2);
    expect(result.falseAlerts, context).toBe(0);
    expect(result.days.map((d) => d.online)).toContain(false);
    expect(lines).toHaveLength(2);
  }, 300_000);

  it('refuses a bad argument with the flag named, exit 2, before doing anything', () => {
    const cli = join(import.meta.dirname, '../simulators/fleet/src/cli.ts');
    for (const [args, flag] of [
      [['--terminals', '1'], '--terminals'],
      [['--days', 'x'], '--days'],
      [['--cards', '-5'], '--cards'],
      [['--outages', '3', '--days', '2'], '--outages'],
      [['--bogus'], 'bogus'],
      [['--fraud-mix', 'tamper=1.5'], '--fraud-mix.tamper'],
      [['--fraud-mix', 'skim=0.1'], '--fraud-mix'],
      [['--fraud-mix', 'clones=0.1', '--clones', '2'], '--clones'],
    ] as const) {
      const run = spawnSync(
        process.execPath,
        ['--conditions=huduma-source', '--import', 'tsx', cli, ...args],
        {
          encoding: 'utf8',
        },
      );
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(flag);
      expect(run.stdout).toBe('');
    }
  }, 60_000);
});
