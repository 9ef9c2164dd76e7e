import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/terminal-fleet';
import { ensureDemoWorld, openDemoCounter } from '../src/ui/demo-world';
import { runNarratedDemo } from '../src/ui/narrated-demo';

const root = tempDir('huduma-narrated-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function narrate(dataDir: string): Promise<{ ok: boolean; text: string }> {
  const world = await ensureDemoWorld(dataDir);
  const counter = await openDemoCounter(world);
  let text = '';
  const output = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  try {
    return { ok: await runNarratedDemo(world, counter, output), text };
  } finally {
    await counter.close();
  }
}

describe('the narrated demo', () => {
  it('shows what it narrates even after the console changed the world (the low card reloaded)', async () => {
    const dataDir = join(root, '.huduma');
    const first = await narrate(dataDir);
    expect(first.ok, first.text).toBe(true);
    expect(first.text).toContain('Declined: insufficient balance (balance KES 120.00)');

    // At the console, the cashier reloads Baraka's card: it now holds KES 2,120.00.
    const counter = await openDemoCounter(await ensureDemoWorld(dataDir));
    try {
      counter.reader.insert(1);
      await counter.engine.reload({ amountCents: 200_000, reference: 'CONSOLE-1' });
    } finally {
      await counter.close();
    }

    const second = await narrate(dataDir);
    expect(second.ok, second.text).toBe(true);
    expect(second.text).toContain("Baraka's card holds KES 2,120.00, too little for a KES 2,220.00 payment.");
    expect(second.text).toContain('Declined: insufficient balance (balance KES 2,120.00)');
    expect(second.text).toContain('Demo complete.');
  });
});
