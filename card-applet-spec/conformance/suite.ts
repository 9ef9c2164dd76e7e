import {
  AID,
  BlockReason,
  Capability,
  type CardNumber,
  CURRENCY_KES,
  cardNumberFromAccount,
  decodeCertificate,
  decodeIdentity,
  decodePurse,
  decodeRecoveryResponse,
  decodeSelectResponse,
  decodeTransactionProof,
  encodeBlockRequest,
  encodeCertificate,
  encodeDebitRequest,
  encodeIdentityReadRequest,
  encodeLoadAuthorizationBody,
  encodePinBlock,
  encodeRecoveryRequest,
  encodeUndebitRequest,
  INS,
  KeyUsage,
  keyIdOf,
  LifeCycle,
  Limits,
  loadAuthorizationSigningMessage,
  type Purse,
  publicKeyOf,
  StoreDataObject,
  SW,
  sha256,
  signMessage,
  TxType,
  terminalAuthMessage,
  toHex,
  verifyCertificateBytes,
  verifyRecoveryAttestation,
  verifyTransactionProof,
} from '../src/index';
import { type CardTransport, RawCard, type RawResponse, swHex } from './raw';
import {
  type ConformanceKeys,
  type ConformanceSigner,
  type ConformanceTarget,
  personalizeRaw,
  signCertificateWith,
  softwareSigner,
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

class CheckFailure extends Error {}

function fail(message: string): never {
  throw new CheckFailure(message);
}
function expectSw(r: RawResponse, sw: number, what: string): void {
  if (r.sw !== sw) fail(`${what}: expected SW ${swHex(sw)}, got ${swHex(r.sw)}`);
}
function expectEq<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) fail(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}
function expectTrue(cond: boolean, what: string): void {
  if (!cond) fail(what);
}

/** A terminal the suite makes up: a key pair and a certificate from the acquirer CA (or another CA). */
interface TestTerminal {
  id: string;
  privateKey: Uint8Array;
  certificate: Uint8Array;
}

const now = () => Math.floor(Date.now() / 1000);
const keyFrom = (label: string) => sha256(new TextEncoder().encode(`huduma-conformance:${label}`));

async function makeTerminal(
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
class Session {
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
type CheckFn = (s: Session) => Promise<string | void>;
interface CheckDef {
  id: string;
  section: string;
  title: string;
  run: CheckFn;
}
interface Group {
  name: string;
  /** Destroys or blocks the card: needs a fresh one. */
  destructive?: boolean;
  /** Starts from a blank card (PERSONALIZATION). */
  blank?: boolean;
  checks: CheckDef[];
}

const c = (id: string, section: string, title: string, run: CheckFn): CheckDef => ({
  id,
  section,
  title,
  run,
});

function groups(target: ConformanceTarget): Group[] {
  const { keys } = target;
  const ALL = Capability.DEBIT | Capability.UNDEBIT | Capability.IDENTITY_READ | Capability.BLOCK;
  const term = (id: string, caps = ALL, opts: Parameters<typeof makeTerminal>[3] = {}) =>
    makeTerminal(keys, id, caps, opts);

  const basics: Group = {
    name: 'basics',
    checks: [
      c('select.fci', '6.1', 'SELECT returns the FCI with 9000 in ACTIVE', async (s) => {
        const r = await s.select();
        const fci = decodeSelectResponse(r.data);
        expectEq(fci.version, 1, 'applet version');
        expectEq(fci.lifeCycle, LifeCycle.ACTIVE, 'life cycle');
        expectTrue(fci.cardNumber !== undefined, 'FCI has a card number');
        expectEq(fci.purse.currency, CURRENCY_KES, 'currency');
        return `card ${fci.cardNumber}, balance ${fci.purse.balance}, counter ${fci.purse.counter}`;
      }),
      c('select.fresh-challenge', '6.1', 'each SELECT gives a fresh challenge', async (s) => {
        await s.select();
        const a = toHex(s.challenge);
        await s.select();
        const b = toHex(s.challenge);
        expectTrue(a !== b, 'two SELECTs returned the same challenge');
      }),
      c('select.wrong-aid', '6.1', 'SELECT of another AID answers 6A82', async (s) => {
        const other = AID.slice();
        other[10] = 0x7f;
        expectSw(
          await s.card.send(0x00, 0xa4, 0x04, 0x00, other, 0),
          SW.APPLET_NOT_FOUND,
          'SELECT other AID',
        );
        await s.select();
      }),
      c('get-challenge.fresh', '6.2', 'GET CHALLENGE returns 16 fresh bytes each time', async (s) => {
        const seen = new Set([toHex(s.challenge)]);
        for (let i = 0; i < 4; i++) seen.add(toHex(await s.getChallenge()));
        expectEq(seen.size, 5, 'distinct challenges');
      }),
      c(
        'get-data.certificate',
        '6.3',
        'GET DATA 7F21: card certificate verifies and names this card',
        async (s) => {
          await s.loadCardKey();
          const r = await s.card.send(0x00, 0xca, 0x7f, 0x21, undefined, 0);
          const cert = decodeCertificate(r.data);
          if (cert.type !== 'card') fail('not a card certificate');
          expectEq(cert.cardNumber, s.cardNumber, 'certificate card number');
        },
      ),
      c('read-purse', '6.7', 'READ PURSE returns the 28-byte purse, equal to the FCI purse', async (s) => {
        await s.select();
        const fci = s.purse;
        const p = await s.readPurse();
        expectEq(JSON.stringify(p), JSON.stringify(fci), 'purse');
        expectEq(p.lifeCycle, LifeCycle.ACTIVE, 'life cycle');
        expectTrue(p.offlineLimit <= p.maxBalance && p.cvmLimit <= p.maxBalance, 'limits within maxBalance');
      }),
      c('generic.cla', '6.0.3', 'unknown CLA answers 6E00', async (s) => {
        expectSw(await s.card.send(0xa0, 0x50, 0, 0), SW.CLA_NOT_SUPPORTED, 'CLA A0');
        expectSw(await s.card.send(0x0c, 0xb2, 1, 4), SW.CLA_NOT_SUPPORTED, 'CLA 0C (secure messaging)');
      }),
      c('generic.ins', '6.0.3', 'unknown INS for the CLA answers 6D00', async (s) => {
        expectSw(await s.card.send(0x80, 0xff, 0, 0), SW.INS_NOT_SUPPORTED, '80 FF');
        expectSw(await s.card.send(0x00, 0x50, 0, 0), SW.INS_NOT_SUPPORTED, 'READ PURSE with CLA 00');
        expectSw(await s.card.send(0x80, 0xa4, 4, 0, AID), SW.INS_NOT_SUPPORTED, 'SELECT with CLA 80');
      }),
      c('generic.logical-channel', '6.0.3', 'a logical channel other than 0 answers 6881', async (s) => {
        expectSw(await s.card.send(0x01, 0xb2, 1, 4), SW.LOGICAL_CHANNEL_NOT_SUPPORTED, 'CLA 01');
        expectSw(await s.card.send(0x83, 0x50, 0, 0), SW.LOGICAL_CHANNEL_NOT_SUPPORTED, 'CLA 83');
        expectSw(await s.card.send(0x40, 0x84, 0, 0), SW.LOGICAL_CHANNEL_NOT_SUPPORTED, 'CLA 40 (channel 4)');
      }),
      c('generic.p1p2', '6.0.3', 'wrong P1-P2 answers 6A86', async (s) => {
        expectSw(await s.card.send(0x80, 0x50, 1, 0), SW.WRONG_P1P2, 'READ PURSE P1=01');
        expectSw(await s.card.send(0x00, 0x84, 0, 1), SW.WRONG_P1P2, 'GET CHALLENGE P2=01');
        expectSw(await s.card.send(0x00, 0xca, 0x7f, 0x22), SW.WRONG_P1P2, 'GET DATA 7F22');
        expectSw(await s.card.send(0x00, 0x20, 0x00, 0x80), SW.WRONG_P1P2, 'VERIFY P2=80');
      }),
      c('generic.lc', '6.0.3', 'wrong Lc answers 6700', async (s) => {
        expectSw(
          await s.card.send(0x80, 0x50, 0, 0, new Uint8Array(1)),
          SW.WRONG_LENGTH,
          'READ PURSE with data',
        );
        expectSw(
          await s.card.send(0x00, 0x84, 0, 0, new Uint8Array(2)),
          SW.WRONG_LENGTH,
          'GET CHALLENGE with data',
        );
        expectSw(
          await s.card.send(0x00, 0x20, 0, 0x81, new Uint8Array(7)),
          SW.WRONG_LENGTH,
          'VERIFY 7 bytes',
        );
        expectSw(
          await s.card.send(0x80, 0x5a, 0, 0, new Uint8Array(19)),
          SW.WRONG_LENGTH,
          'GET LAST TX 19 bytes',
        );
        expectSw(
          await s.card.send(0x80, 0x58, 0, 0, new Uint8Array(143)),
          SW.WRONG_LENGTH,
          'RELOAD 143 bytes',
        );
      }),
      c(
        'generic.le-ignored',
        '6.0.1',
        'Le is not checked: no Le, Le 00 and an exact Le all work',
        async (s) => {
          for (const le of [undefined, 0, 28, 5])
            expectSw(await s.card.send(0x80, 0x50, 0, 0, undefined, le), 0x9000, `Le ${le}`);
        },
      ),
      c(
        'chaining.not-chainable',
        '6.0.2',
        'a chained segment of a non-chainable command answers 6884',
        async (s) => {
          expectSw(await s.card.send(0x90, 0x50, 0, 0), SW.CHAINING_NOT_SUPPORTED, 'chained READ PURSE');
          expectSw(await s.card.send(0x10, 0x84, 0, 0), SW.CHAINING_NOT_SUPPORTED, 'chained GET CHALLENGE');
        },
      ),
      c(
        'chaining.interrupted',
        '6.0.2',
        'another command in a chain answers 6883 and aborts the chain',
        async (s) => {
          expectSw(await s.card.send(0x90, 0x54, 0, 0, new Uint8Array(200)), 0x9000, 'first DEBIT segment');
          expectSw(
            await s.card.send(0x80, 0x50, 0, 0),
            SW.LAST_COMMAND_OF_CHAIN_EXPECTED,
            'READ PURSE mid-chain',
          );
          expectSw(await s.card.send(0x80, 0x50, 0, 0), 0x9000, 'READ PURSE after the aborted chain');
          expectSw(await s.card.send(0x90, 0x54, 0, 0, new Uint8Array(200)), 0x9000, 'first DEBIT segment');
          expectSw(
            await s.card.send(0x80, 0x54, 0, 1, new Uint8Array(67)),
            SW.LAST_COMMAND_OF_CHAIN_EXPECTED,
            'P2 changed',
          );
        },
      ),
      c('chaining.too-long', '6.0.2', 'a chain longer than 512 bytes answers 6884', async (s) => {
        await s.select();
        const r = await s.card.sendChained(0x80, 0x54, 0, 0, new Uint8Array(600));
        expectSw(r, SW.CHAINING_NOT_SUPPORTED, '600-byte chain');
        expectSw(await s.card.send(0x80, 0x50, 0, 0), 0x9000, 'READ PURSE after');
      }),
      c('perso.refused-when-active', '7', 'personalization commands answer 6985 when ACTIVE', async (s) => {
        expectSw(
          await s.card.send(0x80, 0xe2, 0x04, 0, encodePinBlock('0000')),
          SW.CONDITIONS_NOT_SATISFIED,
          'STORE DATA PIN',
        );
        expectSw(await s.card.send(0x80, 0xe4, 0, 0), SW.CONDITIONS_NOT_SATISFIED, 'GENERATE KEY PAIR');
        expectSw(await s.card.send(0x80, 0xe6, 0, 0), SW.CONDITIONS_NOT_SATISFIED, 'FINALIZE');
      }),
    ],
  };

  const pin: Group = {
    name: 'pin',
    checks: [
      c(
        'pin.status',
        '6.4',
        'VERIFY without data reports 63C3 before, 9000 after verification',
        async (s) => {
          await s.select();
          expectSw(await s.card.send(0x00, 0x20, 0, 0x81), 0x63c3, 'status before');
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY correct PIN');
          expectSw(await s.card.send(0x00, 0x20, 0, 0x81), 0x9000, 'status after');
          await s.select();
          expectSw(await s.card.send(0x00, 0x20, 0, 0x81), 0x63c3, 'SELECT clears the verification');
        },
      ),
      c('pin.wrong-counts', '6.4', 'a wrong PIN answers 63C2, a right one resets the counter', async (s) => {
        const wrong = target.pin === '9999' ? '8888' : '9999';
        expectSw(await s.verifyPin(wrong), 0x63c2, 'wrong PIN');
        expectEq((await s.readPurse()).pinTriesLeft, 2, 'purse PIN tries');
        expectSw(await s.verifyPin(target.pin), 0x9000, 'right PIN');
        expectEq((await s.readPurse()).pinTriesLeft, 3, 'PIN tries after reset');
      }),
      c('pin.wrong-clears-flag', '6.4', 'a failed VERIFY clears the session verification', async (s) => {
        const wrong = target.pin === '9999' ? '8888' : '9999';
        expectSw(await s.verifyPin(target.pin), 0x9000, 'right PIN');
        expectSw(await s.verifyPin(wrong), 0x63c2, 'wrong PIN');
        expectSw(await s.card.send(0x00, 0x20, 0, 0x81), 0x63c2, 'status');
        expectSw(await s.verifyPin(target.pin), 0x9000, 'right PIN');
      }),
      c('pin.malformed', '6.4', 'a malformed PIN block answers 6A80 and costs no try', async (s) => {
        expectSw(
          await s.card.send(
            0x00,
            0x20,
            0,
            0x81,
            new Uint8Array([0x31, 0x32, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
          ),
          SW.WRONG_DATA,
          '2 digits',
        );
        expectSw(
          await s.card.send(
            0x00,
            0x20,
            0,
            0x81,
            new Uint8Array([0x31, 0x32, 0x33, 0x34, 0xff, 0x35, 0xff, 0xff]),
          ),
          SW.WRONG_DATA,
          'digit after padding',
        );
        expectEq((await s.readPurse()).pinTriesLeft, 3, 'PIN tries');
      }),
      c('pin.change', '6.5', 'CHANGE PIN: wrong old PIN 63C2; right one changes it', async (s) => {
        const wrong = target.pin === '9999' ? '8888' : '9999';
        const next = target.pin === '24680' ? '13579' : '24680';
        const change = (a: string, b: string) =>
          s.card.send(0x00, 0x24, 0, 0x81, new Uint8Array([...encodePinBlock(a), ...encodePinBlock(b)]));
        expectSw(await change(wrong, next), 0x63c2, 'wrong old PIN');
        expectSw(
          await s.card.send(
            0x00,
            0x24,
            0,
            0x81,
            new Uint8Array([...encodePinBlock(target.pin), 0x31, ...new Uint8Array(7)]),
          ),
          SW.WRONG_DATA,
          'malformed new PIN',
        );
        expectSw(await change(target.pin, next), 0x9000, 'change');
        await s.select();
        expectSw(await s.verifyPin(next), 0x9000, 'new PIN verifies');
        expectSw(await change(next, target.pin), 0x9000, 'change back');
        expectEq((await s.readPurse()).pinTriesLeft, 3, 'PIN tries');
      }),
    ],
  };

  const reload: Group = {
    name: 'reload',
    checks: [
      c(
        'reload.happy',
        '6.10',
        'RELOAD credits, resets offline spend, returns a verifiable proof',
        async (s) => {
          await s.select();
          await s.loadCardKey();
          const before = await s.readPurse();
          const amount = Math.min(100_000, before.maxBalance - before.balance);
          const r = await s.reload(amount);
          expectSw(r, 0x9000, 'RELOAD');
          const rec = s.checkProof(r.data, 'reload proof');
          expectEq(rec.type, TxType.RELOAD, 'record type');
          expectEq(rec.amount, amount, 'record amount');
          expectEq(rec.counter, before.counter + 1, 'record counter');
          expectEq(rec.offlineSpendAfter, 0, 'offline spend after');
          await s.expectPurse(before, { balance: amount, counter: 1 }, 'purse after RELOAD');
          expectEq(s.purse.offlineSpend, 0, 'offline spend');
        },
      ),
      c('reload.no-challenge', '6.10', 'RELOAD without a current challenge answers 6982', async (s) => {
        await s.readPurse();
        const auth = await s.loadAuthorization(1);
        expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.SECURITY_STATUS_NOT_SATISFIED, 'RELOAD');
      }),
      c(
        'reload.stale-counter',
        '6.10',
        'a load authorization for another counter answers 9F08',
        async (s) => {
          const p = await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1, { counter: p.counter - 1 });
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'RELOAD');
          await s.expectPurse(p, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'reload.wrong-challenge',
        '6.10',
        'a load authorization for another challenge answers 9F08',
        async (s) => {
          await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1, { challenge: new Uint8Array(16).fill(0x5a) });
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'RELOAD');
        },
      ),
      c('reload.other-card', '6.10', 'a load authorization for another card answers 9F08', async (s) => {
        await s.readPurse();
        await s.getChallenge();
        const other = cardNumberFromAccount(
          s.cardNumber === cardNumberFromAccount('00000000001') ? '00000000002' : '00000000001',
        );
        const auth = await s.loadAuthorization(1, { cardNumber: other });
        expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'RELOAD');
      }),
      c(
        'reload.challenge-consumed',
        '6.10',
        'RELOAD consumes the challenge: the same authorization again fails',
        async (s) => {
          const before = await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1);
          const bad = auth.slice();
          bad[100]! ^= 1;
          expectSw(
            await s.card.send(0x80, 0x58, 0, 0, bad),
            SW.LOAD_AUTH_INVALID,
            'RELOAD with a bad signature',
          );
          expectSw(
            await s.card.send(0x80, 0x58, 0, 0, auth),
            SW.SECURITY_STATUS_NOT_SATISFIED,
            'valid RELOAD, challenge used up',
          );
          await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'reload.replay',
        '6.10',
        'a used load authorization replayed with a new challenge answers 9F08',
        async (s) => {
          await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1);
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), 0x9000, 'first use');
          const p = await s.readPurse();
          await s.getChallenge();
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'replay');
          await s.expectPurse(p, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'reload.bad-signature',
        '6.10',
        'a load authorization with a bad signature answers 9F08',
        async (s) => {
          await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1);
          auth[143]! ^= 0x80;
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'RELOAD');
        },
      ),
      c('reload.unknown-key', '6.10', 'a load authorization by an unknown key answers 6A88', async (s) => {
        await s.readPurse();
        await s.getChallenge();
        const rogue = softwareSigner(keyFrom('rogue-load-authority'));
        expectSw(
          await s.card.send(0x80, 0x58, 0, 0, await s.loadAuthorization(1, { signer: rogue })),
          SW.REFERENCED_DATA_NOT_FOUND,
          'RELOAD',
        );
        await s.readPurse();
        await s.getChallenge();
        // The terminal CA is trusted, but not for loads.
        expectSw(
          await s.card.send(0x80, 0x58, 0, 0, await s.loadAuthorization(1, { signer: keys.acquirerCa })),
          SW.REFERENCED_DATA_NOT_FOUND,
          'RELOAD signed by the terminal CA',
        );
      }),
      c('reload.max-balance', '6.10', 'a reload above maxBalance answers 9F02', async (s) => {
        const p = await s.readPurse();
        await s.getChallenge();
        const auth = await s.loadAuthorization(p.maxBalance - p.balance + 1);
        expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.MAX_BALANCE_EXCEEDED, 'RELOAD');
        await s.expectPurse(p, { balance: 0, counter: 0 }, 'purse unchanged');
      }),
    ],
  };

  let shop: TestTerminal;
  let lastDebit:
    | { seq: number; body: Uint8Array; proof: Uint8Array; amount: number; time: number }
    | undefined;
  const debit: Group = {
    name: 'debit',
    checks: [
      c(
        'debit.happy',
        '6.8',
        'DEBIT (SELECT + chained DEBIT) debits and returns a verifiable proof',
        async (s) => {
          shop = await term('CONF-T1');
          await s.select();
          await s.loadCardKey();
          await s.ensureBalance(50_000);
          await s.select();
          const before = s.purse;
          const seq = s.nextSeq();
          const amount = 1_234;
          const time = now();
          const body = s.debitBody(amount, seq, { time });
          const r = await s.auth(INS.DEBIT, shop, body);
          expectSw(r, 0x9000, 'DEBIT');
          const rec = s.checkProof(r.data, 'debit proof');
          expectEq(rec.type, TxType.DEBIT, 'type');
          expectEq(rec.amount, amount, 'amount');
          expectEq(rec.counter, before.counter + 1, 'counter');
          expectEq(rec.balanceAfter, before.balance - amount, 'balance after');
          expectEq(rec.offlineSpendAfter, before.offlineSpend + amount, 'offline spend after');
          expectEq(rec.terminalId, 'CONF-T1', 'terminal id from the certificate');
          expectEq(rec.terminalSeq, seq, 'terminal seq');
          expectEq(rec.billRef, `CONF-${seq}`, 'bill ref');
          expectEq(rec.refCounter, 0, 'refCounter');
          await s.expectPurse(
            before,
            { balance: -amount, counter: 1, offlineSpend: amount },
            'purse after DEBIT',
          );
          lastDebit = { seq, body, proof: r.data, amount, time };
        },
      ),
      c(
        'debit.idempotent',
        '6.8',
        'the identical DEBIT repeated returns the identical proof and debits once',
        async (s) => {
          if (!lastDebit) fail('needs debit.happy');
          await s.select();
          const before = s.purse;
          const r = await s.auth(INS.DEBIT, shop, lastDebit.body);
          expectSw(r, 0x9000, 'repeated DEBIT');
          expectEq(toHex(r.data), toHex(lastDebit.proof), 'proof bytes');
          await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c('debit.seq-reused', '6.8', 'the same terminal seq with another amount answers 9F09', async (s) => {
        if (!lastDebit) fail('needs debit.happy');
        await s.select();
        const before = s.purse;
        expectSw(
          await s.auth(INS.DEBIT, shop, s.debitBody(lastDebit.amount + 1, lastDebit.seq)),
          SW.SEQUENCE_REUSED,
          'DEBIT',
        );
        await s.select();
        expectSw(
          await s.auth(INS.DEBIT, shop, s.debitBody(lastDebit.amount, lastDebit.seq, { billRef: 'OTHER' })),
          SW.SEQUENCE_REUSED,
          'DEBIT with another bill ref',
        );
        await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
      }),
      c(
        'debit.challenge-consumed',
        '6.8',
        'a DEBIT consumes the challenge: the next one without SELECT answers 6982',
        async (s) => {
          await s.select();
          expectSw(await s.auth(INS.DEBIT, shop, s.debitBody(100, s.nextSeq())), 0x9000, 'DEBIT');
          expectSw(
            await s.auth(INS.DEBIT, shop, s.debitBody(100, s.nextSeq())),
            SW.SECURITY_STATUS_NOT_SATISFIED,
            'second DEBIT',
          );
          await s.select();
          const body = s.debitBody(100, s.nextSeq());
          expectSw(
            await s.auth(INS.DEBIT, shop, body, { signature: true }),
            SW.TERMINAL_SIGNATURE_INVALID,
            'forged',
          );
          expectSw(await s.auth(INS.DEBIT, shop, body), SW.SECURITY_STATUS_NOT_SATISFIED, 'after a failure');
        },
      ),
      c(
        'debit.no-challenge',
        '6.8',
        'an authenticated command after the challenge was used up answers 6982',
        async (s) => {
          // Any authenticated command uses the challenge up, even one that fails (here 9F0E).
          await s.select();
          await s.auth(
            INS.READ_IDENTITY,
            shop,
            encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: now() }),
          );
          expectSw(
            await s.auth(INS.DEBIT, shop, s.debitBody(100, s.nextSeq())),
            SW.SECURITY_STATUS_NOT_SATISFIED,
            'DEBIT',
          );
        },
      ),
      c('debit.wrong-challenge', '4.4', 'a signature over another challenge answers 9F05', async (s) => {
        await s.select();
        const r = await s.auth(INS.DEBIT, shop, s.debitBody(100, s.nextSeq()), {
          challenge: new Uint8Array(16),
        });
        expectSw(r, SW.TERMINAL_SIGNATURE_INVALID, 'DEBIT');
      }),
      c(
        'debit.forged-signature',
        '4.4',
        'a forged terminal signature answers 9F05 and changes nothing',
        async (s) => {
          await s.select();
          const before = s.purse;
          expectSw(
            await s.auth(INS.DEBIT, shop, s.debitBody(100, s.nextSeq()), { signature: true }),
            SW.TERMINAL_SIGNATURE_INVALID,
            'DEBIT',
          );
          await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'debit.bad-cert-signature',
        '4.4',
        'a terminal certificate with a bad CA signature answers 9F04',
        async (s) => {
          const t = await term('CONF-T2');
          t.certificate[150]! ^= 0x01;
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())),
            SW.TERMINAL_CERT_INVALID,
            'DEBIT',
          );
        },
      ),
      c(
        'debit.tampered-cert',
        '4.4',
        'a certificate whose capabilities were raised after signing answers 9F04',
        async (s) => {
          const t = await term('CONF-T3', Capability.UNDEBIT);
          t.certificate[27]! |= Capability.DEBIT;
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())),
            SW.TERMINAL_CERT_INVALID,
            'DEBIT',
          );
        },
      ),
      c(
        'debit.malformed-cert',
        '4.4',
        'a certificate of the wrong version or type answers 9F04',
        async (s) => {
          const t = await term('CONF-T4');
          t.certificate[0] = 0x02;
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())),
            SW.TERMINAL_CERT_INVALID,
            'version 2',
          );
          const u = await term('CONF-T4');
          u.certificate[1] = 0x01;
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, u, s.debitBody(100, s.nextSeq())),
            SW.TERMINAL_CERT_INVALID,
            'type card',
          );
        },
      ),
      c('debit.unknown-ca', '4.4', 'a terminal certificate from an unknown CA answers 6A88', async (s) => {
        const t = await term('CONF-T5', ALL, { ca: softwareSigner(keyFrom('rogue-ca')) });
        await s.select();
        expectSw(
          await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())),
          SW.REFERENCED_DATA_NOT_FOUND,
          'DEBIT',
        );
        const u = await term('CONF-T5', ALL, { ca: keys.loadAuthority });
        await s.select();
        expectSw(
          await s.auth(INS.DEBIT, u, s.debitBody(100, s.nextSeq())),
          SW.REFERENCED_DATA_NOT_FOUND,
          'cert signed by the load authority',
        );
      }),
      c('debit.capability', '4.4', 'a terminal without the DEBIT capability answers 9F06', async (s) => {
        const t = await term('CONF-T6', ALL & ~Capability.DEBIT);
        await s.select();
        expectSw(await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())), SW.CAPABILITY_MISSING, 'DEBIT');
      }),
      c('debit.wrong-length', '6.8', 'DEBIT with a wrong data length answers 6700', async (s) => {
        await s.select();
        expectSw(
          await s.auth(INS.DEBIT, shop, s.debitBody(100, s.nextSeq()), { extra: 1 }),
          SW.WRONG_LENGTH,
          '268 bytes',
        );
        const r = await s.card.sendChained(0x80, 0x54, 0, 0, new Uint8Array(266));
        expectSw(r, SW.WRONG_LENGTH, '266 bytes');
      }),
      c('debit.chaining-small-chunks', '6.0.2', 'DEBIT chained in 100-byte segments works', async (s) => {
        await s.select();
        const body = s.debitBody(10, s.nextSeq());
        const message = terminalAuthMessage(INS.DEBIT, 0, 0, s.challenge, s.cardNumber, body);
        const data = new Uint8Array([...shop.certificate, ...body, ...signMessage(shop.privateKey, message)]);
        const r = await s.card.sendChained(0x80, 0x54, 0, 0, data, 0, 100);
        expectSw(r, 0x9000, 'DEBIT in 3 segments');
        s.checkProof(r.data, 'proof');
      }),
      c('debit.zero-amount', '6.8', 'a zero-amount DEBIT answers 6A80', async (s) => {
        await s.select();
        expectSw(await s.auth(INS.DEBIT, shop, s.debitBody(0, s.nextSeq())), SW.WRONG_DATA, 'DEBIT 0');
      }),
      c('debit.bad-body', '4.4', 'a DEBIT body that does not decode answers 6A80', async (s) => {
        await s.select();
        const body = s.debitBody(10, s.nextSeq());
        body[20] = 0x01; // a control character in the bill reference
        expectSw(await s.auth(INS.DEBIT, shop, body), SW.WRONG_DATA, 'DEBIT');
      }),
      c('debit.insufficient-funds', '6.8', 'a DEBIT above the balance answers 9F01', async (s) => {
        await s.select();
        const before = s.purse;
        if (before.balance + 1 > before.cvmLimit) expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
        expectSw(
          await s.auth(INS.DEBIT, shop, s.debitBody(before.balance + 1, s.nextSeq())),
          SW.INSUFFICIENT_FUNDS,
          'DEBIT',
        );
        await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
      }),
      c(
        'debit.cvm',
        '6.8',
        'a DEBIT above the CVM limit answers 9F0E, then 9000 after VERIFY PIN',
        async (s) => {
          await s.select();
          const p = s.purse;
          const amount = p.cvmLimit + 1;
          if (amount > p.offlineLimit || amount > p.maxBalance)
            return 'CVM limit not below offline limit: not applicable';
          await s.ensureBalance(amount);
          await s.select();
          const body = s.debitBody(amount, s.nextSeq());
          expectSw(await s.auth(INS.DEBIT, shop, body), SW.PIN_REQUIRED, 'DEBIT without PIN');
          await s.select();
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
          const before = await s.readPurse();
          const r = await s.auth(INS.DEBIT, shop, body);
          expectSw(r, 0x9000, 'DEBIT after VERIFY (same seq: the refused attempt left no trace)');
          await s.expectPurse(before, { balance: -amount, counter: 1 }, 'purse');
        },
      ),
      c(
        'debit.offline-limit',
        '6.8',
        'a DEBIT beyond the offline limit answers 9F03; RELOAD resets it',
        async (s) => {
          await s.select();
          const p = s.purse;
          const amount = p.offlineLimit + 1;
          if (amount > p.maxBalance) return 'offline limit equals maxBalance: not applicable';
          await s.ensureBalance(amount);
          await s.select();
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
          const before = s.purse;
          expectSw(
            await s.auth(INS.DEBIT, shop, s.debitBody(amount, s.nextSeq())),
            SW.OFFLINE_LIMIT_EXCEEDED,
            'DEBIT',
          );
          await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'debit.expired-cert',
        '4.4',
        'a terminal certificate that expired before lastTrustedTime answers 9F0A',
        async (s) => {
          const expiry = now() + 1000;
          const t = await term('CONF-T7', ALL, { notAfter: expiry });
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(10, s.nextSeq())),
            0x9000,
            'DEBIT before the card knows',
          );
          expectSw(await s.reload(0, expiry + 1), 0x9000, 'RELOAD of 0 at a later issuer time');
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(10, s.nextSeq())),
            SW.TERMINAL_CERT_EXPIRED,
            'DEBIT after',
          );
        },
      ),
    ],
  };

  const undebit: Group = {
    name: 'undebit',
    checks: [
      c(
        'undebit.refusals',
        '6.9',
        'UNDEBIT refuses (9F07) another terminal, amount, counter, or outside the window',
        async (s) => {
          shop = await term('CONF-U1');
          await s.select();
          await s.loadCardKey();
          await s.ensureBalance(10_000);
          await s.select();
          const time = now();
          const r = await s.auth(INS.DEBIT, shop, s.debitBody(500, s.nextSeq(), { time }));
          expectSw(r, 0x9000, 'DEBIT');
          const rec = s.checkProof(r.data, 'debit');
          lastDebit = { seq: rec.terminalSeq, body: new Uint8Array(), proof: r.data, amount: 500, time };
          const undo = (t: TestTerminal, o: { ref?: number; amount?: number; time?: number }) =>
            s.select().then(() =>
              s.auth(
                INS.UNDEBIT,
                t,
                encodeUndebitRequest({
                  refCounter: o.ref ?? rec.counter,
                  amount: o.amount ?? 500,
                  terminalSeq: s.nextSeq(),
                  terminalNonce: new Uint8Array(8).fill(7),
                  time: o.time ?? time + 60,
                }),
              ),
            );
          expectSw(await undo(await term('CONF-U2'), {}), SW.UNDEBIT_REFUSED, 'another terminal');
          expectSw(await undo(shop, { amount: 499 }), SW.UNDEBIT_REFUSED, 'another amount');
          expectSw(await undo(shop, { ref: rec.counter - 1 }), SW.UNDEBIT_REFUSED, 'another counter');
          expectSw(
            await undo(shop, { time: time + Limits.UNDEBIT_WINDOW_SECONDS + 1 }),
            SW.UNDEBIT_REFUSED,
            'after the window',
          );
          expectSw(await undo(shop, { time: time - 1 }), SW.UNDEBIT_REFUSED, 'before the debit');
        },
      ),
      c(
        'undebit.happy',
        '6.9',
        'UNDEBIT of the last debit restores the balance; idempotent; not twice',
        async (s) => {
          if (!lastDebit) fail('needs undebit.refusals');
          const rec = decodeTransactionProof(lastDebit.proof).record;
          await s.select();
          const before = s.purse;
          const body = encodeUndebitRequest({
            refCounter: rec.counter,
            amount: rec.amount,
            terminalSeq: s.nextSeq(),
            terminalNonce: new Uint8Array(8).fill(9),
            time: lastDebit.time + Limits.UNDEBIT_WINDOW_SECONDS,
          });
          const r = await s.auth(INS.UNDEBIT, shop, body);
          expectSw(r, 0x9000, 'UNDEBIT');
          const u = s.checkProof(r.data, 'undebit proof');
          expectEq(u.type, TxType.UNDEBIT, 'type');
          expectEq(u.refCounter, rec.counter, 'refCounter');
          expectEq(u.billRef, rec.billRef, 'bill ref copied');
          expectEq(u.balanceAfter, before.balance + rec.amount, 'balance after');
          await s.expectPurse(
            before,
            { balance: rec.amount, counter: 1, offlineSpend: -rec.amount },
            'purse',
          );
          await s.select();
          const again = await s.auth(INS.UNDEBIT, shop, body);
          expectSw(again, 0x9000, 'identical UNDEBIT repeated');
          expectEq(toHex(again.data), toHex(r.data), 'same proof');
          await s.select();
          const second = encodeUndebitRequest({ ...decodeUndebitBody(body), terminalSeq: s.nextSeq() });
          expectSw(
            await s.auth(INS.UNDEBIT, shop, second),
            SW.UNDEBIT_REFUSED,
            'second UNDEBIT (not the last debit)',
          );
        },
      ),
      c(
        'undebit.capability',
        '6.9',
        'UNDEBIT by a terminal without the capability answers 9F06',
        async (s) => {
          await s.select();
          const t = await term('CONF-U4', Capability.DEBIT);
          const body = encodeUndebitRequest({
            refCounter: 1,
            amount: 1,
            terminalSeq: s.nextSeq(),
            terminalNonce: new Uint8Array(8),
            time: now(),
          });
          expectSw(await s.auth(INS.UNDEBIT, t, body), SW.CAPABILITY_MISSING, 'UNDEBIT');
        },
      ),
      c(
        'read-record.order',
        '6.11',
        'READ RECORD 1..n returns the ring newest first, each proof verifying',
        async (s) => {
          const p = await s.readPurse();
          const n = Math.min(p.counter, Limits.RING_SIZE);
          let previous = Number.POSITIVE_INFINITY;
          for (let i = 1; i <= n; i++) {
            const r = await s.card.send(0x00, 0xb2, i, 0x04, undefined, 0);
            expectSw(r, 0x9000, `READ RECORD ${i}`);
            const rec = s.checkProof(r.data, `record ${i}`);
            if (i === 1) expectEq(rec.counter, p.counter, 'newest record counter');
            expectTrue(rec.counter < previous, `record ${i} is older than record ${i - 1}`);
            previous = rec.counter;
          }
          return `${n} records`;
        },
      ),
      c(
        'read-record.errors',
        '6.11',
        'READ RECORD: 6A86 for P1 0, 17 or P2 not 04; 6A83 for an empty slot',
        async (s) => {
          expectSw(await s.card.send(0x00, 0xb2, 0, 4), SW.WRONG_P1P2, 'P1 0');
          expectSw(await s.card.send(0x00, 0xb2, 17, 4), SW.WRONG_P1P2, 'P1 17');
          expectSw(await s.card.send(0x00, 0xb2, 1, 0x0c), SW.WRONG_P1P2, 'P2 0C');
          const p = await s.readPurse();
          if (p.counter >= Limits.RING_SIZE) return 'ring full: 6A83 not observable on this card';
          expectSw(
            await s.card.send(0x00, 0xb2, p.counter + 1, 4),
            SW.RECORD_NOT_FOUND,
            `READ RECORD ${p.counter + 1}`,
          );
        },
      ),
      c('recovery.found', '6.12', 'GET LAST TRANSACTION finds a transaction and attests it', async (s) => {
        if (!lastDebit) fail('needs undebit.refusals');
        const rec = decodeTransactionProof(lastDebit.proof).record;
        const p = await s.readPurse();
        const request = encodeRecoveryRequest({
          terminalId: rec.terminalId,
          terminalSeq: rec.terminalSeq,
          terminalNonce: keyFrom('rcv1').slice(0, 8),
        });
        const r = await s.card.send(0x80, 0x5a, 0, 0, request, 0);
        expectSw(r, 0x9000, 'GET LAST TRANSACTION');
        const resp = decodeRecoveryResponse(r.data);
        expectTrue(resp.found, 'found');
        expectEq(toHex(resp.recordBytes!), toHex(lastDebit.proof.subarray(0, 63)), 'record');
        expectEq(toHex(resp.recordSignature!), toHex(lastDebit.proof.subarray(63)), 'original signature');
        expectEq(resp.counter, p.counter, 'counter');
        expectEq(resp.balance, p.balance, 'balance');
        expectTrue(
          verifyRecoveryAttestation(s.cardNumber, request, resp, s.cardPublicKey),
          'attestation verifies',
        );
        await s.expectPurse(p, { balance: 0, counter: 0 }, 'no state change');
      }),
      c(
        'recovery.not-found',
        '6.12',
        'GET LAST TRANSACTION of an unknown seq: not found, attested',
        async (s) => {
          const request = encodeRecoveryRequest({
            terminalId: 'CONF-NO',
            terminalSeq: 1,
            terminalNonce: keyFrom('rcv2').slice(0, 8),
          }).slice();
          const r = await s.card.send(0x80, 0x5a, 0, 0, request, 0);
          expectSw(r, 0x9000, 'GET LAST TRANSACTION');
          const resp = decodeRecoveryResponse(r.data);
          expectTrue(!resp.found, 'not found');
          expectTrue(
            r.data.subarray(9, 136).every((b) => b === 0),
            'zero record and signature',
          );
          expectTrue(
            verifyRecoveryAttestation(s.cardNumber, request, resp, s.cardPublicKey),
            'attestation verifies',
          );
          const bad = request.slice();
          bad[0] = 0x01;
          expectSw(await s.card.send(0x80, 0x5a, 0, 0, bad), SW.WRONG_DATA, 'undecodable terminal id');
        },
      ),
    ],
  };

  const identity: Group = {
    name: 'identity',
    checks: [
      c('identity.pin-required', '6.13', 'READ IDENTITY without the PIN answers 9F0E', async (s) => {
        shop = await term('CONF-I1');
        await s.select();
        const body = encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: now() });
        expectSw(await s.auth(INS.READ_IDENTITY, shop, body), SW.PIN_REQUIRED, 'READ IDENTITY');
      }),
      c(
        'identity.capability',
        '6.13',
        'READ IDENTITY by a terminal without IDENTITY_READ answers 9F06 even with the PIN',
        async (s) => {
          const t = await term('CONF-I2', Capability.DEBIT);
          await s.select();
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
          const body = encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: now() });
          expectSw(await s.auth(INS.READ_IDENTITY, t, body), SW.CAPABILITY_MISSING, 'READ IDENTITY');
        },
      ),
      c(
        'identity.happy',
        '6.13',
        'READ IDENTITY after VERIFY PIN returns the identity template',
        async (s) => {
          await s.select();
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
          const body = encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: now() });
          const r = await s.auth(INS.READ_IDENTITY, shop, body);
          if (!target.hasIdentity)
            return expectSw(r, SW.REFERENCED_DATA_NOT_FOUND, 'READ IDENTITY (no identity)');
          expectSw(r, 0x9000, 'READ IDENTITY');
          const id = decodeIdentity(r.data);
          return `identity type ${id.idType}`;
        },
      ),
      c('block.capability', '6.14', 'BLOCK CARD by a terminal without BLOCK answers 9F06', async (s) => {
        const t = await term('CONF-I3', Capability.DEBIT);
        await s.select();
        const body = encodeBlockRequest({
          reason: BlockReason.HOLDER_REQUEST,
          terminalSeq: s.nextSeq(),
          time: now(),
        });
        expectSw(await s.auth(INS.BLOCK_CARD, t, body), SW.CAPABILITY_MISSING, 'BLOCK CARD');
        expectEq((await s.readPurse()).lifeCycle, LifeCycle.ACTIVE, 'still ACTIVE');
      }),
    ],
  };

  const pinBlock: Group = {
    name: 'pin-exhaustion',
    destructive: true,
    checks: [
      c(
        'pin.block',
        '6.4',
        'three wrong PINs: 63C2, 63C1, 63C0, then 6983 even for the right PIN',
        async (s) => {
          await s.select();
          const wrong = target.pin === '9999' ? '8888' : '9999';
          for (const sw of [0x63c2, 0x63c1, 0x63c0]) expectSw(await s.verifyPin(wrong), sw, 'wrong PIN');
          expectSw(await s.verifyPin(target.pin), SW.AUTH_METHOD_BLOCKED, 'right PIN when blocked');
          expectSw(await s.card.send(0x00, 0x20, 0, 0x81), SW.AUTH_METHOD_BLOCKED, 'status');
          expectEq((await s.readPurse()).pinTriesLeft, 0, 'purse PIN tries');
        },
      ),
      c('pin.unblock', '6.6', 'UNBLOCK PIN: wrong PUK 63C9; right PUK sets a new PIN', async (s) => {
        const wrongPuk = target.puk === '99999999' ? '88888888' : '99999999';
        const unblock = (puk: string, pin: string) =>
          s.card.send(
            0x00,
            0x2c,
            0,
            0x81,
            new Uint8Array([...encodePinBlock(puk, 'PUK'), ...encodePinBlock(pin)]),
          );
        expectSw(await unblock(wrongPuk, '4321'), 0x63c9, 'wrong PUK');
        expectSw(await unblock(target.puk, '4321'), 0x9000, 'UNBLOCK');
        expectSw(await s.verifyPin('4321'), 0x9000, 'new PIN');
        expectEq((await s.readPurse()).pinTriesLeft, 3, 'PIN tries');
      }),
    ],
  };

  const pukExhaust: Group = {
    name: 'puk-exhaustion',
    destructive: true,
    checks: [
      c('puk.terminate', '6.6', 'ten wrong PUKs: 63C9..63C0 and the card is TERMINATED', async (s) => {
        await s.select();
        const wrongPuk = target.puk === '99999999' ? '88888888' : '99999999';
        for (let left = 9; left >= 0; left--) {
          const r = await s.card.send(
            0x00,
            0x2c,
            0,
            0x81,
            new Uint8Array([...encodePinBlock(wrongPuk, 'PUK'), ...encodePinBlock('4321')]),
          );
          expectSw(r, 0x63c0 | left, `wrong PUK, ${left} left`);
        }
      }),
      c(
        'terminated.select',
        '3',
        'a TERMINATED card answers SELECT with the FCI and 6285, everything else 9F0D',
        async (s) => {
          const r = await s.select(SW.SELECTED_FILE_TERMINATED);
          expectEq(decodeSelectResponse(r.data).lifeCycle, LifeCycle.TERMINATED, 'FCI life cycle');
          expectSw(await s.card.send(0x80, 0x50, 0, 0), SW.CARD_TERMINATED, 'READ PURSE');
          expectSw(await s.card.send(0x00, 0x84, 0, 0), SW.CARD_TERMINATED, 'GET CHALLENGE');
          expectSw(
            await s.card.send(0x00, 0x2c, 0, 0x81, new Uint8Array(16)),
            SW.CARD_TERMINATED,
            'UNBLOCK PIN',
          );
          expectSw(await s.card.send(0x80, 0xe6, 0, 0), SW.CARD_TERMINATED, 'FINALIZE');
        },
      ),
    ],
  };

  const block: Group = {
    name: 'block',
    destructive: true,
    checks: [
      c('block.happy', '6.14', 'BLOCK CARD: ACTIVE -> BLOCKED, counter unchanged', async (s) => {
        shop = await term('CONF-B1');
        await s.select();
        await s.loadCardKey();
        await s.ensureBalance(1000);
        await s.select();
        const before = s.purse;
        const body = encodeBlockRequest({
          reason: BlockReason.LOST_OR_STOLEN,
          terminalSeq: s.nextSeq(),
          time: now(),
        });
        expectSw(await s.auth(INS.BLOCK_CARD, shop, body), 0x9000, 'BLOCK CARD');
        const after = await s.readPurse();
        expectEq(after.lifeCycle, LifeCycle.BLOCKED, 'life cycle');
        expectEq(after.counter, before.counter, 'counter');
        expectEq(after.balance, before.balance, 'balance');
      }),
      c('blocked.select', '3', 'a BLOCKED card answers SELECT 6283 with the FCI', async (s) => {
        const r = await s.select(SW.SELECTED_FILE_DEACTIVATED);
        expectEq(decodeSelectResponse(r.data).lifeCycle, LifeCycle.BLOCKED, 'FCI life cycle');
      }),
      c('blocked.refuses', '3', 'a BLOCKED card refuses value and PIN commands with 9F0B', async (s) => {
        await s.select(SW.SELECTED_FILE_DEACTIVATED);
        expectSw(await s.auth(INS.DEBIT, shop, s.debitBody(10, s.nextSeq())), SW.CARD_BLOCKED, 'DEBIT');
        expectSw(await s.verifyPin(target.pin), SW.CARD_BLOCKED, 'VERIFY PIN');
        expectSw(await s.card.send(0x80, 0x58, 0, 0, new Uint8Array(144)), SW.CARD_BLOCKED, 'RELOAD');
        expectSw(await s.card.send(0x80, 0xe6, 0, 0), SW.CARD_BLOCKED, 'FINALIZE');
      }),
      c(
        'blocked.reads',
        '3',
        'a BLOCKED card still answers READ PURSE, READ RECORD, GET LAST TRANSACTION, GET DATA',
        async (s) => {
          expectSw(await s.card.send(0x80, 0x50, 0, 0), 0x9000, 'READ PURSE');
          expectSw(await s.card.send(0x00, 0xb2, 1, 4), 0x9000, 'READ RECORD 1');
          expectSw(await s.card.send(0x00, 0xca, 0x7f, 0x21), 0x9000, 'GET DATA');
          const req = encodeRecoveryRequest({
            terminalId: 'CONF-B1',
            terminalSeq: 1,
            terminalNonce: new Uint8Array(8),
          });
          expectSw(await s.card.send(0x80, 0x5a, 0, 0, req), 0x9000, 'GET LAST TRANSACTION');
        },
      ),
      c(
        'block.idempotent',
        '6.14',
        'BLOCK CARD on a BLOCKED card answers 9000 and changes nothing',
        async (s) => {
          await s.select(SW.SELECTED_FILE_DEACTIVATED);
          const body = encodeBlockRequest({
            reason: BlockReason.DENY_LISTED,
            terminalSeq: s.nextSeq(),
            time: now(),
          });
          expectSw(await s.auth(INS.BLOCK_CARD, shop, body), 0x9000, 'BLOCK CARD again');
          expectEq((await s.readPurse()).lifeCycle, LifeCycle.BLOCKED, 'life cycle');
        },
      ),
    ],
  };

  const perso: Group = {
    name: 'personalization',
    blank: true,
    checks: [
      c(
        'perso.select-blank',
        '6.1',
        'a blank card answers SELECT 9000 in PERSONALIZATION with a zero card number',
        async (s) => {
          const r = await s.card.send(0x00, 0xa4, 0x04, 0x00, AID, 0);
          expectSw(r, 0x9000, 'SELECT');
          const fci = decodeSelectResponse(r.data);
          expectEq(fci.lifeCycle, LifeCycle.PERSONALIZATION, 'life cycle');
          expectEq(fci.cardNumber, undefined, 'card number');
        },
      ),
      c('perso.refuses-value', '3', 'value and PIN commands answer 6985 in PERSONALIZATION', async (s) => {
        expectSw(await s.card.send(0x00, 0x20, 0, 0x81), SW.CONDITIONS_NOT_SATISFIED, 'VERIFY');
        expectSw(
          await s.card.send(0x80, 0x58, 0, 0, new Uint8Array(144)),
          SW.CONDITIONS_NOT_SATISFIED,
          'RELOAD',
        );
        expectSw(await s.card.send(0x00, 0xb2, 1, 4), SW.CONDITIONS_NOT_SATISFIED, 'READ RECORD');
        expectSw(
          await s.card.send(0x00, 0xca, 0x7f, 0x21),
          SW.REFERENCED_DATA_NOT_FOUND,
          'GET DATA without a certificate',
        );
      }),
      c(
        'perso.store-data-errors',
        '7.1',
        'STORE DATA: 6A86 unknown object, 6700 wrong length, 6A80 bad content',
        async (s) => {
          expectSw(await s.card.send(0x80, 0xe2, 0x09, 0, new Uint8Array(8)), SW.WRONG_P1P2, 'object 09');
          expectSw(await s.card.send(0x80, 0xe2, 0x01, 1, new Uint8Array(8)), SW.WRONG_P1P2, 'P2 01');
          expectSw(
            await s.card.send(0x80, 0xe2, 0x01, 0, new Uint8Array(7)),
            SW.WRONG_LENGTH,
            'card number 7 bytes',
          );
          expectSw(
            await s.card.send(
              0x80,
              0xe2,
              0x01,
              0,
              new Uint8Array([0x84, 0x04, 0, 1, 0x23, 0x45, 0x67, 0x88]),
            ),
            SW.WRONG_DATA,
            'bad Luhn',
          );
          expectSw(
            await s.card.send(0x80, 0xe2, 0x03, 0, new Uint8Array([0, 0, 0, 10, 0, 0, 0, 11, 0, 0, 0, 1])),
            SW.WRONG_DATA,
            'offline limit above max balance',
          );
          expectSw(
            await s.card.send(
              0x80,
              0xe2,
              0x04,
              0,
              new Uint8Array([0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff]),
            ),
            SW.WRONG_DATA,
            '3-digit PIN',
          );
          expectSw(
            await s.card.send(0x80, 0xe2, 0x05, 0, encodePinBlock('1234')),
            SW.WRONG_DATA,
            '4-digit PUK',
          );
          const key = new Uint8Array([
            KeyUsage.TERMINAL_CA,
            ...new Uint8Array(8),
            ...keys.acquirerCa.publicKey,
          ]);
          expectSw(
            await s.card.send(0x80, 0xe2, 0x06, 0, key),
            SW.WRONG_DATA,
            'trusted key with a wrong key id',
          );
          expectSw(
            await s.card.send(0x80, 0xe2, 0x02, 0, new Uint8Array([0xe1, 0x01, 0x00])),
            SW.WRONG_DATA,
            'identity',
          );
        },
      ),
      c(
        'perso.order',
        '7.3',
        'FINALIZE of an incomplete card answers 6985; a certificate before the key pair 6985',
        async (s) => {
          expectSw(
            await s.card.send(0x80, 0xe6, 0, 0),
            SW.CONDITIONS_NOT_SATISFIED,
            'FINALIZE of a blank card',
          );
          expectSw(
            await s.card.send(0x80, 0xe2, StoreDataObject.CARD_CERTIFICATE, 0, new Uint8Array(165)),
            SW.CONDITIONS_NOT_SATISFIED,
            'certificate before GENERATE KEY PAIR',
          );
        },
      ),
      c(
        'perso.complete',
        '7',
        'a complete personalization with raw §7 commands gives an ACTIVE card with balance 0',
        async (s) => {
          await personalizeRaw(s.card.transport, keys, {
            cardNumber: cardNumberFromAccount('00000000001'),
            pin: target.pin,
            puk: target.puk,
            purse: { maxBalance: 1_000_000, offlineLimit: 200_000, cvmLimit: 50_000 },
          });
          await s.select();
          expectEq(s.purse.lifeCycle, LifeCycle.ACTIVE, 'life cycle');
          expectEq(s.purse.balance, 0, 'balance');
          expectEq(s.purse.counter, 0, 'counter');
          expectEq(s.purse.pinTriesLeft, 3, 'PIN tries');
          await s.loadCardKey();
          expectSw(await s.card.send(0x00, 0xb2, 1, 4), SW.RECORD_NOT_FOUND, 'empty ring');
          expectSw(
            await s.card.send(0x80, 0xe4, 0, 0),
            SW.CONDITIONS_NOT_SATISFIED,
            'GENERATE KEY PAIR after FINALIZE',
          );
        },
      ),
    ],
  };

  return [basics, pin, reload, debit, undebit, identity, pinBlock, pukExhaust, block, perso];
}

function decodeUndebitBody(body: Uint8Array) {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return {
    refCounter: v.getUint32(0),
    amount: v.getUint32(4),
    terminalSeq: v.getUint32(8),
    terminalNonce: body.slice(12, 20),
    time: v.getUint32(20),
  };
}

/** Checks that are part of the spec but cannot be exercised through the interface. */
const UNTESTABLE: Array<Omit<CheckResult, 'status' | 'passed'>> = [
  {
    id: 'counter.exhausted',
    section: '6.8',
    title: 'counter 0xFFFFFFFF answers 9F0C',
    detail: 'not run (needs a card whose counter reached 0xFFFFFFFF)',
  },
];

/**
 * Runs every check of the suite against `target` and returns the results (in order). Never
 * throws for a card's misbehaviour: a failing check is a result with `status: 'failed'`.
 */
export async function runConformance(
  target: ConformanceTarget,
  options: ConformanceOptions = {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const push = (r: CheckResult) => {
    results.push(r);
    options.onResult?.(r);
  };
  let reusedCard: CardTransport | undefined;
  for (const group of groups(target)) {
    const notRun = (reason: string) => {
      for (const check of group.checks)
        push({ ...meta(check), status: 'not run', passed: false, detail: `not run (${reason})` });
    };
    if (group.blank && !target.openBlankCard) {
      notRun('needs a blank card in PERSONALIZATION');
      continue;
    }
    if (group.destructive && !target.freshCards) {
      notRun('needs a fresh card');
      continue;
    }
    let transport: CardTransport;
    try {
      if (group.blank) transport = await target.openBlankCard!();
      else if (target.freshCards) transport = await target.openCard();
      else transport = reusedCard ??= await target.openCard();
    } catch (err) {
      for (const check of group.checks)
        push({
          ...meta(check),
          status: 'failed',
          passed: false,
          detail: `could not open a card: ${(err as Error).message}`,
        });
      continue;
    }
    const session = new Session(new RawCard(transport), target);
    if (!group.blank) {
      try {
        await session.select();
        await session.loadCardKey();
      } catch (err) {
        for (const check of group.checks)
          push({
            ...meta(check),
            status: 'failed',
            passed: false,
            detail: `card setup failed: ${(err as Error).message}`,
          });
        continue;
      }
    }
    for (const check of group.checks) {
      try {
        const note = await check.run(session);
        push({
          ...meta(check),
          status: 'passed',
          passed: true,
          detail: typeof note === 'string' ? note : '',
        });
      } catch (err) {
        const detail =
          err instanceof CheckFailure ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
        push({ ...meta(check), status: 'failed', passed: false, detail });
      }
    }
    if (target.freshCards || group.blank) await transport.close?.();
  }
  for (const u of UNTESTABLE) push({ ...u, status: 'not run', passed: false });
  if (reusedCard) await reusedCard.close?.();
  return results;
}

function meta(check: CheckDef) {
  return { id: check.id, section: check.section, title: check.title };
}

/** The check ids and sections of the suite, without running it (for SPEC.md and the tests). */
export function listChecks(target: ConformanceTarget): Array<{ id: string; section: string; title: string }> {
  return [
    ...groups(target).flatMap((g) => g.checks.map(meta)),
    ...UNTESTABLE.map(({ id, section, title }) => ({ id, section, title })),
  ];
}

/** A plain-text table of results: status, section, id, title, detail; then the totals. */
export function formatResults(results: CheckResult[]): string {
  const mark = { passed: 'PASS', failed: 'FAIL', 'not run': 'SKIP' } as const;
  const rows = results.map((r) => [mark[r.status], `§${r.section}`, r.id, r.title, r.detail]);
  const widths = [4, 7, 28, 60];
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]!) : cell))
      .join('  ')
      .trimEnd(),
  );
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push(
    '',
    `${results.length} checks: ${count('passed')} passed, ${count('failed')} failed, ${count('not run')} not run`,
  );
  return lines.join('\n');
}
