/**
 * Generates vectors/v1.json: byte-exact test vectors of every structure of the Huduma card
 * applet v1 (SPEC.md). Everything is deterministic: private keys are SHA-256 of a label reduced
 * into [1, n-1], signatures are RFC 6979, challenges, nonces and times are fixed. A card signs
 * with a random k in real life; the vectors only need its signatures to verify.
 *
 * Run: node --conditions=huduma-source --import tsx card-applet-spec/vectors/generate.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  AID,
  BlockReason,
  Capability,
  CLA,
  CURRENCY_KES,
  certificateSigningMessage,
  concatBytes,
  encodeBlockRequest,
  encodeCardNumber,
  encodeCertificate,
  encodeDebitRequest,
  encodeIdentity,
  encodeIdentityReadRequest,
  encodeLoadAuthorization,
  encodePinBlock,
  encodePurse,
  encodePurseParameters,
  encodeRecoveryRequest,
  encodeRecoveryResponseBody,
  encodeSelectResponse,
  encodeTransactionRecord,
  encodeTrustedKey,
  encodeUndebitRequest,
  INS,
  KeyUsage,
  keyIdOf,
  LifeCycle,
  loadAuthorizationSigningMessage,
  recoveryAttestationMessage,
  type SelectResponse,
  StoreDataObject,
  sha256,
  signCertificate,
  signLoadAuthorization,
  signMessage,
  type TransactionRecord,
  TxType,
  terminalAuthMessage,
  toHex,
  transactionSigningMessage,
  VECTOR_INPUTS,
  VECTOR_KEY_LABELS,
  vectorKeys,
  vectorPrivateKey,
} from '../src/index';

/** Re-exported from the spec package (they moved to src/vector-inputs.ts so the conformance package can use them). */
export { VECTOR_INPUTS, vectorKeys, vectorPrivateKey };

function bytesOf(label: string, size: number): Uint8Array {
  return sha256(new TextEncoder().encode(label)).slice(0, size);
}

/** Short-form command APDU (case 1-4): CLA INS P1 P2 [Lc data] [Le]; Le 256 is written 00. */
export function shortApdu(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, le?: number) {
  const head = [cla, ins, p1, p2];
  const body = data && data.length > 0 ? [data.length, ...data] : [];
  const tail = le === undefined ? [] : [le & 0xff];
  return new Uint8Array([...head, ...body, ...tail]);
}

/** ISO 7816-4 chaining into 255-byte segments: all but the last with CLA | 0x10 and no Le. */
export function chainedApdus(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data: Uint8Array,
  le?: number,
) {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const end = Math.min(at + 255, data.length);
    const last = end === data.length;
    out.push(
      shortApdu(last ? cla : cla | CLA.CHAINING, ins, p1, p2, data.subarray(at, end), last ? le : undefined),
    );
  }
  return out;
}

const h = toHex;
export interface VectorKey {
  label: string;
  privateKey: string;
  publicKey: string;
  keyId: string;
}

function recordJson(rec: TransactionRecord) {
  return { ...rec, terminalNonce: h(rec.terminalNonce) };
}

/** Builds the whole vector file (plain JSON: numbers, strings, hex). */
export function generateVectors() {
  const keys = vectorKeys();
  const input = VECTOR_INPUTS;
  const cardNumber = input.cardNumber;
  const cn = encodeCardNumber(cardNumber);

  const cardCert = signCertificate(
    {
      type: 'card',
      issuerKeyId: keyIdOf(keys.issuerCa.publicKey),
      cardNumber,
      notBefore: input.cardNotBefore,
      notAfter: input.cardNotAfter,
      publicKey: keys.card.publicKey,
    },
    keys.issuerCa.privateKey,
  );
  const cardCertBytes = encodeCertificate(cardCert);
  const terminalCert = signCertificate(
    {
      type: 'terminal',
      issuerKeyId: keyIdOf(keys.terminalCa.publicKey),
      terminalId: input.terminalId,
      merchantId: input.merchantId,
      capabilities: Capability.DEBIT | Capability.UNDEBIT | Capability.IDENTITY_READ,
      notBefore: input.terminalNotBefore,
      notAfter: input.terminalNotAfter,
      publicKey: keys.terminal.publicKey,
    },
    keys.terminalCa.privateKey,
  );
  const terminalCertBytes = encodeCertificate(terminalCert);

  // The story: a fresh card (counter 0) is reloaded with KES 500.00, pays a KES 150.00 bill,
  // and the payment is cancelled two minutes later by the same terminal.
  const maxBalance = input.purseParameters.maxBalance;

  // 1. RELOAD
  const reloadChallenge = bytesOf('huduma-v1-vector:challenge-reload', 16);
  const reloadUnsigned = {
    keyId: keyIdOf(keys.loadAuthority.publicKey),
    cardNumber,
    cardCounter: 0,
    cardChallenge: reloadChallenge,
    amount: 50_000,
    time: 1_750_000_000,
    terminalId: input.agentTerminalId,
    terminalSeq: 7,
    terminalNonce: bytesOf('huduma-v1-vector:nonce-reload', 8),
    loadRef: 'MPESA-QGH7K2LX9P',
  };
  const loadAuth = signLoadAuthorization(reloadUnsigned, keys.loadAuthority.privateKey);
  const loadAuthBytes = encodeLoadAuthorization(loadAuth);
  const reloadRecord: TransactionRecord = {
    type: TxType.RELOAD,
    counter: 1,
    amount: 50_000,
    balanceAfter: 50_000,
    offlineSpendAfter: 0,
    terminalId: input.agentTerminalId,
    terminalSeq: 7,
    terminalNonce: reloadUnsigned.terminalNonce,
    time: reloadUnsigned.time,
    billRef: reloadUnsigned.loadRef,
    serviceCode: 0,
    refCounter: 0,
  };

  // 2. DEBIT
  const debitChallenge = bytesOf('huduma-v1-vector:challenge-debit', 16);
  const debitRequest = {
    amount: 15_000,
    terminalSeq: 42,
    terminalNonce: bytesOf('huduma-v1-vector:nonce-debit', 8),
    time: 1_750_000_600,
    billRef: 'ECZ-2025-000123',
    serviceCode: 0x0101,
  };
  const debitBody = encodeDebitRequest(debitRequest);
  const debitAuthMessage = terminalAuthMessage(INS.DEBIT, 0, 0, debitChallenge, cardNumber, debitBody);
  const debitAuthSignature = signMessage(keys.terminal.privateKey, debitAuthMessage);
  const debitData = concatBytes(terminalCertBytes, debitBody, debitAuthSignature);
  const debitRecord: TransactionRecord = {
    type: TxType.DEBIT,
    counter: 2,
    amount: 15_000,
    balanceAfter: 35_000,
    offlineSpendAfter: 15_000,
    terminalId: input.terminalId,
    terminalSeq: 42,
    terminalNonce: debitRequest.terminalNonce,
    time: debitRequest.time,
    billRef: debitRequest.billRef,
    serviceCode: debitRequest.serviceCode,
    refCounter: 0,
  };

  // 3. UNDEBIT
  const undebitChallenge = bytesOf('huduma-v1-vector:challenge-undebit', 16);
  const undebitRequest = {
    refCounter: 2,
    amount: 15_000,
    terminalSeq: 43,
    terminalNonce: bytesOf('huduma-v1-vector:nonce-undebit', 8),
    time: 1_750_000_720,
  };
  const undebitBody = encodeUndebitRequest(undebitRequest);
  const undebitAuthMessage = terminalAuthMessage(
    INS.UNDEBIT,
    0,
    0,
    undebitChallenge,
    cardNumber,
    undebitBody,
  );
  const undebitAuthSignature = signMessage(keys.terminal.privateKey, undebitAuthMessage);
  const undebitRecord: TransactionRecord = {
    type: TxType.UNDEBIT,
    counter: 3,
    amount: 15_000,
    balanceAfter: 50_000,
    offlineSpendAfter: 0,
    terminalId: input.terminalId,
    terminalSeq: 43,
    terminalNonce: undebitRequest.terminalNonce,
    time: undebitRequest.time,
    billRef: debitRequest.billRef,
    serviceCode: debitRequest.serviceCode,
    refCounter: 2,
  };

  const transaction = (name: string, record: TransactionRecord) => {
    const recordBytes = encodeTransactionRecord(record);
    const message = transactionSigningMessage(cn, recordBytes);
    const signature = signMessage(keys.card.privateKey, message);
    return {
      name,
      record: recordJson(record),
      recordHex: h(recordBytes),
      signingMessage: h(message),
      signature: h(signature),
      proof: h(concatBytes(recordBytes, signature)),
    };
  };
  const txs = {
    reload: transaction('reload', reloadRecord),
    debit: transaction('debit', debitRecord),
    undebit: transaction('undebit', undebitRecord),
  };

  // READ IDENTITY and BLOCK CARD bodies (no signatures needed beyond the envelope rule).
  const identityReadBody = encodeIdentityReadRequest({
    terminalNonce: bytesOf('huduma-v1-vector:nonce-identity', 8),
    time: 1_750_000_800,
  });
  const blockBody = encodeBlockRequest({
    reason: BlockReason.LOST_OR_STOLEN,
    terminalSeq: 44,
    time: 1_750_000_900,
  });

  // 4. GET LAST TRANSACTION after the undebit: ask for the debit (found) and for seq 99 (not found).
  const recoveryFoundRequest = {
    terminalId: input.terminalId,
    terminalSeq: 42,
    terminalNonce: bytesOf('huduma-v1-vector:nonce-recovery', 8),
  };
  const recoveryRequestBytes = encodeRecoveryRequest(recoveryFoundRequest);
  const debitRecordBytes = encodeTransactionRecord(debitRecord);
  const recoveryBody = encodeRecoveryResponseBody({
    found: true,
    counter: 3,
    balance: 50_000,
    recordBytes: debitRecordBytes,
    recordSignature: Uint8Array.from(Buffer.from(txs.debit.signature, 'hex')),
  });
  const recoveryMessage = recoveryAttestationMessage(cn, recoveryRequestBytes, recoveryBody);
  const recoveryAttestation = signMessage(keys.card.privateKey, recoveryMessage);
  const recoveryNotFoundRequest = { ...recoveryFoundRequest, terminalSeq: 99 };
  const recoveryNotFoundRequestBytes = encodeRecoveryRequest(recoveryNotFoundRequest);
  const recoveryNotFoundBody = encodeRecoveryResponseBody({ found: false, counter: 3, balance: 50_000 });
  const recoveryNotFoundMessage = recoveryAttestationMessage(
    cn,
    recoveryNotFoundRequestBytes,
    recoveryNotFoundBody,
  );
  const recoveryNotFoundAttestation = signMessage(keys.card.privateKey, recoveryNotFoundMessage);

  // Purse after the reload (as the FCI of the SELECT before the debit shows it).
  const purse = {
    balance: 50_000,
    maxBalance,
    counter: 1,
    offlineSpend: 0,
    offlineLimit: input.purseParameters.offlineLimit,
    cvmLimit: input.purseParameters.cvmLimit,
    currency: CURRENCY_KES,
    lifeCycle: LifeCycle.ACTIVE,
    pinTriesLeft: 3,
  };
  const fci: SelectResponse = {
    version: 1,
    lifeCycle: LifeCycle.ACTIVE,
    cardNumber,
    challenge: debitChallenge,
    purse,
  };
  const fciBytes = encodeSelectResponse(fci);
  const identityBytes = encodeIdentity(input.identity);

  const debitProofHex = txs.debit.proof;
  const keyJson = (name: keyof typeof VECTOR_KEY_LABELS): VectorKey => ({
    label: VECTOR_KEY_LABELS[name],
    privateKey: h(keys[name].privateKey),
    publicKey: h(keys[name].publicKey),
    keyId: h(keyIdOf(keys[name].publicKey)),
  });

  return {
    description:
      'Huduma card applet v1 test vectors (SPEC.md). All integers big-endian; hex lower-case. Generated by vectors/generate.ts; do not edit.',
    version: 1,
    keys: {
      issuerCa: keyJson('issuerCa'),
      terminalCa: keyJson('terminalCa'),
      loadAuthority: keyJson('loadAuthority'),
      card: keyJson('card'),
      terminal: keyJson('terminal'),
    },
    cardNumber: { digits: cardNumber, bcd: h(cn) },
    aid: h(AID),
    certificates: {
      card: {
        fields: {
          ...cardCert,
          issuerKeyId: h(cardCert.issuerKeyId),
          publicKey: h(cardCert.publicKey),
          signature: h(cardCert.signature),
        },
        signingMessage: h(certificateSigningMessage(cardCertBytes.subarray(0, 101))),
        hex: h(cardCertBytes),
      },
      terminal: {
        fields: {
          ...terminalCert,
          issuerKeyId: h(terminalCert.issuerKeyId),
          publicKey: h(terminalCert.publicKey),
          signature: h(terminalCert.signature),
        },
        signingMessage: h(certificateSigningMessage(terminalCertBytes.subarray(0, 101))),
        hex: h(terminalCertBytes),
      },
    },
    trustedKeys: {
      terminalCa: h(encodeTrustedKey({ usage: KeyUsage.TERMINAL_CA, publicKey: keys.terminalCa.publicKey })),
      loadAuthority: h(
        encodeTrustedKey({ usage: KeyUsage.LOAD_AUTHORITY, publicKey: keys.loadAuthority.publicKey }),
      ),
    },
    pinBlocks: {
      pin: { digits: input.pin, hex: h(encodePinBlock(input.pin)) },
      pin8: { digits: '87654321', hex: h(encodePinBlock('87654321')) },
      puk: { digits: input.puk, hex: h(encodePinBlock(input.puk, 'PUK')) },
    },
    purseParameters: { fields: input.purseParameters, hex: h(encodePurseParameters(input.purseParameters)) },
    purse: { fields: purse, hex: h(encodePurse(purse)) },
    fci: {
      fields: { ...fci, challenge: h(fci.challenge) },
      hex: h(fciBytes),
      selectCommand: h(shortApdu(0x00, INS.SELECT, 0x04, 0x00, AID, 0x00)),
      selectResponse: `${h(fciBytes)}9000`,
    },
    identity: { fields: input.identity, hex: h(identityBytes) },
    debit: {
      challenge: h(debitChallenge),
      request: { ...debitRequest, terminalNonce: h(debitRequest.terminalNonce) },
      body: h(debitBody),
      authMessage: h(debitAuthMessage),
      authSignature: h(debitAuthSignature),
      commandData: h(debitData),
      commandApdus: chainedApdus(CLA.PROPRIETARY, INS.DEBIT, 0, 0, debitData, 0x00).map(h),
      responseApdu: `${debitProofHex}9000`,
    },
    undebit: {
      challenge: h(undebitChallenge),
      request: { ...undebitRequest, terminalNonce: h(undebitRequest.terminalNonce) },
      body: h(undebitBody),
      authMessage: h(undebitAuthMessage),
      authSignature: h(undebitAuthSignature),
      commandApdus: chainedApdus(
        CLA.PROPRIETARY,
        INS.UNDEBIT,
        0,
        0,
        concatBytes(terminalCertBytes, undebitBody, undebitAuthSignature),
        0x00,
      ).map(h),
    },
    reload: {
      challenge: h(reloadChallenge),
      authorization: {
        fields: {
          ...reloadUnsigned,
          keyId: h(reloadUnsigned.keyId),
          cardChallenge: h(reloadChallenge),
          terminalNonce: h(reloadUnsigned.terminalNonce),
          signature: h(loadAuth.signature),
        },
        signingMessage: h(loadAuthorizationSigningMessage(loadAuthBytes.subarray(0, 80))),
        hex: h(loadAuthBytes),
      },
      commandApdu: h(shortApdu(CLA.PROPRIETARY, INS.RELOAD, 0, 0, loadAuthBytes, 0x00)),
    },
    transactions: txs,
    identityRead: { body: h(identityReadBody) },
    blockCard: { body: h(blockBody) },
    recovery: {
      found: {
        request: { ...recoveryFoundRequest, terminalNonce: h(recoveryFoundRequest.terminalNonce) },
        requestHex: h(recoveryRequestBytes),
        attestedBody: h(recoveryBody),
        attestationMessage: h(recoveryMessage),
        attestation: h(recoveryAttestation),
        responseHex: h(concatBytes(recoveryBody, recoveryAttestation)),
      },
      notFound: {
        request: { ...recoveryNotFoundRequest, terminalNonce: h(recoveryNotFoundRequest.terminalNonce) },
        requestHex: h(recoveryNotFoundRequestBytes),
        attestedBody: h(recoveryNotFoundBody),
        attestationMessage: h(recoveryNotFoundMessage),
        attestation: h(recoveryNotFoundAttestation),
        responseHex: h(concatBytes(recoveryNotFoundBody, recoveryNotFoundAttestation)),
      },
    },
    personalization: {
      storeData: {
        cardNumber: h(shortApdu(CLA.PROPRIETARY, INS.STORE_DATA, StoreDataObject.CARD_NUMBER, 0, cn)),
        identity: h(shortApdu(CLA.PROPRIETARY, INS.STORE_DATA, StoreDataObject.IDENTITY, 0, identityBytes)),
        purseParameters: h(
          shortApdu(
            CLA.PROPRIETARY,
            INS.STORE_DATA,
            StoreDataObject.PURSE_PARAMETERS,
            0,
            encodePurseParameters(input.purseParameters),
          ),
        ),
        pin: h(shortApdu(CLA.PROPRIETARY, INS.STORE_DATA, StoreDataObject.PIN, 0, encodePinBlock(input.pin))),
        puk: h(
          shortApdu(
            CLA.PROPRIETARY,
            INS.STORE_DATA,
            StoreDataObject.PUK,
            0,
            encodePinBlock(input.puk, 'PUK'),
          ),
        ),
        cardCertificate: h(
          shortApdu(CLA.PROPRIETARY, INS.STORE_DATA, StoreDataObject.CARD_CERTIFICATE, 0, cardCertBytes),
        ),
      },
      generateKeyPair: h(shortApdu(CLA.PROPRIETARY, INS.GENERATE_KEY_PAIR, 0, 0, undefined, 0x00)),
      finalize: h(shortApdu(CLA.PROPRIETARY, INS.FINALIZE, 0, 0)),
    },
  };
}

export type VectorsV1 = ReturnType<typeof generateVectors>;

export const VECTORS_PATH = fileURLToPath(new URL('./v1.json', import.meta.url));

export function vectorsJson(): string {
  return `${JSON.stringify(generateVectors(), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = vectorsJson();
  if (process.argv.includes('--check')) {
    if (readFileSync(VECTORS_PATH, 'utf8') !== json) {
      console.error('vectors/v1.json is out of date: run vectors/generate.ts');
      process.exit(1);
    }
    console.log('vectors/v1.json is up to date');
  } else {
    writeFileSync(VECTORS_PATH, json);
    console.log(`wrote ${VECTORS_PATH}`);
  }
}
