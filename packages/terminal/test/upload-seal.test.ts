/**
 * A log with no checkpoint for more than MAX_BATCH_RECORDS records (old data: the CLI never
 * checkpointed by itself) still uploads: batches that do not end in a checkpoint carry a seal,
 * a terminal signature over the batch's last record, and the service refuses a batch whose seal
 * is missing or does not verify.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedReader } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { checkpointMessage, MAX_BATCH_RECORDS, nodeCryptoSigner, TransactionLog } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClearingHarness, startClearingService } from '../../../test/support/clearing-harness';
import { issueFleetCard, openFleetTerminal, tempDir } from '../../../test/support/terminal-fleet';
import { FILES, pollingCardReader, TerminalEngine } from '../src/index';
import { BatchUploader, ClearingClient, ClearingRejectedError } from '../src/uploader';

const pki = DevPki.inMemory();
const root = tempDir('huduma-seal-');
let svc: ClearingHarness;

beforeAll(async () => {
  svc = await startClearingService(pki);
});
afterAll(async () => {
  await svc?.close();
  rmSync(root, { recursive: true, force: true });
});

const OLD_RECORDS = 15_000;

describe('uploads never wedge on a long stretch without a checkpoint', () => {
  it('syncs a log of 15,000+ records with no checkpoint completely: every record once, settlement exact', async () => {
    const t = await openFleetTerminal({
      pki,
      dir: join(root, 't1'),
      terminalId: 'T-SEAL1',
      merchantId: 'HC-SEAL1',
      location: { kind: 'huduma-centre', name: 'Seal counter' },
    });
    const card = await issueFleetCard(pki, join(root, 'cards'), 'seal', { balance: 5_000_000 });
    t.tap(card);
    let total = 0;
    for (let i = 0; i < 3; i++)
      total += (await t.engine.sale({ amount: 12_345, billRef: `S1-${i}` })).amountCents;
    t.remove();
    await t.engine.close();

    // Old data: 15,000 records appended through txlog with no checkpoint between them (as a
    // terminal whose maxUnsyncedRecords was above 10,000 and that never checkpointed wrote them).
    const log = await TransactionLog.open(join(t.dir, FILES.log));
    const now = Date.now();
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < OLD_RECORDS / 2; i++) {
      const terminalSeq = 1_000 + i;
      appends.push(
        log.append({
          type: 'pending-debit',
          time: now,
          terminalSeq,
          cardNumber: card.cardNumber,
          amountCents: 100,
          billRef: `OLD-${i}`,
        }),
        log.append({ type: 'pending-resolved', time: now, terminalSeq, outcome: 'not-charged' }),
      );
    }
    await Promise.all(appends);
    await log.close();

    const reader = new SimulatedReader();
    const engine = await TerminalEngine.open({
      dir: t.dir,
      reader: pollingCardReader(
        () => (reader.cardPresent ? { transmit: (c) => reader.transmit(c) } : undefined),
        {
          pollMs: 2,
        },
      ),
    });
    expect(engine.status().logRecords).toBeGreaterThan(OLD_RECORDS + 3);

    const up = new BatchUploader({
      engine,
      baseUrl: svc.url,
      servicePublicKey: svc.signer.publicKey,
      maxBatchRecords: MAX_BATCH_RECORDS,
    });
    const report = await up.upload();
    expect(report.batches).toBeGreaterThanOrEqual(2);
    const local = engine.status();
    expect(local.unsyncedRecords).toBe(0);
    const rows = await svc.db.query<{ n: number; distinct_seqs: number; sales: number }>(
      `SELECT COUNT(*)::int AS n, COUNT(DISTINCT seq)::int AS distinct_seqs,
         SUM(CASE WHEN record_type = 'debit' THEN amount_cents ELSE 0 END)::bigint AS sales
       FROM accepted_records WHERE terminal_id = $1`,
      ['T-SEAL1'],
    );
    expect(Number(rows[0]!.n)).toBe(local.logRecords);
    expect(Number(rows[0]!.distinct_seqs)).toBe(local.logRecords);
    expect(Number(rows[0]!.sales)).toBe(total);
    const date = new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Nairobi' }).format(new Date());
    const settlement = await svc.operator('GET', `/v1/admin/settlement?date=${date}`);
    const line = settlement.json.merchants.find((m: { merchantId: string }) => m.merchantId === 'HC-SEAL1');
    expect(line.debitCount).toBe(3);
    expect(line.netCents).toBe(total);
    // Back under the limit, the terminal sells again, and that sale goes up too.
    reader.insert(card.card);
    total += (await engine.sale({ amount: 6_789, billRef: 'S1-after' })).amountCents;
    reader.remove();
    await up.upload();
    expect(engine.status().unsyncedRecords).toBe(0);
    await engine.close();
  }, 60_000);

  it('refuses a batch that ends without a checkpoint and has no seal, or a seal that does not verify', async () => {
    const t = await openFleetTerminal({
      pki,
      dir: join(root, 't2'),
      terminalId: 'T-SEAL2',
      merchantId: 'HC-SEAL2',
      location: { kind: 'huduma-centre', name: 'Seal counter 2' },
    });
    const card = await issueFleetCard(pki, join(root, 'cards'), 'seal2', { balance: 1_000_000 });
    t.tap(card);
    await t.engine.sale({ amount: 1_000, billRef: 'S2-0' });
    t.remove();
    const stored = [];
    for await (const r of t.engine.storedRecords(0)) stored.push(r);
    const last = stored[stored.length - 1]!;
    expect(last.record.type).not.toBe('checkpoint');
    const c = t.engine.config;
    const client = new ClearingClient({
      baseUrl: svc.url,
      terminal: {
        terminalId: c.terminalId,
        certificateBytes: c.certificateBytes,
        privateKey: c.privateKey,
        publicKey: c.certificate.keyAgreementKey,
      },
    });
    const bytes = stored.map((r) => r.bytes);
    const refusal = async (seal?: Uint8Array) => {
      const err = await client.uploadBatch(bytes, seal).catch((e) => e);
      expect(err).toBeInstanceOf(ClearingRejectedError);
      return (err as ClearingRejectedError).serviceCode;
    };
    expect(await refusal()).toBe('ERR_BATCH_UNSIGNED');
    const signer = nodeCryptoSigner(c.privateKey, c.terminalId);
    // Signed by the right key over the wrong record, and by the right key over the wrong terminal's id.
    const wrongSeq = await signer.sign(checkpointMessage(c.terminalId, last.seq - 1, last.hash));
    expect(await refusal(wrongSeq)).toBe('ERR_BATCH_SEAL_SIGNATURE');
    const other = await signer.sign(checkpointMessage('T-OTHER', last.seq, last.hash));
    expect(await refusal(other)).toBe('ERR_BATCH_SEAL_SIGNATURE');
    expect(
      (await svc.db.query('SELECT 1 FROM accepted_records WHERE terminal_id = $1', ['T-SEAL2'])).length,
    ).toBe(0);
    // The right seal is accepted.
    const receipt = await client.uploadBatch(
      bytes,
      await signer.sign(checkpointMessage(c.terminalId, last.seq, last.hash)),
    );
    expect(receipt.heldUpToSeq).toBe(last.seq);
    await t.engine.close();
  });
});
