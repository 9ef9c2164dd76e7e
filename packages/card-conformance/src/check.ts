/**
 * The building blocks of the v2 conformance checks: the card under test with the suite's own
 * terminal side of every session (src/sm.ts), the test terminals, the assertion helpers and the
 * shape of a check (one per numbered rule of SPEC §16).
 */
import { bytesEqual, concatBytes, keyIdOf, publicKeyOf, sha256, toHex, u32 } from '@huduma/card-applet-spec';
import { type CardTransport, type RawCard, type RawResponse, swHex } from './raw';
import {
  ecdh,
  extract,
  linkKey,
  protectCommand,
  type SessionKeys,
  type SmResponse,
  sessionKeys,
  unprotectResponse,
} from './sm';
import type { ConformanceKeys, ConformanceSigner, ConformanceTarget } from './target';
import {
  AID_V2,
  billRef as billRefField,
  type CardCert,
  certId,
  type DebitRequest,
  decodeCardCert,
  decodeFci,
  decodeOutcome,
  decodePurse,
  encodeDebitRequest,
  encodeLoadAuthorization,
  encodeUndebitRequest,
  type Fci,
  Ins,
  KES,
  type LoadAuthorization,
  type OutcomeBody,
  type Purse,
  pinBlock,
  signTerminalCert,
  type TerminalCertFields,
  terminalCertTbs,
  type UndebitRequest,
  verifyCardCert,
  verifyProof,
} from './wire';

export type CheckStatus = 'passed' | 'failed' | 'not run';

export interface CheckResult {
  /** The check's number in SPEC §16. */
  n: number;
  id: string;
  /** SPEC section(s) the check tests. */
  section: string;
  title: string;
  status: CheckStatus;
  passed: boolean;
  detail: string;
}

export interface ConformanceOptions {
  /** Called after each check (for progress output). */
  onResult?: (result: CheckResult) => void;
  /** Seed of the randomised checks (default: from the clock); printed in their detail. */
  seed?: number;
}

export class CheckFailure extends Error {}
/** Thrown by a check that cannot run on this target (reported "not run"). */
export class NotRun extends Error {}

export function fail(message: string): never {
  throw new CheckFailure(message);
}
export function expectSw(r: { sw: number }, sw: number, what: string): void {
  if (r.sw !== sw) fail(`${what}: expected SW ${swHex(sw)}, got ${swHex(r.sw)}`);
}
export function expectEq<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) fail(`${what}: expected ${fmt(expected)}, got ${fmt(actual)}`);
}
const fmt = (v: unknown) =>
  typeof v === 'number' && v > 0xff ? `${v} (0x${v.toString(16).toUpperCase()})` : String(v);
export function expectTrue(cond: boolean, what: string): void {
  if (!cond) fail(what);
}

export const now = () => Math.floor(Date.now() / 1000);
export const keyFrom = (label: string) => sha256(new TextEncoder().encode(`huduma-conformance-v2:${label}`));

/** A terminal the suite makes up: a static key-agreement key and a CA-signed v2 certificate. */
export interface TestTerminal {
  id: string;
  privateKey: Uint8Array;
  certificate: Uint8Array;
  certId: Uint8Array;
  capabilities: number;
}

export async function makeTerminal(
  keys: ConformanceKeys,
  id: string,
  capabilities: number,
  opts: Partial<TerminalCertFields> & { ca?: ConformanceSigner; privateKey?: Uint8Array } = {},
): Promise<TestTerminal> {
  // §1 entity ids: 1–8 of A–Z 0–9 '-'; a longer id would be cut and compare wrong later.
  if (!/^[A-Z0-9-]{1,8}$/.test(id)) throw new Error(`test terminal id "${id}" is not a §1 entity id`);
  const privateKey = opts.privateKey ?? keyFrom(`terminal:${id}`);
  const ca = opts.ca ?? keys.acquirerCa;
  const fields: TerminalCertFields = {
    issuerKeyId: keyIdOf(ca.publicKey),
    terminalId: id,
    merchantId: 'CONFORM',
    capabilities,
    notBefore: now() - 3600,
    notAfter: now() + 365 * 86_400,
    qt: publicKeyOf(privateKey),
    ...opts,
  };
  const tbs = terminalCertTbs(fields);
  const certificate = concatBytes(tbs, await ca.sign(concatBytes(TAG_CERT, tbs)));
  return { id, privateKey, certificate, certId: certId(certificate), capabilities: fields.capabilities };
}
const TAG_CERT = new TextEncoder().encode('HUDUMA-CERT-v2\0\0');

export { signTerminalCert };

interface OpenSm {
  keys: SessionKeys;
  ssc: number;
  type: number;
  terminal: TestTerminal;
}

export interface SmResult {
  /** The plain status word. */
  sw: number;
  /** The verified SM response when the plain SW was 9000. */
  r?: SmResponse;
}

/** The card under test plus what the suite learned about it. */
export class Card {
  fci!: Fci;
  cert!: CardCert;
  cardNumber!: Uint8Array;
  purse!: Purse;
  challenge: Uint8Array = new Uint8Array(16);
  sm?: OpenSm;
  /** Distinct per run so a real card that saw an earlier run does not answer 9F09. */
  private seq = (now() % 1_000_000) * 1000;
  constructor(
    readonly raw: RawCard,
    readonly target: ConformanceTarget,
  ) {}

  nextSeq(): number {
    return ++this.seq;
  }

  send(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, le?: number) {
    return this.raw.send(cla, ins, p1, p2, data, le);
  }

  async select(sw: number = 0x9000): Promise<Fci> {
    const r = await this.send(0x00, Ins.SELECT, 0x04, 0x00, AID_V2, 0);
    this.sm = undefined;
    expectSw(r, sw, 'SELECT');
    this.fci = decodeFci(r.data);
    this.challenge = this.fci.challenge;
    this.purse = this.fci.purse;
    this.cardNumber = this.fci.cardNumber;
    return this.fci;
  }

  async readPurse(): Promise<Purse> {
    const r = await this.send(0x80, Ins.READ_PURSE, 0, 0, undefined, 0);
    expectSw(r, 0x9000, 'READ PURSE');
    this.purse = decodePurse(r.data);
    return this.purse;
  }

  async getChallenge(): Promise<Uint8Array> {
    const r = await this.send(0x00, Ins.GET_CHALLENGE, 0, 0, undefined, 16);
    this.sm = undefined;
    expectSw(r, 0x9000, 'GET CHALLENGE');
    expectEq(r.data.length, 16, 'challenge length');
    this.challenge = r.data;
    return r.data;
  }

  /** GET DATA 7F21, verified with the issuer CA (§6.3). */
  async readCert(): Promise<CardCert> {
    const r = await this.send(0x00, Ins.GET_DATA, 0x7f, 0x21, undefined, 0);
    expectSw(r, 0x9000, 'GET DATA 7F21');
    const cert = decodeCardCert(r.data);
    expectTrue(
      verifyCardCert(cert, this.target.keys.issuerCaPublicKey),
      'card certificate does not verify with the issuer CA',
    );
    this.cert = cert;
    return cert;
  }

  async register(t: TestTerminal, sw = 0x9000): Promise<RawResponse> {
    const r = await this.raw.sendChained(0x80, Ins.REGISTER_TERMINAL, 0, 0, t.certificate, 0);
    if (r.sw === 0x9000 && sw === 0x9000)
      expectEq(toHex(r.data), toHex(t.certId), 'REGISTER TERMINAL: termCertId');
    expectSw(r, sw, `REGISTER TERMINAL ${t.id}`);
    return r;
  }

  /**
   * OPEN SESSION (§6.16) with the suite's own key derivation; on 9000 verifies the card
   * cryptogram and keeps the session keys. `qe` overrides the ephemeral key (off-curve checks).
   */
  async open(
    t: TestTerminal,
    type: 'tap' | 'secure',
    opts: { qe?: Uint8Array; termCertId?: Uint8Array; sw?: number } = {},
  ): Promise<RawResponse> {
    const rndT = keyFrom(`rnd-t:${this.nextSeq()}`).slice(0, 16);
    const p1 = type === 'tap' ? 0 : 1;
    const ephemeral = keyFrom(`eph:${toHex(rndT)}`);
    const qe = opts.qe ?? publicKeyOf(ephemeral);
    const data = concatBytes(opts.termCertId ?? t.certId, rndT, p1 ? qe : new Uint8Array());
    const challenge = this.challenge;
    const r = await this.send(0x80, Ins.OPEN_SESSION, p1, 0, data, 8);
    if (opts.sw !== -1) expectSw(r, opts.sw ?? 0x9000, `OPEN SESSION (${type}) as ${t.id}`);
    // §6.16: 6982 and 9F12 come before step 3 (session kept); anything later destroys it.
    if (r.sw !== 0x6982 && r.sw !== 0x9f12) this.sm = undefined;
    if (r.sw !== 0x9000) return r;
    if (!this.cert) await this.readCertQuietly();
    const profile = this.fci?.profile ?? 0;
    const kLink = linkKey(ecdh(t.privateKey, this.cert.qaCard, profile), this.cardNumber, t.certId);
    const prk = p1 ? extract(kLink, ecdh(ephemeral, this.cert.qaCard, profile)) : kLink;
    const { keys, cryptogram } = sessionKeys(prk, challenge, rndT, p1);
    expectEq(toHex(r.data), toHex(cryptogram), 'card cryptogram (§4.5)');
    this.sm = { keys, ssc: 0, type: p1, terminal: t };
    return r;
  }

  private async readCertQuietly() {
    // The session needs QA.card: read it without disturbing the challenge (GET DATA keeps it).
    await this.readCert();
  }

  /** SELECT, then OPEN SESSION; registers first when the card answers 9F12. */
  async session(t: TestTerminal, type: 'tap' | 'secure' = 'tap'): Promise<void> {
    await this.select(this.fci?.state === 3 ? 0x6283 : 0x9000);
    const r = await this.open(t, type, { sw: -1 });
    if (r.sw === 0x9000) return;
    expectSw(r, 0x9f12, `OPEN SESSION (${type}) as ${t.id}`);
    await this.register(t);
    await this.open(t, type);
  }

  /**
   * Sends an SM command in the open session (§4.7). A plain 9000 must carry a valid R-MAC; other
   * plain SWs come back as they are. `tamper` flips a C-MAC bit; `sscOverride` replays.
   */
  async smSend(
    cla: number,
    ins: number,
    p1: number,
    p2: number,
    payload: Uint8Array,
    opts: {
      encrypt?: boolean;
      decrypt?: boolean;
      tamper?: boolean;
      sscOverride?: number;
      extra?: number;
    } = {},
  ): Promise<SmResult> {
    const sm = this.sm;
    if (!sm) fail('no session open (suite bug or an earlier step failed)');
    const ssc = opts.sscOverride ?? sm.ssc + 1;
    const data = protectCommand(sm.keys, ssc, { cla, ins, p1, p2 }, payload, opts.encrypt ?? false);
    if (opts.tamper) data[data.length - 1]! ^= 0x01;
    const sent = opts.extra ? concatBytes(data, new Uint8Array(opts.extra)) : data;
    const r = await this.send(cla, ins, p1, p2, sent, 0);
    if (r.sw === 0x6700) return { sw: r.sw }; // length refused before the SSC moves (§4.7.5)
    if (r.sw === 0x6988) {
      this.sm = undefined;
      return { sw: r.sw };
    }
    if (r.sw !== 0x9000) return { sw: r.sw };
    sm.ssc = ssc;
    const res = unprotectResponse(sm.keys, ssc, r.data, opts.decrypt ?? false);
    expectTrue(res.rmacValid, `R-MAC of the response to INS ${ins.toString(16)} does not verify (§4.7.4)`);
    if (res.innerSw !== 0x9000) expectEq(res.wire.length, 0, 'payload of an inner error (§4.7.4: empty)');
    return { sw: r.sw, r: res };
  }

  /** An SM command expected to answer 9000 with the given inner SW; returns the payload. */
  async smExpect(
    ins: number,
    payload: Uint8Array,
    inner: number,
    what: string,
    opts: { cla?: number; p1?: number; p2?: number; encrypt?: boolean; decrypt?: boolean } = {},
  ): Promise<Uint8Array> {
    const res = await this.smSend(opts.cla ?? 0x8c, ins, opts.p1 ?? 0, opts.p2 ?? 0, payload, opts);
    expectSw(res, 0x9000, `${what} (plain SW)`);
    expectEq(swHex(res.r!.innerSw), swHex(inner), `${what}: inner SW`);
    return res.r!.payload;
  }

  debitRequest(amount: number, o: Partial<DebitRequest> = {}): DebitRequest {
    const terminalSeq = o.terminalSeq ?? this.nextSeq();
    return {
      expectedCounter: this.purse.counter,
      amount,
      currency: KES,
      terminalSeq,
      terminalNonce: keyFrom(`nonce:${terminalSeq}:${now()}:${Math.random()}`).slice(0, 8),
      time: now(),
      billRef: billRefField(`CONF-${terminalSeq % 1_000_000}`),
      serviceCode: 0x0101,
      ...o,
    };
  }

  /** DEBIT in the open session; returns the outcome body (inner SW must be 9000, §6.8). */
  async debit(req: DebitRequest | Uint8Array, what = 'DEBIT'): Promise<OutcomeBody> {
    const body = req instanceof Uint8Array ? req : encodeDebitRequest(req);
    return decodeOutcome(await this.smExpect(Ins.DEBIT, body, 0x9000, what));
  }

  async undebit(req: UndebitRequest, what = 'UNDEBIT'): Promise<OutcomeBody> {
    return decodeOutcome(await this.smExpect(Ins.UNDEBIT, encodeUndebitRequest(req), 0x9000, what));
  }

  /** Expects an outcome; for EXECUTED / ALREADY_APPLIED verifies the proof. */
  expectOutcome(o: OutcomeBody, outcome: number, reason: number, what: string): void {
    const names = ['?', 'EXECUTED', 'ALREADY_APPLIED', 'STALE', 'REFUSED'];
    expectEq(names[o.outcome] ?? String(o.outcome), names[outcome], `${what}: outcome`);
    expectEq(swHex(o.reason), swHex(reason), `${what}: reason`);
    if (outcome <= 2) {
      expectTrue(o.proof !== undefined, `${what}: no proof`);
      expectTrue(
        verifyProof(this.cardNumber, o.proof!, this.cert.pkCard),
        `${what}: proof signature does not verify with PK.card`,
      );
    } else expectTrue(o.proof === undefined, `${what}: a refusal carries a proof`);
  }

  /** A load authorization for the current counter and challenge (§6.10). */
  async loadAuthorization(
    amount: number,
    o: Partial<LoadAuthorization> & { signer?: ConformanceSigner } = {},
  ) {
    const signer = o.signer ?? this.target.keys.loadAuthority;
    const seq = this.nextSeq();
    return encodeLoadAuthorization(
      {
        keyId: keyIdOf(signer.publicKey),
        cardNumber: this.cardNumber,
        counter: this.purse.counter,
        challenge: this.challenge,
        amount,
        currency: KES,
        time: now(),
        terminalId: 'CONF-AGT',
        terminalSeq: seq,
        terminalNonce: keyFrom(`load:${seq}`).slice(0, 8),
        loadRef: billRefField(`CONF-LOAD-${seq % 100_000}`),
        ...o,
      },
      (m) => signer.sign(m),
    );
  }

  /** GET CHALLENGE + READ PURSE + RELOAD; returns the raw answer. */
  async reload(amount: number, o: Partial<LoadAuthorization> = {}, chunk = 255): Promise<RawResponse> {
    await this.getChallenge();
    await this.readPurse();
    const auth = await this.loadAuthorization(amount, o);
    return this.raw.sendChained(0x80, Ins.RELOAD, 0, 0, auth, 0, chunk);
  }

  async reloadOk(amount: number, what = 'RELOAD (set-up)'): Promise<Uint8Array> {
    const r = await this.reload(amount);
    expectSw(r, 0x9000, what);
    expectTrue(verifyProof(this.cardNumber, r.data, this.cert.pkCard), `${what}: proof does not verify`);
    return r.data;
  }

  /** VERIFY PIN in the open SECURE session; returns the inner SW. */
  async verifyPin(pin: string | Uint8Array): Promise<number> {
    const block = typeof pin === 'string' ? pinBlock(pin) : pin;
    const res = await this.smSend(0x0c, Ins.VERIFY_PIN, 0x00, 0x81, block, { encrypt: true });
    expectSw(res, 0x9000, 'VERIFY PIN (plain SW)');
    return res.r!.innerSw;
  }

  /** Asserts the purse (READ PURSE) is byte for byte what it was: a refusal changed nothing. */
  async unchanged(before: Purse, what: string): Promise<void> {
    const after = await this.readPurse();
    expectEq(toHex(after.bytes), toHex(before.bytes), `${what}: purse changed`);
  }

  /** Tops the balance up (one RELOAD) so that value checks can run; keeps offlineSpend at 0. */
  async ensureBalance(balance: number): Promise<void> {
    const p = await this.readPurse();
    const room = p.maxBalance - p.balance;
    await this.reloadOk(Math.min(room, Math.max(0, balance - p.balance)));
  }
}

// biome-ignore lint/suspicious/noConfusingVoidType: checks return a note or nothing
export type CheckFn = (card: Card, ctx: GroupContext) => Promise<string | void>;

/** What a check needs from the target beyond an ACTIVE card it may use. */
export type Needs = 'shared' | 'fresh' | 'blank' | 'tear' | 'repository';

export interface CheckDef {
  n: number;
  id: string;
  section: string;
  title: string;
  needs: Needs;
  /** Not written yet: reported "not run (not implemented)". */
  todo?: string;
  run: CheckFn;
}

export function check(
  n: number,
  id: string,
  section: string,
  title: string,
  needs: Needs,
  run: CheckFn,
): CheckDef {
  return { n, id, section, title, needs, run };
}

/** A numbered check of §16 the suite does not implement yet (reported, never silently missing). */
export function todo(
  n: number,
  id: string,
  section: string,
  title: string,
  why: string,
  needs: Needs = 'shared',
): CheckDef {
  return { n, id, section, title, needs, todo: why, run: async () => undefined };
}

/** What every check is built from: the target, its keys, a terminal maker. */
export interface GroupContext {
  target: ConformanceTarget;
  keys: ConformanceKeys;
  term: (id: string, caps?: number, opts?: Parameters<typeof makeTerminal>[3]) => Promise<TestTerminal>;
  seed: number;
  /** Opens a fresh ACTIVE card (a new one when the target has fresh cards), selected, certificate read. */
  freshCard: () => Promise<Card>;
}

export { bytesEqual, type CardTransport, u32 };
