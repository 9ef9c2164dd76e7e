/**
 * A small hand-built v2 card for the SDK's unit tests: it answers the commands the SDK sends with
 * bytes built by the spec package's codecs and its card-side SM helpers, signs with real card
 * keys, and can tear (execute a command, then lose the answer). It is not the reference
 * simulator (simulators/card); it implements just enough of SPEC-v2 §6 for the SDK's paths.
 */
import {
  type DecodedCommandApdu,
  decodeCommand,
  encodeResponse,
  type Transport,
  TransportError,
} from '@huduma/apdu';
import {
  Capability,
  CryptoProfile,
  CURRENCY_KES,
  cardCryptogram,
  certificateIdOf,
  concatBytes,
  decodeDebitRequest,
  decodeGetTransactionRequest,
  decodeOpenSessionRequest,
  decodeTransactionRecord,
  deriveLinkKey,
  deriveSessionKeys,
  ecdh,
  encodeCardNumber,
  encodeGetTransactionResponseBody,
  encodeIdentity,
  encodePurse,
  encodeSelectResponse,
  encodeTransactionRecord,
  encodeValueResponse,
  generatePrivateKey,
  type HolderIdentity,
  INS,
  LifeCycle,
  type LifeCycleState,
  Outcome,
  type Purse,
  publicKeyOf,
  recoveryAttestationMessage,
  type SessionKeys,
  SessionType,
  SW,
  signMessage,
  TransactionStatus,
  TxType,
  toHex,
  transactionSigningMessage,
  unwrapCommand,
  verifyCertificateBytes,
  wrapResponse,
} from '@huduma/card-applet-spec';
import { DevPki, type IssuedTerminal } from '@huduma/pki';

export const CARD_NUMBER = '8404000000000013';
export const IDENTITY: HolderIdentity = {
  idType: 1,
  hudumaNamba: 'HN12345678',
  idNumber: '12345678',
  name: "Wanjiru Ng'ang'a",
};

interface Registration {
  linkKey: Uint8Array;
  terminalId: string;
  capabilities: number;
}

interface Session {
  type: number;
  keys: SessionKeys;
  ssc: number;
  reg: Registration;
  cvm: boolean;
}

type Answer = { sw: number; payload?: Uint8Array; encrypted?: boolean };

export class FakeCard implements Transport {
  lifeCycle: LifeCycleState = LifeCycle.ACTIVE;
  balance = 100_000;
  counter = 5;
  syncedThrough = 5;
  offlineSpend = 0;
  noCvmSpend = 0;
  limits = { maxBalance: 10_000_000, offlineLimit: 500_000, cvmLimit: 5_000, noCvmLimit: 10_000 };
  pin = '1234';
  pinTries = 3;
  puk = '12345678';
  pukTries = 10;
  ring: { recordBytes: Uint8Array; signature: Uint8Array }[] = [];
  registrations = new Map<string, Registration>();
  /** Commands seen, by INS name, for assertions. */
  log: string[] = [];
  /** Execute the next command with this INS, then lose the answer (a tear after commit). */
  tearAfter: number | undefined;
  /** Lose the next command with this INS before the card sees it (a pull before it arrives). */
  tearBefore: number | undefined;
  private challenge: Uint8Array | undefined;
  private session: Session | undefined;

  constructor(
    readonly signingKey: Uint8Array,
    readonly keyAgreementKey: Uint8Array,
    readonly certificate: Uint8Array,
    readonly acquirerCaPublicKey: Uint8Array,
  ) {}

  purse(): Purse {
    return {
      balance: this.balance,
      maxBalance: this.limits.maxBalance,
      counter: this.counter,
      syncedThrough: this.syncedThrough,
      offlineSpend: this.offlineSpend,
      offlineLimit: this.limits.offlineLimit,
      cvmLimit: this.limits.cvmLimit,
      noCvmSpend: this.noCvmSpend,
      noCvmLimit: this.limits.noCvmLimit,
      currency: CURRENCY_KES,
      lifeCycle: this.lifeCycle,
      pinTriesLeft: this.pinTries,
      pukBlocked: this.pukTries === 0,
    };
  }

  async transmit(bytes: Uint8Array): Promise<Uint8Array> {
    const cmd = decodeCommand(bytes);
    if (this.tearBefore === cmd.ins) {
      this.tearBefore = undefined;
      this.session = undefined;
      this.challenge = undefined;
      throw new TransportError('card removed before the command');
    }
    const name = Object.entries(INS).find(([, v]) => v === cmd.ins)?.[0] ?? '?';
    this.log.push(name);
    const { sw, data } = this.dispatch(cmd);
    if (this.tearAfter === cmd.ins) {
      this.tearAfter = undefined;
      this.session = undefined; // power lost: transient state gone
      this.challenge = undefined;
      throw new TransportError('card removed during the command');
    }
    return encodeResponse(data ?? new Uint8Array(0), sw);
  }

  private dispatch(cmd: DecodedCommandApdu): { sw: number; data?: Uint8Array } {
    const data = cmd.data ?? new Uint8Array(0);
    if ((cmd.cla & 0x0c) === 0x0c) return this.secure(cmd, data);
    switch (cmd.ins) {
      case INS.SELECT:
        this.session = undefined;
        this.challenge = crypto.getRandomValues(new Uint8Array(16));
        return {
          sw: this.lifeCycle === LifeCycle.BLOCKED ? SW.CARD_BLOCKED_SELECTED : SW.OK,
          data: encodeSelectResponse({
            version: 2,
            lifeCycle: this.lifeCycle,
            cardNumber: CARD_NUMBER,
            challenge: this.challenge,
            purse: this.purse(),
            cryptoProfile: CryptoProfile.PLAIN_X,
          }),
        };
      case INS.GET_CHALLENGE:
        this.session = undefined;
        this.challenge = crypto.getRandomValues(new Uint8Array(16));
        return { sw: SW.OK, data: this.challenge };
      case INS.GET_DATA:
        return { sw: SW.OK, data: this.certificate };
      case INS.READ_PURSE:
        return { sw: SW.OK, data: encodePurse(this.purse()) };
      case INS.REGISTER_TERMINAL: {
        const cert = verifyCertificateBytes(data, this.acquirerCaPublicKey);
        if (cert?.type !== 'terminal') return { sw: SW.TERMINAL_CERT_INVALID };
        const zs = ecdh(this.keyAgreementKey, cert.keyAgreementKey, CryptoProfile.PLAIN_X);
        const id = certificateIdOf(data);
        this.registrations.set(toHex(id), {
          linkKey: deriveLinkKey(zs, encodeCardNumber(CARD_NUMBER), id),
          terminalId: cert.terminalId,
          capabilities: cert.capabilities,
        });
        return { sw: SW.OK, data: id };
      }
      case INS.OPEN_SESSION: {
        if (!this.challenge) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
        const req = decodeOpenSessionRequest(data, cmd.p1);
        const reg = this.registrations.get(toHex(req.termCertId));
        if (!reg) return { sw: SW.TERMINAL_NOT_REGISTERED };
        const rndC = this.challenge;
        this.challenge = undefined;
        const type = cmd.p1 === SessionType.SECURE ? SessionType.SECURE : SessionType.TAP;
        const keys = deriveSessionKeys({
          linkKey: reg.linkKey,
          type,
          rndC,
          rndT: req.rndT,
          ...(req.ephemeralKey
            ? { ze: ecdh(this.keyAgreementKey, req.ephemeralKey, CryptoProfile.PLAIN_X) }
            : {}),
        });
        this.session = { type, keys, ssc: 0, reg, cvm: false };
        return { sw: SW.OK, data: cardCryptogram(keys, rndC, req.rndT, type) };
      }
      case INS.GET_TRANSACTION:
        return this.getTransaction(data);
      default:
        return { sw: SW.INS_NOT_SUPPORTED };
    }
  }

  private secure(cmd: DecodedCommandApdu, data: Uint8Array): { sw: number; data?: Uint8Array } {
    const s = this.session;
    if (!s) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    const needsSecure = [INS.VERIFY_PIN, INS.CHANGE_PIN, INS.UNBLOCK_PIN, INS.READ_IDENTITY].includes(
      cmd.ins as never,
    );
    if (needsSecure && s.type !== SessionType.SECURE) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    s.ssc += 1;
    const encrypted =
      [INS.CHANGE_PIN, INS.UNBLOCK_PIN].includes(cmd.ins as never) ||
      (cmd.ins === INS.VERIFY_PIN && data.length > 8);
    const un = unwrapCommand(s.keys, s.ssc, cmd, data, encrypted);
    if (!un.ok && un.reason === 'mac') {
      this.session = undefined;
      return { sw: SW.SM_DATA_INCORRECT };
    }
    const answer: Answer = un.ok ? this.smCommand(cmd.ins, un.payload, s) : { sw: SW.WRONG_DATA };
    return {
      sw: SW.OK,
      data: wrapResponse(
        s.keys,
        s.ssc,
        answer.sw,
        answer.payload ?? new Uint8Array(0),
        answer.encrypted === true,
      ),
    };
  }

  private smCommand(ins: number, payload: Uint8Array, s: Session): Answer {
    const pinBlock = (b: Uint8Array) => new TextDecoder().decode(b.filter((x) => x !== 0xff));
    switch (ins) {
      case INS.DEBIT:
        return this.debit(payload, s);
      case INS.VERIFY_PIN: {
        if (payload.length === 0) return { sw: s.cvm ? SW.OK : 0x63c0 | this.pinTries };
        if (this.pinTries === 0) return { sw: SW.AUTH_METHOD_BLOCKED };
        this.pinTries -= 1;
        if (pinBlock(payload) !== this.pin) {
          s.cvm = false;
          return { sw: 0x63c0 | this.pinTries };
        }
        this.pinTries = 3;
        this.noCvmSpend = 0;
        s.cvm = true;
        return { sw: SW.OK };
      }
      case INS.UNBLOCK_PIN: {
        if ((s.reg.capabilities & Capability.UNBLOCK_PIN) === 0) return { sw: SW.CAPABILITY_MISSING };
        if (this.pukTries === 0) return { sw: SW.AUTH_METHOD_BLOCKED };
        this.pukTries -= 1;
        if (pinBlock(payload.subarray(0, 8)) !== this.puk) return { sw: 0x63c0 | this.pukTries };
        this.pin = pinBlock(payload.subarray(8));
        this.pinTries = 3;
        this.pukTries = 10;
        return { sw: SW.OK };
      }
      case INS.READ_IDENTITY:
        if ((s.reg.capabilities & Capability.IDENTITY_READ) === 0) return { sw: SW.CAPABILITY_MISSING };
        if (!s.cvm) return { sw: SW.CVM_REQUIRED };
        return { sw: SW.OK, payload: encodeIdentity(IDENTITY), encrypted: true };
      case INS.BLOCK_CARD:
        if ((s.reg.capabilities & Capability.BLOCK) === 0) return { sw: SW.CAPABILITY_MISSING };
        this.lifeCycle = LifeCycle.BLOCKED;
        return { sw: SW.OK };
      default:
        return { sw: SW.INS_NOT_SUPPORTED };
    }
  }

  private debit(payload: Uint8Array, s: Session): Answer {
    const out = (outcome: number, reason: number, proofBytes?: Uint8Array): Answer => ({
      sw: SW.OK,
      payload: encodeValueResponse({
        outcome: outcome as never,
        reason,
        counter: this.counter,
        syncedThrough: this.syncedThrough,
        ...(proofBytes ? { proofBytes } : {}),
      }),
    });
    if ((s.reg.capabilities & Capability.DEBIT) === 0) return out(Outcome.REFUSED, SW.CAPABILITY_MISSING);
    const req = decodeDebitRequest(payload);
    for (const e of this.ring) {
      const r = decodeTransactionRecord(e.recordBytes);
      if (r.terminalId === s.reg.terminalId && r.terminalSeq === req.terminalSeq) {
        const same =
          r.type === TxType.DEBIT &&
          r.counter === req.expectedCounter + 1 &&
          r.amount === req.amount &&
          r.billRef === req.billRef &&
          r.serviceCode === req.serviceCode;
        return same
          ? out(Outcome.ALREADY_APPLIED, SW.OK, concatBytes(e.recordBytes, e.signature))
          : out(Outcome.REFUSED, SW.SEQUENCE_REUSED);
      }
    }
    if (this.counter !== req.expectedCounter) return out(Outcome.STALE, SW.STALE_COUNTER);
    if (this.counter - this.syncedThrough >= 32) return out(Outcome.REFUSED, SW.SYNC_REQUIRED);
    if (this.balance < req.amount) return out(Outcome.REFUSED, SW.INSUFFICIENT_FUNDS);
    if (
      !s.cvm &&
      (req.amount > this.limits.cvmLimit || this.noCvmSpend + req.amount > this.limits.noCvmLimit)
    ) {
      return out(Outcome.REFUSED, SW.CVM_REQUIRED);
    }
    const recordBytes = encodeTransactionRecord({
      type: TxType.DEBIT,
      counter: this.counter + 1,
      amount: req.amount,
      currency: req.currency,
      balanceAfter: this.balance - req.amount,
      offlineSpendAfter: this.offlineSpend + req.amount,
      terminalId: s.reg.terminalId,
      terminalSeq: req.terminalSeq,
      terminalNonce: req.terminalNonce,
      time: req.time,
      billRef: req.billRef,
      serviceCode: req.serviceCode,
      refCounter: 0,
      cvm: s.cvm ? 1 : 0,
    });
    const signature = signMessage(this.signingKey, transactionSigningMessage(CARD_NUMBER, recordBytes));
    this.counter += 1;
    this.balance -= req.amount;
    this.offlineSpend += req.amount;
    if (!s.cvm) this.noCvmSpend += req.amount;
    s.cvm = false;
    this.ring.unshift({ recordBytes, signature });
    return out(Outcome.EXECUTED, SW.OK, concatBytes(recordBytes, signature));
  }

  private getTransaction(data: Uint8Array): { sw: number; data?: Uint8Array } {
    const req = decodeGetTransactionRequest(data);
    const hit = this.ring.find((e) => decodeTransactionRecord(e.recordBytes).counter === req.counter);
    const status = hit
      ? TransactionStatus.FOUND
      : req.counter > this.counter
        ? TransactionStatus.NOT_EXECUTED
        : TransactionStatus.SYNCED;
    const body = encodeGetTransactionResponseBody({
      status,
      counter: this.counter,
      syncedThrough: this.syncedThrough,
      balance: this.balance,
      ...(hit ? { recordBytes: hit.recordBytes, recordSignature: hit.signature } : {}),
    });
    const att = signMessage(this.signingKey, recoveryAttestationMessage(CARD_NUMBER, data, body));
    return { sw: SW.OK, data: concatBytes(body, att) };
  }
}

/** A fake card personalized under a fresh in-memory PKI, and terminals issued by the same PKI. */
export async function fakeCardWithPki(): Promise<{
  card: FakeCard;
  pki: DevPki;
  terminal: IssuedTerminal;
  centre: IssuedTerminal;
}> {
  const pki = DevPki.inMemory();
  const sk = generatePrivateKey();
  const ka = generatePrivateKey();
  const certificate = await pki.issueCardCertificate({
    cardNumber: CARD_NUMBER,
    signingKey: publicKeyOf(sk),
    keyAgreementKey: publicKeyOf(ka),
    notBefore: 1_700_000_000,
  });
  const card = new FakeCard(sk, ka, certificate, pki.acquirerCaPublicKey);
  const terminal = await pki.issueTerminal({
    terminalId: 'T-001',
    merchantId: 'M-01',
    capabilities: ['DEBIT', 'UNDEBIT', 'IDENTITY_READ', 'BLOCK'],
    notBefore: 1_700_000_000,
  });
  const centre = await pki.issueTerminal({
    terminalId: 'HC-001',
    merchantId: 'HUDUMA',
    capabilities: ['UNBLOCK_PIN', 'IDENTITY_READ'],
    notBefore: 1_700_000_000,
  });
  return { card, pki, terminal, centre };
}
