import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SaleEvent } from '../src/index';

/** Fixed test key (never use outside tests). */
export const TEST_PRIVATE_KEY = new Uint8Array(
  Buffer.from('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721', 'hex'),
);
export const TEST_TERMINAL_ID = 'TRM00042';

export function tempDir(prefix = 'txlog-'): {
  dir: string;
  path: (name: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A sale with a deterministic 127-byte fake card proof. */
export function sale(
  terminalSeq: number,
  amountCents = 1_250,
  time = 1_760_000_000_000 + terminalSeq * 1000,
): SaleEvent {
  const cardProof = new Uint8Array(127);
  for (let i = 0; i < cardProof.length; i++) cardProof[i] = (terminalSeq * 31 + i * 7) & 0xff;
  return {
    type: 'sale',
    time,
    terminalSeq,
    cardNumber: '6280010000000042',
    amountCents,
    billRef: `BILL-${terminalSeq}`,
    serviceCode: 'NHIF-01',
    cardProof,
    cardCertificate: new Uint8Array(165).fill(0xce),
  };
}
