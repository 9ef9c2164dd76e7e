/**
 * The wire protocol has one implementation, in @huduma/txlog (upstream of the terminal and of the
 * service). This checks the two ends meet over real HTTP: a batch of a real terminal log encoded
 * by txlog and requests signed by txlog are accepted by the running service, and a signed request
 * replayed on another path is refused.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DevPki } from '@huduma/pki';
import { encodeUploadBatch, signTerminalRequest, TransactionLog } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClearingHarness, startClearingService } from './support/clearing-harness';
import { issueFleetCard, openFleetTerminal, tempDir } from './support/terminal-fleet';

describe('the running service accepts what txlog encodes and signs', () => {
  const pki = DevPki.inMemory();
  const root = tempDir('huduma-compat-');
  let svc: ClearingHarness;
  beforeAll(async () => {
    svc = await startClearingService(pki);
  });
  afterAll(async () => {
    await svc?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('takes a batch of a real terminal log encoded by txlog, and a request signed by txlog', async () => {
    const t = await openFleetTerminal({
      pki,
      dir: join(root, 'terminal'),
      terminalId: 'T-COMPAT',
      merchantId: 'HC-NBI01',
      location: { kind: 'huduma-centre', name: 'Compat' },
    });
    const card = await issueFleetCard(pki, join(root, 'cards'), 'compat', { balance: 100_000 });
    t.tap(card);
    await t.engine.sale({ amount: '12.50', billRef: 'COMPAT-1' });
    t.remove();
    await t.engine.checkpoint();
    const config = t.engine.config;
    await t.engine.close();
    // Read the log file as stored, independently of the engine.
    const log = await TransactionLog.open(join(t.dir, 'transactions.hlog'));
    const records: Uint8Array[] = [];
    for await (const r of log.records()) records.push(r.bytes);
    await log.close();

    const body = encodeUploadBatch({ terminalCertificate: config.certificateBytes, records });
    const uploadPath = '/v1/terminals/T-COMPAT/batches';
    const upload = await fetch(`${svc.url}${uploadPath}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/cbor',
        ...signTerminalRequest({
          method: 'POST',
          path: uploadPath,
          body,
          certificate: config.certificateBytes,
          privateKey: config.privateKey,
          publicKey: config.certificate.keyAgreementKey,
        }),
      },
      body,
    });
    const receipt = await upload.json();
    expect(upload.status, JSON.stringify(receipt)).toBe(200);
    expect(receipt).toMatchObject({
      status: 'accepted',
      heldUpToSeq: records.length - 1,
      newRecords: records.length,
    });

    const path = '/v1/terminals/T-COMPAT/state';
    const signed = signTerminalRequest({
      method: 'GET',
      path,
      certificate: config.certificateBytes,
      privateKey: config.privateKey,
      publicKey: config.certificate.keyAgreementKey,
    });
    const state = await fetch(`${svc.url}${path}`, { headers: signed });
    expect(state.status).toBe(200);
    expect(await state.json()).toMatchObject({ lastSeq: records.length - 1, status: 'active' });
    // The same headers for another path are refused: the signature covers the path.
    const other = await fetch(`${svc.url}/v1/terminals/T-COMPAT/state?x=1`, { headers: signed });
    expect(other.status).toBe(401);
    // And the same request again is a replay: its nonce was used.
    const replay = await fetch(`${svc.url}${path}`, { headers: signed });
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: 'ERR_TERMINAL_REQUEST_REPLAYED' });
  });
});
