/**
 * The attack report's request bombs against the real service in a child process on loopback
 * (PostgreSQL storage, so the RSS measured is the service's own): each gets its typed 4xx,
 * /healthz keeps answering throughout (each probe within 2 s), and the child's peak RSS stays
 * bounded. Figures: `npm run bench:bombs` (bench/bombs.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPki } from './fixtures';
import {
  type BombTarget,
  bombs,
  peakRss,
  probeHealth,
  resetPeakRss,
  sendRaw,
  startBombTarget,
} from './support/bombs';

const OPERATOR = 'operator-token-for-bomb-tests-0123456';
const PEAK_RSS_BOUND = 400 * 1024 * 1024;

describe('request bombs against the service in a child process', () => {
  const pki = new TestPki();
  let target: BombTarget;

  beforeAll(async () => {
    target = await startBombTarget(pki, OPERATOR);
  }, 120_000);
  afterAll(async () => {
    await target?.stop();
  });

  it('answers every bomb with its typed 4xx, stays live, and keeps its peak RSS bounded', async () => {
    await (await fetch(`${target.url}/healthz`)).json();
    for (const bomb of bombs(pki.terminal('BOMB-1'), OPERATOR)) {
      resetPeakRss(target.pid);
      const probes = probeHealth(target.url);
      const answers = await Promise.all(bomb.requests.map((r) => sendRaw(target.port, r)));
      const latencies = await probes.stop();
      for (const answer of answers) {
        expect({ bomb: bomb.name, status: answer.status }).toEqual({
          bomb: bomb.name,
          status: bomb.expect.status,
        });
        expect(bomb.expect.errors, bomb.name).toContain(answer.body?.error);
      }
      expect(latencies.length, bomb.name).toBeGreaterThan(0);
      expect(Math.max(...latencies), bomb.name).toBeLessThan(2000);
      expect(peakRss(target.pid), bomb.name).toBeLessThan(PEAK_RSS_BOUND);
    }
    // Still serving after all of them.
    expect((await fetch(`${target.url}/healthz`)).status).toBe(200);
  }, 120_000);
});
