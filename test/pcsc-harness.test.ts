import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PcscHarness, startPcscHarness } from './support/pcsc-harness';

// Raw pcsclite on purpose: this checks the harness itself, independently of @huduma/transport-pcsc.
const require = createRequire(import.meta.url);
type RawReader = {
  name: string;
  connected: boolean;
  SCARD_SHARE_SHARED: number;
  SCARD_LEAVE_CARD: number;
  on(event: 'status', cb: (status: { state: number; atr?: Buffer }) => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  connect(opts: { share_mode: number }, cb: (err: Error | null, protocol: number) => void): void;
  transmit(data: Buffer, len: number, protocol: number, cb: (err: Error | null, data: Buffer) => void): void;
  disconnect(disposition: number, cb: (err: Error | null) => void): void;
  close(): void;
};
type RawPcsc = {
  on(event: 'reader', cb: (r: RawReader) => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  close(): void;
};

describe('PC/SC harness (pcscd + vpcd in a private namespace)', () => {
  let harness: PcscHarness;

  beforeAll(async () => {
    harness = await startPcscHarness();
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('runs pcscd on its own socket with the two vpcd readers', () => {
    expect(harness.readers).toEqual(['Virtual PCD 00 00', 'Virtual PCD 00 01']);
    expect(existsSync(harness.socketPath)).toBe(true);
    expect(process.env.PCSCLITE_CSOCK_NAME).toBe(harness.socketPath);
  });

  it('carries APDUs from a PC/SC client to the inserted virtual card and back', async () => {
    await harness.insertCard(0);
    const pcsc = require('pcsclite')() as RawPcsc;
    pcsc.on('error', () => {});
    const all: RawReader[] = [];
    const reader = await new Promise<RawReader>((resolve) => {
      pcsc.on('reader', (r) => {
        all.push(r);
        r.on('error', () => {});
        if (r.name !== harness.readers[0]) return;
        r.on('status', (s) => {
          if (s.atr && s.atr.length > 0) resolve(r);
        });
      });
    });
    const protocol = await new Promise<number>((resolve, reject) =>
      reader.connect({ share_mode: reader.SCARD_SHARE_SHARED }, (e, p) => (e ? reject(e) : resolve(p))),
    );
    const transmit = (hex: string) =>
      new Promise<string>((resolve, reject) =>
        reader.transmit(Buffer.from(hex, 'hex'), 258, protocol, (e, d) =>
          e ? reject(e) : resolve(d.toString('hex')),
        ),
      );
    expect(await transmit('0001000003010203')).toBe('0102039000');
    const before = (await harness.cardStats(0)).commandsAnswered;
    await transmit('00A4040000');
    expect((await harness.cardStats(0)).commandsAnswered).toBe(before + 1);
    await new Promise<void>((resolve) => reader.disconnect(reader.SCARD_LEAVE_CARD, () => resolve()));
    for (const r of all) r.close();
    pcsc.close();
  });

  it('stop() ends pcscd, leaving no process behind', async () => {
    const pid = harness.pcscdPid();
    expect(pid).toBeGreaterThan(0);
    await harness.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
