/**
 * A really full filesystem (a small tmpfs mounted as the terminal's data directory, filled with
 * a filler file) through the engine and the simulated card: no charge without durable room, a
 * charged sale always recorded, every storage failure a typed refusal.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILES, TransactionRefusedError } from '@huduma/terminal';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chargesInLog, makeRig, type Rig } from '../../packages/terminal/test/helpers';
import { runTerminalCli } from '../src/cli/commands';

let mnt: string;
let rig: Rig | undefined;
let n = 0;

beforeAll(() => {
  mnt = mkdtempSync(join(tmpdir(), 'huduma-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  } catch (err) {
    throw new Error(
      `this test mounts a 2 MiB tmpfs and needs root (mount -t tmpfs): ${(err as Error).message}`,
    );
  }
});
afterEach(async () => {
  await rig?.engine.close().catch(() => {});
  rig = undefined;
  rmSync(join(mnt, 'filler'), { force: true });
});
afterAll(() => {
  try {
    execFileSync('umount', [mnt]);
  } catch {
    // A failed test may leave a file open on it: detach it anyway, so no mount outlives the run.
    execFileSync('umount', ['-l', mnt]);
  }
  rmSync(mnt, { recursive: true, force: true });
});

/** Fills the filesystem to the last byte (synchronous: it runs inside an engine event). */
function fillDisk(): void {
  const fd = openSync(join(mnt, 'filler'), 'a');
  try {
    for (const size of [1 << 16, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}
const freeDisk = () => rmSync(join(mnt, 'filler'), { force: true });

async function rigOnTmpfs(): Promise<Rig> {
  const dir = join(mnt, `t${++n}`);
  mkdirSync(dir);
  return makeRig({ dir, balance: 100_000 });
}

async function refusal(p: Promise<unknown>): Promise<TransactionRefusedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransactionRefusedError);
  return err as TransactionRefusedError;
}

describe('a full disk never strands a sale', () => {
  it('full before the sale: refused before the card is charged, with the cashier told what to do', async () => {
    rig = await rigOnTmpfs();
    const before = rig.testCard.card.state;
    fillDisk();
    const err = await refusal(rig.engine.sale({ amount: 2_500, billRef: 'FULL-1' }));
    expect(err.reason).toBe('storage-full');
    expect(err.code).toBe('ERR_REFUSED_STORAGE_FULL');
    expect(err.cashierMessage).toMatch(/no payment was taken/);
    const after = rig.testCard.card.state;
    expect(after.balance).toBe(before.balance);
    expect(after.counter).toBe(before.counter);
    freeDisk();
    const ok = await rig.engine.sale({ amount: 2_500, billRef: 'FULL-1' });
    expect(ok.status).toBe('approved');
    expect(rig.testCard.card.state.balance).toBe(before.balance - 2_500);
  });

  // tmpfs allocates whole pages: an append that fits in the slack of the log file's last page
  // needs no new space. So each case repeats the sale (freeing the disk in between) until the
  // append after the DEBIT really needed a new page; every round must keep card and log equal.
  const reserveSize = (r: Rig) => statSync(join(r.dir, FILES.reserve), { throwIfNoEntry: false })?.size ?? 0;

  it('full between the DEBIT and its record: the reserve is released, the sale is recorded, then sales stop until space is back', async () => {
    const r = await rigOnTmpfs();
    rig = r;
    const start = r.testCard.card.state.balance;
    let armed = false;
    r.engine.on((e) => {
      // 'processing' is announced after the intent and the pending record are on disk, just
      // before the DEBIT goes to the card.
      if (e.type === 'processing' && armed) {
        armed = false;
        fillDisk();
      }
    });
    let charged = 0;
    let rounds = 0;
    for (; rounds < 30 && (rounds === 0 || reserveSize(r) > 0); rounds++) {
      freeDisk();
      armed = true;
      const sale = await r.engine.sale({ amount: 400, billRef: `FULL-${rounds}` });
      expect(sale.status).toBe('approved');
      charged += 400;
      expect(r.testCard.card.state.balance).toBe(start - charged);
      const log = chargesInLog(await r.records(), r.testCard.cardNumber);
      expect(log.net).toBe(charged);
      expect(log.bySeq.get(sale.terminalSeq)).toBe(1);
      expect(r.engine.status().unresolved).toEqual([]);
    }
    // The reserve was spent on a charged sale's record.
    expect(reserveSize(r)).toBe(0);

    // Still full: the next sale is refused before the card, nothing charged.
    const err = await refusal(r.engine.sale({ amount: 1_000, billRef: 'FULL-X' }));
    expect(err.reason).toBe('storage-full');
    expect(r.testCard.card.state.balance).toBe(start - charged);

    freeDisk();
    await r.engine.sale({ amount: 1_000, billRef: 'FULL-X' });
    expect(r.testCard.card.state.balance).toBe(start - charged - 1_000);
    expect(chargesInLog(await r.records(), r.testCard.cardNumber).net).toBe(charged + 1_000);
    expect(reserveSize(r)).toBeGreaterThan(0);
  });

  it('full with no reserve left: a typed refusal that says the card was charged, and settling it later never throws a raw error', async () => {
    const r = await rigOnTmpfs();
    rig = r;
    const start = r.testCard.card.state.balance;
    let armed = false;
    r.engine.on((e) => {
      if (e.type === 'processing' && armed) {
        armed = false;
        truncateSync(join(r.dir, FILES.reserve), 0);
        fillDisk();
      }
    });
    let recorded = 0;
    let err: unknown;
    for (let round = 0; round < 30 && !err; round++) {
      freeDisk();
      armed = true;
      err = await r.engine.sale({ amount: 300, billRef: `FULL-${round}` }).then(
        () => {
          recorded += 300;
          return undefined;
        },
        (e: unknown) => e,
      );
    }
    expect(err).toBeInstanceOf(TransactionRefusedError);
    const refused = err as TransactionRefusedError;
    expect(refused.reason).toBe('storage-full');
    expect(refused.cashierMessage).toMatch(/charged.*do NOT charge again/);
    expect(r.testCard.card.state.balance).toBe(start - recorded - 300);
    expect(chargesInLog(await r.records(), r.testCard.cardNumber).net).toBe(recorded);
    expect(r.engine.status().unresolved).toHaveLength(1);

    // The card comes back while the disk is still full: settling it refuses, typed.
    const settle = await refusal(r.engine.recoverCard());
    expect(settle.reason).toBe('storage-full');
    expect(settle.cashierMessage).toMatch(/earlier interrupted payment/);

    freeDisk();
    const notices = await r.engine.recoverCard();
    expect(notices.map((x) => x.outcome)).toEqual(['completed']);
    expect(r.testCard.card.state.balance).toBe(start - recorded - 300);
    expect(chargesInLog(await r.records(), r.testCard.cardNumber).net).toBe(recorded + 300);
    expect(r.engine.status().unresolved).toEqual([]);
  });

  it('the CLI says a full disk in one line and exits non-zero, never with a stack trace', async () => {
    const r = await rigOnTmpfs();
    await r.engine.close();
    fillDisk();
    let err = '';
    let code = 0;
    // Each Z report appends a few hundred bytes: the log page's slack runs out within a few.
    for (let i = 0; i < 40 && code === 0; i++) {
      err = '';
      code = await runTerminalCli(['close-shift', '--dir', r.dir], {
        stdout: { write: () => true },
        stderr: { write: (t: string) => (err += t) },
      });
    }
    expect(code).toBe(1);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^error: the terminal's storage is full/);
    expect(err).not.toMatch(/\n\s+at /);
  });
});
