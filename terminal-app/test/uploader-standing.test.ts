/**
 * What the terminal learns about its own standing from the clearing service (real service,
 * in-process on PGlite): a revoked terminal stops approving, durably; a forked terminal reports
 * the fork (a critical alert on the service) and keeps refusing to upload.
 */
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedReader } from '@huduma/card-simulator';
import { ForkReportAnswer } from '@huduma/clearing-protocol';
import { DevPki } from '@huduma/pki';
import {
  BatchUploader,
  ClearingClient,
  ClearingRejectedError,
  loadTerminalConfig,
  pollingCardReader,
  SyncStateMismatchError,
  TerminalEngine,
  TransactionRefusedError,
} from '@huduma/terminal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClearingHarness, startClearingService } from '../../test/support/clearing-harness';
import { issueFleetCard, openFleetTerminal, tempDir } from '../../test/support/terminal-fleet';
import { formatStatus } from '../src/cli/format';

const pki = DevPki.inMemory();
const root = tempDir('huduma-standing-');
let svc: ClearingHarness;

beforeAll(async () => {
  svc = await startClearingService(pki);
});
afterAll(async () => {
  await svc?.close();
  rmSync(root, { recursive: true, force: true });
});

function uploader(engine: TerminalEngine): BatchUploader {
  return new BatchUploader({
    engine,
    baseUrl: svc.url,
    servicePublicKey: svc.signer.publicKey,
    retryHooks: { sleep: async () => {} },
  });
}

async function openEngine(dir: string) {
  const reader = new SimulatedReader();
  const engine = await TerminalEngine.open({
    dir,
    reader: pollingCardReader(
      () => (reader.cardPresent ? { transmit: (c: Uint8Array) => reader.transmit(c) } : undefined),
      { pollMs: 2 },
    ),
  });
  return { engine, reader };
}

describe('a revoked terminal', () => {
  it('learns it at sync, keeps it across restarts, and refuses every sale telling the cashier to contact the acquirer', async () => {
    const t = await openFleetTerminal({
      pki,
      dir: join(root, 'rev'),
      terminalId: 'T-REV1',
      merchantId: 'HC-REV1',
      location: { kind: 'huduma-centre', name: 'Revoked counter' },
    });
    const card = await issueFleetCard(pki, join(root, 'cards'), 'rev', { balance: 1_000_000 });
    t.tap(card);
    await t.engine.sale({ amount: 1_000, billRef: 'REV-0' });
    t.remove();
    const first = await uploader(t.engine).syncNow();
    expect(first.errors).toEqual([]);
    expect(first.revoked).toBeUndefined();

    const revoke = await svc.operator('POST', '/v1/admin/terminals/T-REV1/revoke', { reason: 'stolen' });
    expect(revoke.status).toBe(200);
    const second = await uploader(t.engine).syncNow();
    expect(second.revoked).toBe(true);
    expect(second.errors.map((e) => (e as { serviceCode?: string }).serviceCode)).toContain(
      'ERR_TERMINAL_REVOKED',
    );
    await t.engine.close();

    // After a restart, offline, the terminal still knows.
    const { engine, reader } = await openEngine(t.dir);
    const status = engine.status();
    expect(status.offlineRefusal?.reason).toBe('terminal-revoked');
    expect(formatStatus(status, engine.config.limits)).toMatch(/SALES STOPPED: .*Contact the acquirer/);
    const balance = card.card.state.balance;
    reader.insert(card.card);
    const err = await engine.sale({ amount: 1_000, billRef: 'REV-1' }).catch((e: unknown) => e);
    reader.remove();
    expect(err).toBeInstanceOf(TransactionRefusedError);
    expect((err as TransactionRefusedError).reason).toBe('terminal-revoked');
    expect((err as TransactionRefusedError).cashierMessage).toMatch(/Contact the acquirer/);
    expect(card.card.state.balance).toBe(balance);
    await engine.close();
  });
});

describe('a forked terminal', () => {
  it('reports the fork to the service (a critical alert) and keeps refusing to upload, changing nothing there', async () => {
    const t = await openFleetTerminal({
      pki,
      dir: join(root, 'fork'),
      terminalId: 'T-FORK1',
      merchantId: 'HC-FORK1',
      location: { kind: 'huduma-centre', name: 'Forked counter' },
    });
    const card = await issueFleetCard(pki, join(root, 'cards'), 'fork', { balance: 1_000_000 });
    t.tap(card);
    await t.engine.sale({ amount: 1_000, billRef: 'FORK-0' });
    t.remove();
    await t.engine.close();
    // A backup of the terminal directory, restored later over a terminal that had synced since.
    const backup = join(root, 'fork-backup');
    cpSync(t.dir, backup, { recursive: true });

    const live = await openEngine(t.dir);
    expect((await uploader(live.engine).syncNow()).errors).toEqual([]);
    await live.engine.close();
    const held = async () =>
      (
        await svc.db.query<{ n: number }>(
          'SELECT COUNT(*)::int AS n FROM accepted_records WHERE terminal_id = $1',
          ['T-FORK1'],
        )
      )[0]!.n;
    const heldBefore = await held();

    const restored = await openEngine(backup);
    restored.reader.insert(card.card);
    await restored.engine.sale({ amount: 2_000, billRef: 'FORK-1' });
    restored.reader.remove();
    const report = await uploader(restored.engine).syncNow();
    const mismatch = report.errors.find((e) => e instanceof SyncStateMismatchError);
    expect(mismatch).toBeDefined();
    expect(report.forkReported?.alertId).toBeGreaterThan(0);
    const alerts = await svc.db.query<{
      alert_id: number;
      severity: string;
      details: Record<string, unknown>;
    }>(
      `SELECT alert_id, severity, details FROM alerts WHERE terminal_id = $1 AND kind = 'terminal-reported-fork'`,
      ['T-FORK1'],
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.alert_id).toBe(report.forkReported!.alertId);
    expect(alerts[0]!.severity).toBe('critical');
    expect(alerts[0]!.details).toMatchObject({ seq: heldBefore - 1 });

    // Again: still refused, the same alert, nothing overwritten on either side.
    const again = await uploader(restored.engine).syncNow();
    expect(again.errors.some((e) => e instanceof SyncStateMismatchError)).toBe(true);
    expect(again.forkReported?.alertId).toBe(report.forkReported!.alertId);
    expect(await held()).toBe(heldBefore);
    expect(restored.engine.status().unsyncedRecords).toBeGreaterThan(0);
    await restored.engine.close();
  });

  it('the fork-report route takes only terminal-signed, well-formed reports', async () => {
    const anonymous = await fetch(`${svc.url}/v1/terminals/T-FORK1/fork-reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seq: 1, localHash: 'a'.repeat(64), serviceHash: 'b'.repeat(64) }),
    });
    expect(anonymous.status).toBe(401);
    const c = await loadTerminalConfig(join(root, 'fork'));
    const client = new ClearingClient({
      baseUrl: svc.url,
      terminal: {
        terminalId: c.terminalId,
        certificateBytes: c.certificateBytes,
        privateKey: c.privateKey,
        publicKey: c.certificate.keyAgreementKey,
      },
    });
    const post = (body: unknown, terminalId = 'T-FORK1') =>
      client
        .call(ForkReportAnswer, 'POST', `/v1/terminals/${terminalId}/fork-reports`, {
          body: new TextEncoder().encode(JSON.stringify(body)),
          contentType: 'application/json',
          signed: true,
        })
        .catch((e: unknown) => e as ClearingRejectedError);
    const bad = (await post({
      seq: -1,
      localHash: 'a'.repeat(64),
      serviceHash: 'b'.repeat(64),
    })) as ClearingRejectedError;
    expect(bad).toBeInstanceOf(ClearingRejectedError);
    expect(bad.status).toBe(400);
    const shortHash = (await post({
      seq: 1,
      localHash: 'a',
      serviceHash: 'b'.repeat(64),
    })) as ClearingRejectedError;
    expect(shortHash.status).toBe(400);
    const otherTerminal = (await post(
      { seq: 1, localHash: 'a'.repeat(64), serviceHash: 'b'.repeat(64) },
      'T-REV1',
    )) as ClearingRejectedError;
    expect(otherTerminal.status).toBe(403);
  });
});
