import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { initTerminal, pollingCardReader, TerminalEngine } from '@huduma/terminal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiptDataOf, receiptDataOfRecord, receiptDocument } from '../src/index';

// A receipt printed from the log (a sale completed on re-tap has no ApprovedTransaction) says
// the same as the receipt printed at approval.
let dir: string;
let engine: TerminalEngine;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'huduma-receipt-record-'));
  const pki = DevPki.inMemory();
  const { reader } = await issueTestCard({ pki, balance: 500_000 });
  await initTerminal({
    dir,
    pki,
    terminalId: 'T-0042',
    merchantId: 'HC-MSA01',
    location: { kind: 'huduma-centre', name: 'Mombasa' },
    limits: {},
  });
  engine = await TerminalEngine.open({
    dir,
    reader: pollingCardReader(() => (reader.cardPresent ? reader : undefined)),
  });
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('receiptDataOfRecord', () => {
  it('gives the receipt of a logged sale, the same as the one printed at approval', async () => {
    const result = await engine.sale({ serviceCode: 301, billRef: 'BN-7' });
    let logged: { type: 'sale'; cardNumber: string; serviceCode: string; cardProof: Uint8Array } | undefined;
    for await (const r of engine.records()) if (r.type === 'sale') logged = r;
    const nameOf = (code: number) => engine.catalog.nameOf(code);
    const fromLog = receiptDataOfRecord(logged!, engine.config, nameOf);
    expect(fromLog).toEqual(receiptDataOf(result, engine.config));

    const recovered = receiptDataOfRecord({ ...logged!, type: 'recovered-sale' }, engine.config, nameOf);
    expect(recovered).toEqual({ ...fromLog, kind: 'recovered-sale' });
    expect(receiptDocument(recovered).blocks).toContainEqual(
      expect.objectContaining({ kind: 'text', text: 'SALE (COMPLETED ON RE-TAP)' }),
    );
  });
});
