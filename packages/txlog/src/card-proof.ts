import { type KeyObject, verify as nodeVerify } from 'node:crypto';
import {
  decodeCertificate,
  decodeTransactionProof,
  keyIdOf,
  Size,
  TxType,
  toHex,
  transactionSigningMessage,
  verifyCertificateBytes,
} from '@huduma/card-applet-spec';
import { p256PublicKeyObject } from '@huduma/pki';
import type { CardProofRecord } from './records';

const EXPECTED_TX_TYPE = {
  sale: TxType.DEBIT,
  'recovered-sale': TxType.DEBIT,
  cancel: TxType.UNDEBIT,
  reload: TxType.RELOAD,
} as const;

/**
 * A `verifyCardProof` for verifyLog: checks that each proof-carrying record holds a card
 * certificate for its card (chained to one of `issuerCaPublicKeys` when given), that the card's
 * signature over the proof verifies (OpenSSL through node:crypto: a log holds up to millions of
 * proofs), and that what the card signed is what the record says (type, amount, terminal
 * sequence, bill or load reference). Verified certificates are cached by their bytes.
 */
export function cardProofVerifier(options: { issuerCaPublicKeys?: Uint8Array[] } = {}) {
  const issuers = new Map((options.issuerCaPublicKeys ?? []).map((k) => [toHex(keyIdOf(k)), k]));
  const keys = new Map<string, KeyObject | string>();

  const cardKey = (certificate: Uint8Array, cardNumber: string): KeyObject | string => {
    const cacheKey = toHex(certificate);
    let entry = keys.get(cacheKey);
    if (entry === undefined) {
      entry = checkCertificate(certificate, cardNumber);
      keys.set(cacheKey, entry);
    }
    return entry;
  };

  const checkCertificate = (certificate: Uint8Array, cardNumber: string): KeyObject | string => {
    if (certificate.length !== Size.CARD_CERTIFICATE)
      return `card certificate is not ${Size.CARD_CERTIFICATE} bytes`;
    let cert: ReturnType<typeof decodeCertificate>;
    try {
      cert = decodeCertificate(certificate);
    } catch (err) {
      return `card certificate does not decode: ${(err as Error).message}`;
    }
    if (cert.type !== 'card') return 'certificate is not a card certificate';
    if (cert.cardNumber !== cardNumber)
      return `certificate is for card ${cert.cardNumber}, not ${cardNumber}`;
    if (issuers.size > 0) {
      const issuer = issuers.get(toHex(cert.issuerKeyId));
      if (!issuer) return 'card certificate is not issued by a trusted issuer CA';
      if (!verifyCertificateBytes(certificate, issuer)) return 'card certificate signature does not verify';
    }
    // v2: the card signs proofs with PK.card (`signingKey`); its key-agreement key is for sessions only.
    return p256PublicKeyObject(cert.signingKey);
  };

  return (entry: CardProofRecord): true | string => {
    const key = cardKey(entry.cardCertificate, entry.cardNumber);
    if (typeof key === 'string') return key;
    let proof: ReturnType<typeof decodeTransactionProof>;
    try {
      proof = decodeTransactionProof(entry.cardProof);
    } catch (err) {
      return `card proof does not decode: ${(err as Error).message}`;
    }
    const message = transactionSigningMessage(entry.cardNumber, proof.recordBytes);
    if (!nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, proof.signature)) {
      return 'card signature over the proof does not verify';
    }
    const rec = proof.record;
    if (rec.type !== EXPECTED_TX_TYPE[entry.type])
      return `card signed a type ${rec.type} transaction for a ${entry.type}`;
    if (rec.amount !== entry.amountCents)
      return `card signed ${rec.amount} cents, record says ${entry.amountCents}`;
    if (rec.terminalSeq !== entry.terminalSeq)
      return `card signed terminal seq ${rec.terminalSeq}, record says ${entry.terminalSeq}`;
    const reference = entry.type === 'reload' ? entry.reference : entry.billRef;
    if (rec.billRef !== reference)
      return `card signed reference "${rec.billRef}", record says "${reference}"`;
    return true;
  };
}
