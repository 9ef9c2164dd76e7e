import type { VirtualCard } from '@huduma/card-simulator';
import { Pn532Reader, type Pn532ReaderOptions, type Pn532Reader as Reader } from '@huduma/transport-pn532';
import { openPtyPair, Pn532Simulator, type Pn532SimulatorOptions, type PtyPair } from '../src/index';

export interface SerialRig {
  pty: PtyPair;
  sim: Pn532Simulator;
  reader: Reader;
  close(): Promise<void>;
}

/** A pty pair from socat, the simulator on its device end, our reader on its host end. */
export async function serialRig(
  options: { sim?: Pn532SimulatorOptions; reader?: Pn532ReaderOptions } = {},
): Promise<SerialRig> {
  const pty = await openPtyPair();
  const sim = await Pn532Simulator.open(pty.device, options.sim);
  const reader = await Pn532Reader.open(pty.host, { pollMs: 20, ...options.reader });
  return {
    pty,
    sim,
    reader,
    async close() {
      await reader.close();
      await sim.close();
      await pty.close();
    },
  };
}

/**
 * Puts `card` in the simulator's field once the reader has seen the previous card leave (a swap
 * faster than a poll is a real case too, but not the one these tests are about), then connects.
 */
export async function tap(rig: SerialRig, card: VirtualCard) {
  if (rig.sim.cardPresent) rig.sim.remove();
  await until('the reader to see the field empty', () => !rig.reader.state()?.cardPresent);
  rig.sim.insert(card);
  await rig.reader.waitForCard(undefined, { timeoutMs: 5000 });
  return rig.reader.connect();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `done()` holds, at most 5 s. */
export async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
