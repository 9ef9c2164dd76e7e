/**
 * The wire protocol lives in @huduma/txlog (upstream of the terminal and of the service). These
 * checks pin it to what the clearing service implements today: same bytes, same error codes, and
 * a batch and signed requests made with txlog's functions are accepted by the running service.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { encodeDenyListDelta } from '@huduma/clearing-service';
import { DevPki } from '@huduma/pki';
import {
  decodeUploadBatch,
  denyListMessage,
  encodeUploadBatch,
  signTerminalRequest,
  TransactionLog,
  terminalRequestMessage,
  UploadBatchFormatError,
} from '@huduma/txlog';
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as service from '../packages/clearing-service/src/batch-format';
import * as serviceAuth from '../packages/clearing-service/src/terminal-auth';
import { type ClearingHarness, startClearingService } from './support/clearing-harness';
import { issueFleetCard, openFleetTerminal, tempDir } from './support/terminal-fleet';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const errorCode = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('txlog upload protocol = clearing service protocol', () => {
  it('encodes batches to the same bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 165, maxLength: 165 }),
        fc.array(fc.uint8Array({ maxLength: 400 }), { minLength: 1, maxLength: 30 }),
        (terminalCertificate, records) => {
          expect(hex(encodeUploadBatch({ terminalCertificate, records }))).toBe(
            hex(service.encodeUploadBatch({ terminalCertificate, records })),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses the same bodies with the same codes', () => {
    const cert = new Uint8Array(165);
    const plain = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });
    const bodies: Uint8Array[] = [
      Uint8Array.of(0xff),
      new Uint8Array(plain.encode([1])),
      new Uint8Array(plain.encode({ v: 1, terminalCertificate: cert, records: [] })),
      new Uint8Array(plain.encode({ v: 2, terminalCertificate: cert, records: [Uint8Array.of(1)] })),
      new Uint8Array(
        plain.encode({ v: 1, terminalCertificate: cert.subarray(3), records: [Uint8Array.of(1)] }),
      ),
      new Uint8Array(plain.encode({ v: 1, terminalCertificate: cert, records: [1] })),
      new Uint8Array(plain.encode({ v: 1, terminalCertificate: cert, records: [Uint8Array.of(1)], x: 0 })),
      encodeUploadBatch({ terminalCertificate: cert, records: [Uint8Array.of(1, 2, 3)] }),
    ];
    for (const body of bodies) {
      expect(errorCode(() => decodeUploadBatch(body))).toBe(errorCode(() => service.decodeUploadBatch(body)));
    }
    expect(() => decodeUploadBatch(Uint8Array.of(0xff))).toThrow(UploadBatchFormatError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
        expect(errorCode(() => decodeUploadBatch(body))).toBe(
          errorCode(() => service.decodeUploadBatch(body)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('builds the same request-signing message and the same deny-list message', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'post', 'PUT'),
        fc.webPath(),
        fc.integer({ min: 0, max: 2 ** 48 }),
        fc.uint8Array({ maxLength: 200 }),
        (method, path, ts, body) => {
          expect(hex(terminalRequestMessage(method, path, ts, body))).toBe(
            hex(serviceAuth.terminalRequestMessage(method, path, ts, body)),
          );
        },
      ),
      { numRuns: 200 },
    );
    const delta = {
      sinceVersion: 4,
      version: 9,
      issuedAtMs: 1_790_000_000_123,
      entries: [
        { version: 5, cardNumber: '8404000000000018', action: 'add' as const },
        { version: 9, cardNumber: '8404000000000026', action: 'remove' as const },
      ],
    };
    expect(hex(denyListMessage(delta))).toBe(hex(encodeDenyListDelta(delta)));
  });
});

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
    const upload = await fetch(`${svc.url}/v1/terminals/T-COMPAT/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/cbor' },
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
      publicKey: config.certificate.publicKey,
    });
    const state = await fetch(`${svc.url}${path}`, { headers: signed });
    expect(state.status).toBe(200);
    expect(await state.json()).toMatchObject({ lastSeq: records.length - 1, status: 'active' });
    // The same headers for another path are refused: the signature covers the path.
    const other = await fetch(`${svc.url}/v1/terminals/T-COMPAT/state?x=1`, { headers: signed });
    expect(other.status).toBe(401);
  });
});
