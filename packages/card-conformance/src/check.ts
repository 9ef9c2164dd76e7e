/**
 * The building blocks of the conformance checks: the session on the card under test, the
 * assertion helpers, and the shape of a check and of a group of checks.
 */
import {
  AID,
  type CardNumber,
  decodePurse,
  decodeSelectResponse,
  decodeTransactionProof,
  encodeCertificate,
  encodeDebitRequest,
  encodeLoadAuthorizationBody,
  encodePinBlock,
  keyIdOf,
  loadAuthorizationSigningMessage,
  type Purse,
  publicKeyOf,
  sha256,
  signMessage,
  terminalAuthMessage,
  verifyCertificateBytes,
  verifyTransactionProof,
} from '@huduma/card-applet-spec';
import { type RawCard, type RawResponse, swHex } from './raw';
import {
  type ConformanceKeys,
  type ConformanceSigner,
  type ConformanceTarget,
  signCertificateWith,
} from './target';

export type CheckStatus = 'passed' | 'failed' | 'not run';

export interface CheckResult {
  id: string;
  /** SPEC.md section the check tests. */
  section: string;
  title: string;
  status: CheckStatus;
  passed: boolean;
  detail: string;
}

export interface ConformanceOptions {
  /** Called after each check (for progress output). */
  onResult?: (result: CheckResult) => void;
}

export class CheckFailure extends Error {}

export function fail(message: string): never {
  throw new CheckFailure(message);
}
export function expectSw(r: RawResponse, sw: number, what: string): void {
  if (r.sw !== sw) fail(`${what}: expected SW ${swHex(sw)}, got ${swHex(r.sw)}`);
}
export function expectEq<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) fail(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}
export function expectTrue(cond: boolean, what: string): void {
  if (!cond) fail(what);
}

/** A terminal the suite makes up: a key pair and a certificate from the acquirer CA (or another CA). */
export interface TestTerminal {
  id: string;
  privateKey: Uint8Array;
  certificate: Uint8Array;
}

export const now = () => Math.floor(Date.now() / 1000);
export const keyFrom = (label: string) => sha256(new TextEncoder().encode(`huduma-conformance:${label}`));

export async function makeTerminal(
  keys: ConformanceKeys,
  id: string,
  capabilities: number,
  opts: { notAfter?: number; ca?: ConformanceSigner; type?: 'card' } = {},
): Promise<TestTerminal> {
  const privateKey = keyFrom(`terminal:${id}`);
  const ca = opts.ca ?? keys.acquirerCa;
  const cert = await signCertificateWith(
    {
      type: 'terminal',
      issuerKeyId: keyIdOf(ca.publicKey),
      terminalId: id,
      merchantId: 'CONFORM',
      capabilities,
      notBefore: now() - 3600,
      notAfter: opts.notAfter ?? now() + 365 * 86_400,
      publicKey: publicKeyOf(privateKey),
    },
    ca,
  );
  return { id, privateKey, certificate: encodeCertificate(cert) };
}

/** The card under test plus what the suite learned about it. */
export class Session {
  cardNumber!: CardNumber;
  cardPublicKey!: Uint8Array;
  challenge: Uint8Array = new Uint8Array(16);
  purse!: Purse;
  /** Distinct per run so a real card that saw an earlier run does not answer 9F09. */
  private seq = (now() % 1_000_000) * 1000;
  constructor(
    readonly card: RawCard,
    readonly target: ConformanceTarget,
  ) {}

  nextSeq(): number {
    return ++this.seq;
  }

  async select(expectSw = 0x9000): Promise<RawResponse> {
    const r = await this.card.send(0x00, 0xa4, 0x04, 0x00, AID, 0);
    if (r.sw !== expectSw) fail(`SELECT: expected ${swHex(expectSw)}, got ${swHex(r.sw)}`);
    const fci = decodeSelectResponse(r.data);
    this.challenge = fci.challenge;
    this.purse = fci.purse;
    if (fci.cardNumber) this.cardNumber = fci.cardNumber;
    return r;
  }

  async readPurse(): Promise<Purse> {
    const r = await this.card.send(0x80, 0x50, 0, 0, undefined, 0);
    expectSw(r, 0x9000, 'READ PURSE');
    this.purse = decodePurse(r.data);
    return this.purse;
  }

  async getChallenge(): Promise<Uint8Array> {
    const r = await this.card.send(0x00, 0x84, 0, 0, undefined, 16);
    expectSw(r, 0x9000, 'GET CHALLENGE');
    expectEq(r.data.length, 16, 'challenge length');
    this.challenge = r.data;
    return r.data;
  }

  async loadCardKey(): Promise<void> {
    const r = await this.card.send(0x00, 0xca, 0x7f, 0x21, undefined, 0);
    expectSw(r, 0x9000, 'GET DATA 7F21');
    const cert = verifyCertificateBytes(r.data, this.target.keys.issuerCaPublicKey);
    if (cert?.type !== 'card') fail('card certificate does not verify with the issuer CA key');
    this.cardPublicKey = cert.publicKey;
  }

  /** Sends a terminal-authenticated command signed over the current challenge. */
  async auth(
    ins: number,
    terminal: TestTerminal,
    body: Uint8Array,
    tamper: { signature?: boolean; challenge?: Uint8Array; extra?: number } = {},
  ): Promise<RawResponse> {
    const message = terminalAuthMessage(ins, 0, 0, tamper.challenge ?? this.challenge, this.cardNumber, body);
    const signature = signMessage(terminal.privateKey, message);
    if (tamper.signature) signature[10]! ^= 0x01;
    const data = new Uint8Array([
      ...terminal.certificate,
      ...body,
      ...signature,
      ...new Uint8Array(tamper.extra ?? 0),
    ]);
    return this.card.sendChained(0x80, ins, 0, 0, data);
  }

  debitBody(
    amount: number,
    seq: number,
    extra: { time?: number; billRef?: string; serviceCode?: number } = {},
  ) {
    return encodeDebitRequest({
      amount,
      terminalSeq: seq,
      terminalNonce: keyFrom(`nonce:${seq}`).slice(0, 8),
      time: extra.time ?? now(),
      billRef: extra.billRef ?? `CONF-${seq}`,
      serviceCode: extra.serviceCode ?? 0x0001,
    });
  }

  /** A load authorization for the current counter and challenge (GET CHALLENGE first). */
  async loadAuthorization(
    amount: number,
    opts: {
      counter?: number;
      challenge?: Uint8Array;
      time?: number;
      signer?: ConformanceSigner;
      cardNumber?: string;
    } = {},
  ): Promise<Uint8Array> {
    const signer = opts.signer ?? this.target.keys.loadAuthority;
    const body = encodeLoadAuthorizationBody({
      keyId: keyIdOf(signer.publicKey),
      cardNumber: opts.cardNumber ?? this.cardNumber,
      cardCounter: opts.counter ?? this.purse.counter,
      cardChallenge: opts.challenge ?? this.challenge,
      amount,
      time: opts.time ?? now(),
      terminalId: 'CONF-AGT',
      terminalSeq: this.nextSeq(),
      terminalNonce: keyFrom(`load:${this.seq}`).slice(0, 8),
      loadRef: `CONF-LOAD-${this.seq % 100000}`,
    });
    const signature = await signer.sign(loadAuthorizationSigningMessage(body));
    return new Uint8Array([...body, ...signature]);
  }

  async reload(amount: number, time?: number): Promise<RawResponse> {
    await this.readPurse();
    await this.getChallenge();
    const auth = await this.loadAuthorization(amount, time === undefined ? {} : { time });
    return this.card.send(0x80, 0x58, 0, 0, auth, 0);
  }

  /** Tops the balance up to at least `balance` (one reload). */
  async ensureBalance(balance: number): Promise<void> {
    const p = await this.readPurse();
    if (p.balance >= balance && p.offlineSpend === 0) return;
    const r = await this.reload(Math.max(0, balance - p.balance));
    expectSw(r, 0x9000, 'RELOAD (setting up the balance)');
  }

  async verifyPin(pin: string): Promise<RawResponse> {
    return this.card.send(0x00, 0x20, 0x00, 0x81, encodePinBlock(pin));
  }

  checkProof(data: Uint8Array, what: string) {
    expectEq(data.length, 127, `${what}: proof length`);
    const proof = decodeTransactionProof(data);
    expectTrue(
      verifyTransactionProof(this.cardNumber, proof, this.cardPublicKey),
      `${what}: card signature over the record does not verify with the certified card key`,
    );
    return proof.record;
  }

  /** Asserts the purse moved as expected since `before`. */
  async expectPurse(
    before: Purse,
    delta: { balance: number; counter: number; offlineSpend?: number },
    what: string,
  ) {
    const after = await this.readPurse();
    expectEq(after.balance, before.balance + delta.balance, `${what}: balance`);
    expectEq(after.counter, before.counter + delta.counter, `${what}: counter`);
    if (delta.offlineSpend !== undefined)
      expectEq(after.offlineSpend, before.offlineSpend + delta.offlineSpend, `${what}: offline spend`);
  }
}

// biome-ignore lint/suspicious/noConfusingVoidType: checks return a note or nothing
export type CheckFn = (s: Session) => Promise<string | void>;
export interface CheckDef {
  id: string;
  section: string;
  title: string;
  run: CheckFn;
}
export interface Group {
  name: string;
  /** Destroys or blocks the card: needs a fresh one. */
  destructive?: boolean;
  /** Starts from a blank card (PERSONALIZATION). */
  blank?: boolean;
  checks: CheckDef[];
}

export const c = (id: string, section: string, title: string, run: CheckFn): CheckDef => ({
  id,
  section,
  title,
  run,
});

/** What DEBIT sets up and the later groups (UNDEBIT, identity, BLOCK CARD) reuse on the same card. */
export interface SharedState {
  shop: TestTerminal;
  lastDebit?: { seq: number; body: Uint8Array; proof: Uint8Array; amount: number; time: number };
}

/** What every group of checks is built from: the target, its keys, a terminal maker, shared state. */
export interface GroupContext {
  target: ConformanceTarget;
  keys: ConformanceKeys;
  /** Every capability a terminal can hold. */
  ALL: number;
  term: (id: string, caps?: number, opts?: Parameters<typeof makeTerminal>[3]) => Promise<TestTerminal>;
  shared: SharedState;
}
