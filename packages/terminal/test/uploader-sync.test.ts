/**
 * The sync client against a real clearing service (PGlite, Fastify on 127.0.0.1): backlogs in
 * several checkpointed batches, dropped connections, refused batches, the signed deny list, the
 * catalog, and online reloads (cash and M-Pesa top-up).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DevPki } from '@huduma/pki';
import { decodeUploadBatch, encodeUploadBatch, signTerminalRequest } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClearingHarness, startClearingService } from '../../../test/support/clearing-harness';
import {
  type FleetCard,
  type FleetTerminal,
  issueFleetCard,
  openFleetTerminal,
  tempDir,
} from '../../../test/support/terminal-fleet';
import { TransactionRefusedError } from '../src/index';
import {
  BatchUploader,
  type BatchUploaderOptions,
  ClearingClient,
  ClearingRejectedError,
  clearingLoadAuthorizer,
  loadPendingTopups,
  loadSavedCatalog,
  ServiceSignatureError,
  SyncRetriesExhaustedError,
  type UploadProgress,
} from '../src/uploader';

const pki = DevPki.inMemory();
const root = tempDir('huduma-uploader-');
let svc: ClearingHarness;
let terminalCount = 0;
const opened: FleetTerminal[] = [];

beforeAll(async () => {
  svc = await startClearingService(pki);
});
afterAll(async () => {
  // The fast lane shares this process with other files: no log file left open behind.
  for (const t of opened) await t.engine.close();
  await svc?.close();
  rmSync(root, { recursive: true, force: true });
});

async function counter(kind: 'huduma-centre' | 'partner-merchant' = 'huduma-centre'): Promise<FleetTerminal> {
  const n = ++terminalCount;
  const t = await openFleetTerminal({
    pki,
    dir: join(root, `t${n}`),
    terminalId: `T-UP${n}`,
    merchantId: kind === 'huduma-centre' ? 'HC-NBI01' : 'PM-0001',
    location: { kind, name: `Counter ${n}` },
    loadAuthorizer: (config) =>
      clearingLoadAuthorizer(
        new ClearingClient({
          baseUrl: svc.url,
          terminal: {
            terminalId: config.terminalId,
            certificateBytes: config.certificateBytes,
            privateKey: config.privateKey,
            publicKey: config.certificate.keyAgreementKey,
          },
        }),
      ),
  });
  opened.push(t);
  return t;
}

const noSleep: number[] = [];
function uploader(t: FleetTerminal, extra: Partial<BatchUploaderOptions> = {}): BatchUploader {
  return new BatchUploader({
    engine: t.engine,
    baseUrl: svc.url,
    servicePublicKey: svc.signer.publicKey,
    retryHooks: { sleep: async (ms) => void noSleep.push(ms) },
    ...extra,
  });
}

async function sell(
  t: FleetTerminal,
  card: FleetCard,
  n: number,
  amount = 5_000,
  afterEach?: () => Promise<unknown>,
) {
  t.tap(card);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sale = await t.engine.sale({ amount, billRef: `B-${t.terminalId}-${i}` });
    total += sale.amountCents;
    await afterEach?.();
  }
  t.remove();
  return total;
}

async function held(terminalId: string) {
  const rows = await svc.db.query<{ n: number; distinct_seqs: number; sales: number | null }>(
    `SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS distinct_seqs,
       SUM(CASE WHEN record_type = 'debit' THEN amount_cents ELSE 0 END)::bigint AS sales
     FROM accepted_records WHERE terminal_id = $1`,
    [terminalId],
  );
  return rows[0]!;
}

describe('batch upload', () => {
  it('uploads a backlog in several checkpointed batches with progress, and the service state matches', async () => {
    const t = await counter();
    // Applet v2: a card takes at most 32 debits before it must sync, so the backlog is on four cards (two per round).
    const cards = await Promise.all(
      ['backlog-a', 'backlog-b', 'backlog-c', 'backlog-d'].map((name) =>
        issueFleetCard(pki, join(root, 'cards'), name, { balance: 5_000_000 }),
      ),
    );
    const up = uploader(t, { maxBatchRecords: 40 });
    // The background loop checkpoints a long offline tail so it can go up in parts.
    const total =
      (await sell(t, cards[0]!, 25, 5_000, () => up.checkpointIfLong())) +
      (await sell(t, cards[1]!, 20, 5_000, () => up.checkpointIfLong()));
    const progress: UploadProgress[] = [];
    const before = t.engine.status();
    expect(before.unsyncedRecords).toBe(before.logRecords);
    const report = await up.upload();
    const after = t.engine.status();
    expect(report.batches).toBeGreaterThanOrEqual(3);
    expect(report.receipts.every((r) => r.status === 'accepted')).toBe(true);
    expect(after.unsyncedRecords).toBe(0);
    expect(after.lastSyncAt).toBeGreaterThanOrEqual(before.lastSyncAt);
    const state = await up.client.state();
    expect(state.lastSeq).toBe(after.logRecords - 1);
    const h = await held(t.terminalId);
    expect(h.n).toBe(after.logRecords);
    expect(h.sales).toBe(total);
    // Progress after every part, monotonic, ending at everything.
    const up2 = uploader(t, { maxBatchRecords: 40, onProgress: (p) => progress.push(p) });
    await sell(t, cards[2]!, 15, 5_000, () => up2.checkpointIfLong());
    await sell(t, cards[3]!, 15, 5_000, () => up2.checkpointIfLong());
    const second = await up2.upload();
    expect(progress.length).toBe(second.batches);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.records).toBeGreaterThan(progress[i - 1]!.records);
      expect(progress[i]!.bytes).toBeGreaterThan(progress[i - 1]!.bytes);
    }
    const last = progress[progress.length - 1]!;
    expect(last.records).toBe(last.totalRecords);
    expect(last.recordsPerSecond).toBeGreaterThan(0);
    expect(t.engine.status().unsyncedRecords).toBe(0);
  });

  it('resumes after connections dropped before and after the service stored a batch: no loss, no duplicate', async () => {
    const t = await counter();
    const card = await issueFleetCard(pki, join(root, 'cards'), 'drops', { balance: 5_000_000 });
    const up = uploader(t, { maxBatchRecords: 20 });
    const total = await sell(t, card, 25, 7_500, () => up.checkpointIfLong());
    svc.faults.dropBeforeStore = 1;
    svc.faults.dropAfterStore = 1;
    svc.faults.unavailable = 1;
    const requestsBefore = svc.batchRequests;
    const report = await up.upload();
    expect(report.retries).toBe(3);
    expect(svc.batchRequests - requestsBefore).toBe(report.batches + 3);
    const h = await held(t.terminalId);
    const local = t.engine.status();
    expect(h.n).toBe(local.logRecords);
    expect(h.distinct_seqs).toBe(local.logRecords);
    expect(h.sales).toBe(total);
    expect(local.unsyncedRecords).toBe(0);
    // A repeated upload changes nothing.
    const again = await up.upload();
    expect(again.batches).toBe(0);
    expect((await held(t.terminalId)).n).toBe(local.logRecords);
  });

  it('backs off with bounded, jittered pauses and gives up after maxAttempts, marker unmoved', async () => {
    const t = await counter();
    const card = await issueFleetCard(pki, join(root, 'cards'), 'outage', { balance: 1_000_000 });
    await sell(t, card, 3);
    const pauses: number[] = [];
    const up = uploader(t, {
      retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 300 },
      retryHooks: { sleep: async (ms) => void pauses.push(ms), random: () => 0.999 },
    });
    svc.faults.unavailable = 100;
    try {
      const err = await up.upload().catch((e) => e);
      expect(err).toBeInstanceOf(SyncRetriesExhaustedError);
      expect(err.attempts).toBe(5);
      expect(err.cause.code).toBe('ERR_SYNC_SERVER');
    } finally {
      svc.faults.unavailable = 0;
    }
    // Caps 100, 200, 300, 300 (bounded), each drawn below its cap.
    expect(pauses).toEqual([99, 199, 299, 299]);
    expect(t.engine.status().unsyncedRecords).toBe(t.engine.status().logRecords);
    // With real jitter the pauses stay within their caps and differ.
    const jittered: number[] = [];
    svc.faults.unavailable = 3;
    const up2 = uploader(t, {
      retry: { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 4000 },
      retryHooks: { sleep: async (ms) => void jittered.push(ms) },
    });
    await up2.upload();
    expect(jittered).toHaveLength(3);
    jittered.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(Math.min(4000, 1000 * 2 ** i));
    });
    expect(t.engine.status().unsyncedRecords).toBe(0);
  });

  it('surfaces a refused batch with the record and the reason, and does not advance the marker', async () => {
    const t = await counter();
    const card = await issueFleetCard(pki, join(root, 'cards'), 'refused', { balance: 1_000_000 });
    await sell(t, card, 2);
    let tamperedSeq = -1;
    // A fetch that flips one byte of the batch's closing checkpoint signature on the way out
    // (and signs the request anew with the terminal key, so the batch itself is what is refused).
    const tampering: typeof fetch = async (input, init) => {
      if (init?.method === 'POST' && String(input).endsWith('/batches') && init.body instanceof Uint8Array) {
        const batch = decodeUploadBatch(init.body);
        const records = batch.records.map((r) => r.slice());
        const last = records[records.length - 1]!;
        tamperedSeq = records.length - 1;
        last[last.length - 1]! ^= 0x01;
        const body = encodeUploadBatch({ ...batch, records });
        const config = t.engine.config;
        const headers = {
          ...(init.headers as Record<string, string>),
          ...signTerminalRequest({
            method: 'POST',
            path: new URL(String(input)).pathname,
            body,
            certificate: config.certificateBytes,
            privateKey: config.privateKey,
            publicKey: config.certificate.keyAgreementKey,
          }),
        };
        return fetch(input, { ...init, headers, body });
      }
      return fetch(input, init);
    };
    const up = uploader(t, { fetch: tampering });
    const before = t.engine.syncedRecordCount;
    const requests = svc.batchRequests;
    const err = await up.upload().catch((e) => e);
    expect(err).toBeInstanceOf(ClearingRejectedError);
    expect(err.status).toBe(422);
    expect(err.seq).toBe(tamperedSeq);
    expect(err.reason).toMatch(/signature/i);
    expect(err.message).toContain(`record ${tamperedSeq}`);
    expect(svc.batchRequests - requests).toBe(1); // not retried
    expect(t.engine.syncedRecordCount).toBe(before);
    expect((await held(t.terminalId)).n).toBe(0);
    // The untouched log still uploads in full.
    await uploader(t).upload();
    expect((await held(t.terminalId)).n).toBe(t.engine.status().logRecords);
  });
});

describe('deny list and catalog', () => {
  it('fetches the signed deny list; a card denied by the operator is blocked at the next tap with no network', async () => {
    const t = await counter('partner-merchant');
    const card = await issueFleetCard(pki, join(root, 'cards'), 'stolen', { balance: 1_000_000 });
    const up = uploader(t);
    const first = await up.refreshDenyList();
    const added = await svc.operator('POST', '/v1/admin/deny-list', {
      cardNumber: card.cardNumber,
      action: 'add',
      reason: 'reported stolen',
    });
    expect(added.status).toBe(200);
    // A list signed by another key is refused and changes nothing.
    const impostor = uploader(t, { servicePublicKey: pki.issuerCaPublicKey });
    await expect(impostor.refreshDenyList()).rejects.toBeInstanceOf(ServiceSignatureError);
    expect(t.engine.denyList.has(card.cardNumber)).toBe(false);
    const report = await up.refreshDenyList();
    expect(report).toMatchObject({ fromVersion: first.toVersion, added: 1, replaced: false });
    expect(t.engine.denyList.has(card.cardNumber)).toBe(true);
    // The fetch is a signed request: the service knows this terminal holds the current version.
    const fleetView = async () =>
      (await svc.operator('GET', '/v1/admin/deny-list/terminals')).json as {
        version: number;
        behind: Array<{ terminalId: string; versionHeld: number | null; versionsBehind: number }>;
      };
    expect((await fleetView()).version).toBe(report.toVersion);
    expect((await fleetView()).behind.map((b) => b.terminalId)).not.toContain(t.terminalId);
    // Offline now: the client points nowhere, the engine never needed it.
    const offline = new BatchUploader({
      engine: t.engine,
      baseUrl: 'http://127.0.0.1:9',
      servicePublicKey: svc.signer.publicKey,
      retry: { maxAttempts: 1 },
    });
    expect((await offline.syncNow()).errors.map((e) => e.code)).toContain('ERR_SYNC_RETRIES_EXHAUSTED');
    t.tap(card);
    const refusal = await t.engine.sale({ amount: 1_000, billRef: 'B-STOLEN' }).catch((e) => e);
    t.remove();
    expect(refusal).toBeInstanceOf(TransactionRefusedError);
    expect(refusal.reason).toBe('deny-listed');
    // The operator removes it again: the delta applies on top.
    await svc.operator('POST', '/v1/admin/deny-list', {
      cardNumber: card.cardNumber,
      action: 'remove',
      reason: 'found',
    });
    expect((await fleetView()).behind).toContainEqual({
      terminalId: t.terminalId,
      versionHeld: report.toVersion,
      fetchedAt: expect.any(String),
      versionsBehind: 1,
    });
    expect(await up.refreshDenyList()).toMatchObject({ removed: 1 });
    expect(t.engine.denyList.has(card.cardNumber)).toBe(false);
  });

  it('fetches the catalog and keeps it for the next start', async () => {
    const t = await counter();
    const catalog = await uploader(t).refreshCatalog();
    expect(catalog.list().length).toBeGreaterThan(5);
    const saved = await loadSavedCatalog(t.dir);
    expect(saved?.list()).toEqual(catalog.list());
  });
});

describe('online loads', () => {
  it('reloads cash and an M-Pesa top-up through the service, and the uploaded reloads match their authorizations', async () => {
    const t = await counter('huduma-centre');
    const card = await issueFleetCard(pki, join(root, 'cards'), 'reload');
    // A terminal syncs when it starts: that also enrols it with the service.
    await uploader(t).upload();
    t.tap(card);
    const cash = await t.engine.reload({ amountCents: 250_000 });
    expect(cash.balanceAfterCents).toBe(250_000);
    const notified = await svc.mpesaTopup('QX1234ABCD', card.cardNumber, '300.50');
    expect(notified.status).toBe(200);
    const client = uploader(t).client;
    const loaded = await loadPendingTopups(t.engine, client, card.cardNumber);
    t.remove();
    expect(loaded).toHaveLength(1);
    expect(loaded[0]!.approved.balanceAfterCents).toBe(250_000 + 30_050);
    expect(await client.pendingTopups(card.cardNumber)).toEqual([]);
    const alertsBefore = (await svc.operator('GET', '/v1/admin/alerts?limit=1000')).json.alerts.length;
    await uploader(t).upload();
    const alerts = (await svc.operator('GET', '/v1/admin/alerts?limit=1000')).json.alerts;
    expect(
      alerts.slice(alertsBefore).filter((a: { terminalId: string }) => a.terminalId === t.terminalId),
    ).toEqual([]);
  });
});
