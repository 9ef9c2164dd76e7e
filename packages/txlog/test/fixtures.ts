import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cardNumberFromAccount,
  encodeCertificate,
  encodeTransactionProof,
  encodeTransactionRecord,
  keyIdOf,
  publicKeyOf,
  sha256,
  signCertificate,
  signMessage,
  TxType,
  transactionSigningMessage,
} from '@huduma/card-applet-spec';
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

/** A sale with a deterministic 130-byte fake card proof (v2: record 66 + signature 64). */
export function sale(
  terminalSeq: number,
  amountCents = 1_250,
  time = 1_760_000_000_000 + terminalSeq * 1000,
): SaleEvent {
  const cardProof = new Uint8Array(130);
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
    cardCertificate: new Uint8Array(230).fill(0xce),
  };
}

const CARD_NUMBER = cardNumberFromAccount('00000000042');
const ISSUER_CA_KEY = sha256(new TextEncoder().encode('txlog test issuer CA')); // fixed test keys
const CARD_KEY = sha256(new TextEncoder().encode('txlog test card key'));
/** The card's key-agreement private key (QA.card): it must never verify a proof. */
export const CARD_AGREEMENT_KEY = sha256(new TextEncoder().encode('txlog test card key-agreement key'));
export const TEST_ISSUER_CA_PUBLIC_KEY = publicKeyOf(ISSUER_CA_KEY);
const CARD_CERTIFICATE = encodeCertificate(
  signCertificate(
    {
      type: 'card',
      issuerKeyId: keyIdOf(TEST_ISSUER_CA_PUBLIC_KEY),
      cardNumber: CARD_NUMBER,
      notBefore: 1_700_000_000,
      notAfter: 1_900_000_000,
      signingKey: publicKeyOf(CARD_KEY),
      keyAgreementKey: publicKeyOf(CARD_AGREEMENT_KEY),
    },
    ISSUER_CA_KEY,
  ),
);

/** A sale carrying a real card certificate and a real card-signed debit proof. */
export function provenSale(
  terminalSeq: number,
  amountCents = 1_250,
  balanceBefore = 1_000_000,
  signingKey = CARD_KEY,
): SaleEvent {
  const billRef = `BILL-${terminalSeq}`;
  const recordBytes = encodeTransactionRecord({
    type: TxType.DEBIT,
    counter: terminalSeq,
    amount: amountCents,
    currency: 0x0404,
    balanceAfter: balanceBefore - amountCents,
    offlineSpendAfter: amountCents,
    terminalId: TEST_TERMINAL_ID,
    terminalSeq,
    terminalNonce: new Uint8Array(8).fill(terminalSeq & 0xff),
    time: 1_760_000_000 + terminalSeq,
    billRef,
    serviceCode: 1,
    refCounter: 0,
    cvm: 0,
  });
  const signature = signMessage(signingKey, transactionSigningMessage(CARD_NUMBER, recordBytes));
  return {
    type: 'sale',
    time: 1_760_000_000_000 + terminalSeq * 1000,
    terminalSeq,
    cardNumber: CARD_NUMBER,
    amountCents,
    billRef,
    serviceCode: '1',
    cardProof: encodeTransactionProof({ recordBytes, signature }),
    cardCertificate: CARD_CERTIFICATE,
  };
}
