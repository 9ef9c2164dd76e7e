/**
 * Real signed test data, fast: v2 certificates (230-byte card, 165-byte terminal), v2 card proofs
 * (66-byte record ‖ signature, SPEC.md §2.7/§8.3) and terminal logs built with the spec's codecs
 * (card-applet-spec, txlog) and signed with node:crypto (OpenSSL), so the benchmark can make
 * 100,000 card proofs in seconds. Cards keep a purse (counter, balance, offline spend, currency)
 * like the applet does, so their proofs chain the way a real card's do. The terminal signs its
 * checkpoints, seals and requests with its one certified key QT, as a v2 terminal does.
 */
import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  CURRENCY_KES,
  Cvm,
  certificateSigningMessage,
  concatBytes,
  encodeCertificateBody,
  encodeTransactionRecord,
  TxType,
  type TxTypeCode,
  transactionSigningMessage,
  type UnsignedCertificate,
} from '@huduma/card-applet-spec';
import { generateP256PrivateKey } from '@huduma/pki';
import {
  checkpointMessage,
  encodeRecord,
  encodeUploadBatch,
  GENESIS_HASH,
  type RecordBody,
  recordHash,
  signTerminalRequest,
} from '@huduma/txlog';
import type { TrustAnchors } from '../src/trust';

export interface TestKey {
  key: KeyObject;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  keyId: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function testKey(): TestKey {
  const privateKey = generateP256PrivateKey();
  const jwk = privateKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  const publicKey = new Uint8Array(65);
  publicKey[0] = 4;
  publicKey.set(x, 33 - x.length);
  publicKey.set(y, 65 - y.length);
  const d = Buffer.from(jwk.d!, 'base64url');
  const raw = new Uint8Array(32);
  raw.set(d, 32 - d.length);
  return {
    key: privateKey,
    publicKey,
    privateKey: raw,
    keyId: new Uint8Array(createHash('sha256').update(publicKey).digest().subarray(0, 8)),
    sign: (message) =>
      new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
  };
}

/** Issuer CA, acquirer CA and load authority, as DevPki has, with node:crypto keys. */
export class TestPki {
  readonly issuerCa = testKey();
  readonly acquirerCa = testKey();
  readonly loadAuthority = testKey();

  get trust(): TrustAnchors {
    return { issuerCaKeys: [this.issuerCa.publicKey], acquirerCaKeys: [this.acquirerCa.publicKey] };
  }

  /** The load authority in the shape the service takes (LoadAuthoritySigner). */
  get loadAuthoritySigner() {
    const k = this.loadAuthority;
    return { publicKey: k.publicKey, keyId: k.keyId, sign: async (m: Uint8Array) => k.sign(m) };
  }

  certify(ca: TestKey, cert: UnsignedCertificate): Uint8Array {
    const body = encodeCertificateBody(cert);
    return concatBytes(body, ca.sign(certificateSigningMessage(body)));
  }

  terminal(
    terminalId: string,
    options: {
      merchantId?: string;
      capabilities?: number;
      notBefore?: number;
      notAfter?: number;
      ca?: TestKey;
    } = {},
  ): TestTerminal {
    const key = testKey();
    const now = Math.floor(Date.now() / 1000);
    const ca = options.ca ?? this.acquirerCa;
    const certificate = this.certify(ca, {
      type: 'terminal',
      issuerKeyId: ca.keyId,
      terminalId,
      merchantId: options.merchantId ?? `M-${terminalId}`.slice(0, 8),
      capabilities: options.capabilities ?? 0x1f,
      notBefore: options.notBefore ?? now - 86_400,
      notAfter: options.notAfter ?? now + 365 * 86_400,
      keyAgreementKey: key.publicKey,
    });
    return new TestTerminal(terminalId, key, certificate);
  }

  card(cardNumber: string, balance = 1_000_000, currency = CURRENCY_KES): TestCard {
    const key = testKey();
    // PK.card signs proofs; QA.card is the card's separate ECDH key (the service never uses it).
    const keyAgreement = testKey();
    const now = Math.floor(Date.now() / 1000);
    const certificate = this.certify(this.issuerCa, {
      type: 'card',
      issuerKeyId: this.issuerCa.keyId,
      cardNumber,
      notBefore: now - 10 * 86_400,
      notAfter: now + 5 * 365 * 86_400,
      signingKey: key.publicKey,
      keyAgreementKey: keyAgreement.publicKey,
    });
    return new TestCard(cardNumber, key, certificate, balance, currency);
  }
}

/** Luhn-valid 16-digit card numbers, distinct for distinct i. */
export function cardNumberFor(i: number): string {
  const body = `840400${String(i).padStart(9, '0')}`;
  let sum = 0;
  for (let k = 0; k < 15; k++) {
    let d = Number(body[14 - k]);
    if (k % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export interface CardTx {
  type: TxTypeCode;
  amount: number;
  terminalId: string;
  terminalSeq: number;
  time: number;
  billRef: string;
  serviceCode?: number;
  refCounter?: number;
  /** Signs a currency other than the purse's (a forged or foreign record). */
  currency?: number;
  /** The debit was PIN-verified (cvm 01). */
  pin?: boolean;
}

/** A card's purse and key: each transaction returns the 130-byte v2 proof the applet would. */
export class TestCard {
  counter = 0;
  offlineSpend = 0;
  constructor(
    readonly cardNumber: string,
    readonly key: TestKey,
    readonly certificate: Uint8Array,
    public balance: number,
    readonly currency: number = CURRENCY_KES,
  ) {}

  /** Every proof this card made, by counter (a real card keeps the unsynced ones in its ring, READ RECORD). */
  readonly ring = new Map<number, Uint8Array>();

  /** Same key, same purse: a clone of this card as it is now. */
  clone(): TestCard {
    const c = new TestCard(this.cardNumber, this.key, this.certificate, this.balance, this.currency);
    c.counter = this.counter;
    c.offlineSpend = this.offlineSpend;
    return c;
  }

  transact(tx: CardTx): Uint8Array {
    this.counter += 1;
    if (tx.type === TxType.DEBIT) {
      this.balance -= tx.amount;
      this.offlineSpend += tx.amount;
    } else if (tx.type === TxType.UNDEBIT) {
      this.balance += tx.amount;
      this.offlineSpend = Math.max(0, this.offlineSpend - tx.amount);
    } else {
      this.balance += tx.amount;
      this.offlineSpend = 0;
    }
    const record = encodeTransactionRecord({
      type: tx.type,
      counter: this.counter,
      amount: tx.amount,
      currency: tx.currency ?? this.currency,
      balanceAfter: this.balance,
      offlineSpendAfter: this.offlineSpend,
      terminalId: tx.terminalId,
      terminalSeq: tx.terminalSeq,
      terminalNonce: new Uint8Array(randomBytes(8)),
      time: tx.time,
      billRef: tx.billRef,
      serviceCode: tx.serviceCode ?? 0,
      refCounter: tx.refCounter ?? 0,
      cvm: tx.pin ? Cvm.PIN : Cvm.NONE,
    });
    const proof = concatBytes(record, this.key.sign(transactionSigningMessage(this.cardNumber, record)));
    this.ring.set(this.counter, proof);
    return proof;
  }
}

/** A terminal and its txlog, in memory: exact record payloads, hash chain, signed checkpoints. */
export class TestTerminal {
  readonly records: Uint8Array[] = [];
  private head: Uint8Array = GENESIS_HASH;
  terminalSeq = 0;
  time = Date.now() - 3_600_000;

  constructor(
    readonly terminalId: string,
    readonly key: TestKey,
    readonly certificate: Uint8Array,
  ) {}

  /** The X-Huduma-* headers of one request signed by this terminal (fresh nonce each call). */
  signRequest(method: string, path: string, body?: Uint8Array | string): Record<string, string> {
    return signTerminalRequest({
      method,
      path,
      ...(body === undefined ? {} : { body }),
      certificate: this.certificate,
      privateKey: this.key.privateKey,
      publicKey: this.key.publicKey,
    });
  }

  get nextSeq(): number {
    return this.records.length;
  }

  append(event: RecordBody): { seq: number; bytes: Uint8Array } {
    const seq = this.records.length;
    const bytes = encodeRecord(seq, this.head, event);
    this.records.push(bytes);
    this.head = recordHash(bytes);
    return { seq, bytes };
  }

  checkpoint(): number {
    const seq = this.records.length;
    const signature = this.key.sign(checkpointMessage(this.terminalId, seq - 1, this.head));
    return this.append({
      type: 'checkpoint',
      time: this.time,
      terminalId: this.terminalId,
      coveredSeq: seq - 1,
      headHash: this.head,
      count: seq,
      signature,
    }).seq;
  }

  tick(ms = 1000): number {
    this.time += ms;
    return this.time;
  }

  sale(
    card: TestCard,
    amountCents: number,
    billRef = `B-${this.terminalId}-${this.terminalSeq + 1}`.slice(0, 16),
    serviceCode = 1001,
  ) {
    const terminalSeq = ++this.terminalSeq;
    const time = this.tick();
    const cardProof = card.transact({
      type: TxType.DEBIT,
      amount: amountCents,
      terminalId: this.terminalId,
      terminalSeq,
      time: Math.floor(time / 1000),
      billRef,
      serviceCode,
    });
    return this.append({
      type: 'sale',
      time,
      terminalSeq,
      cardNumber: card.cardNumber,
      amountCents,
      billRef,
      serviceCode: String(serviceCode),
      cardProof,
      cardCertificate: card.certificate,
    });
  }

  cancel(card: TestCard, amountCents: number, billRef: string, originalTerminalSeq: number) {
    const terminalSeq = ++this.terminalSeq;
    const time = this.tick();
    const cardProof = card.transact({
      type: TxType.UNDEBIT,
      amount: amountCents,
      terminalId: this.terminalId,
      terminalSeq,
      time: Math.floor(time / 1000),
      billRef,
      serviceCode: 1001,
      refCounter: card.counter,
    });
    return this.append({
      type: 'cancel',
      time,
      terminalSeq,
      originalTerminalSeq,
      cardNumber: card.cardNumber,
      amountCents,
      billRef,
      cardProof,
      cardCertificate: card.certificate,
    });
  }

  /** A reload as the card performs it (the authorization's fields end up in the proof). */
  reload(card: TestCard, amountCents: number, reference: string, terminalSeq = ++this.terminalSeq) {
    const time = this.tick();
    const cardProof = card.transact({
      type: TxType.RELOAD,
      amount: amountCents,
      terminalId: this.terminalId,
      terminalSeq,
      time: Math.floor(time / 1000),
      billRef: reference,
    });
    return this.append({
      type: 'reload',
      time,
      terminalSeq,
      cardNumber: card.cardNumber,
      amountCents,
      reference,
      cardProof,
      cardCertificate: card.certificate,
    });
  }

  /** Upload body for records [fromSeq, toSeq] (default: everything). */
  batch(fromSeq = 0, toSeq = this.records.length - 1, records: Uint8Array[] = this.records): Uint8Array {
    return encodeUploadBatch({
      terminalCertificate: this.certificate,
      records: records.slice(fromSeq, toSeq + 1),
    });
  }

  /** Records fromSeq..toSeq with a seal: the terminal's signature over the checkpoint message for toSeq. */
  sealedBatch(fromSeq: number, toSeq: number, seal?: Uint8Array): Uint8Array {
    const last = this.records[toSeq]!;
    return encodeUploadBatch({
      terminalCertificate: this.certificate,
      records: this.records.slice(fromSeq, toSeq + 1),
      seal: seal ?? this.key.sign(checkpointMessage(this.terminalId, toSeq, recordHash(last))),
    });
  }
}
