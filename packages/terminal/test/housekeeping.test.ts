/**
 * What the engine does on its own so uploads never wedge: checkpoints by record count and by
 * age, a capped maxUnsyncedRecords, and no record the clearing service could not store (shift
 * fields, clock).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevPki } from '@huduma/pki';
import { TransactionLog } from '@huduma/txlog';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AUTO_CHECKPOINT_AFTER_MS,
  AUTO_CHECKPOINT_RECORDS,
  FILES,
  initTerminal,
  loadTerminalConfig,
  MAX_UNSYNCED_RECORDS_LIMIT,
  ShiftFieldFormatError,
  TerminalConfigError,
  TransactionRefusedError,
} from '../src/index';
import { makeRig, type Rig } from './helpers';

let rig: Rig | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'huduma-housekeeping-'));
  dirs.push(d);
  return d;
};

async function types(r: Rig): Promise<string[]> {
  return (await r.records()).map((x) => x.type);
}

describe('automatic checkpoints', () => {
  it(`checkpoints after the operation that makes ${AUTO_CHECKPOINT_RECORDS} records unsigned`, async () => {
    rig = await makeRig({ balance: 100_000 });
    await rig.engine.close();
    // Records written without a checkpoint (as an older terminal would have left them).
    const log = await TransactionLog.open(join(rig.dir, FILES.log));
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < AUTO_CHECKPOINT_RECORDS - 2; i++)
      pending.push(
        log.append({
          type: 'pending-resolved',
          time: rig.clock.now,
          terminalSeq: 10_000 + i,
          outcome: 'unknown',
        }),
      );
    await Promise.all(pending);
    await log.close();
    await rig.reopen();
    expect((await types(rig)).includes('checkpoint')).toBe(false);
    await rig.engine.sale({ amount: 100, billRef: 'AUTO-1' });
    const after = await types(rig);
    expect(after[after.length - 1]).toBe('checkpoint');
    expect(after.filter((t) => t === 'checkpoint')).toHaveLength(1);
  });

  it('checkpoints at the next sale once the oldest unsigned record is old enough, not before', async () => {
    rig = await makeRig({ balance: 100_000 });
    await rig.engine.sale({ amount: 100, billRef: 'AGE-1' });
    rig.clock.now += AUTO_CHECKPOINT_AFTER_MS - 60_000;
    await rig.engine.sale({ amount: 100, billRef: 'AGE-2' });
    expect((await types(rig)).includes('checkpoint')).toBe(false);
    rig.clock.now += 120_000;
    await rig.engine.sale({ amount: 100, billRef: 'AGE-3' });
    const after = await types(rig);
    expect(after[after.length - 1]).toBe('checkpoint');
  });
});

describe('maxUnsyncedRecords', () => {
  it('is refused above one upload batch at provisioning, naming the field', async () => {
    const err = await initTerminal({
      dir: tempDir(),
      pki: DevPki.inMemory(),
      terminalId: 'T-CAP1',
      merchantId: 'HC-CAP',
      location: { kind: 'huduma-centre', name: 'Cap' },
      limits: { maxUnsyncedRecords: MAX_UNSYNCED_RECORDS_LIMIT + 2 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalConfigError);
    expect((err as TerminalConfigError).code).toBe('ERR_TERMINAL_CONFIG');
    expect((err as TerminalConfigError).field).toBe('maxUnsyncedRecords');
  });

  it('is capped (not refused) in a terminal.json an older version wrote, so that terminal still opens and syncs', async () => {
    const dir = tempDir();
    await initTerminal({
      dir,
      pki: DevPki.inMemory(),
      terminalId: 'T-CAP2',
      merchantId: 'HC-CAP',
      location: { kind: 'huduma-centre', name: 'Cap' },
    });
    const path = join(dir, FILES.config);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    file.limits.maxUnsyncedRecords = 100_000;
    writeFileSync(path, JSON.stringify(file));
    expect((await loadTerminalConfig(dir)).limits.maxUnsyncedRecords).toBe(MAX_UNSYNCED_RECORDS_LIMIT);
    file.limits.maxUnsyncedRecords = -1;
    writeFileSync(path, JSON.stringify(file));
    const err = await loadTerminalConfig(dir).catch((e: unknown) => e);
    expect((err as TerminalConfigError).field).toBe('maxUnsyncedRecords');
  });
});

describe('records the service could not store are never written', () => {
  it('refuses an operator id with a NUL or too long where the shift opens, naming the field', async () => {
    for (const operatorId of ['cash\u0000ier', 'x'.repeat(65), '']) {
      const err = await makeRig({ engine: { operatorId } }).then(
        async (r) => {
          await r.cleanup();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(operatorId)).toBeInstanceOf(ShiftFieldFormatError);
      expect((err as ShiftFieldFormatError).code).toBe('ERR_SHIFT_FIELD_FORMAT');
      expect((err as ShiftFieldFormatError).field).toBe('operatorId');
    }
  });

  it('refuses sales (and the Z report) while the clock is outside a sane range; nothing is charged or logged', async () => {
    rig = await makeRig({ balance: 100_000 });
    const before = rig.testCard.card.state;
    const logged = (await types(rig)).length;
    for (const now of [Date.UTC(10_000, 0, 1), 0, Date.UTC(2019, 11, 31)]) {
      rig.clock.now = now;
      const err = await rig.engine.sale({ amount: 100, billRef: 'CLOCK' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransactionRefusedError);
      expect((err as TransactionRefusedError).reason).toBe('clock-invalid');
      expect((err as TransactionRefusedError).cashierMessage).toMatch(/clock is wrong/);
      const z = await rig.engine.zReport().catch((e: unknown) => e);
      expect((z as TransactionRefusedError).reason).toBe('clock-invalid');
    }
    expect(rig.testCard.card.state.balance).toBe(before.balance);
    expect((await types(rig)).length).toBe(logged);
    rig.clock.now = Date.now();
    expect((await rig.engine.sale({ amount: 100, billRef: 'CLOCK' })).status).toBe('approved');
  });
});
