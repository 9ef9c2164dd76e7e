import { decodeCommand, encodeResponse } from '@huduma/apdu';
import {
  AID,
  APPLET_VERSION,
  BlockReason,
  bytesEqual,
  type Certificate,
  type CommandSpec,
  CURRENCY_KES,
  commandByIns,
  concatBytes,
  type DebitRequest,
  decodeAuthenticatedCommand,
  decodeBlockRequest,
  decodeCardNumber,
  decodeCertificate,
  decodeDebitRequest,
  decodeIdentity,
  decodeIdentityReadRequest,
  decodeLoadAuthorization,
  decodePurseParameters,
  decodeRecoveryRequest,
  decodeTransactionRecord,
  decodeTrustedKey,
  decodeUndebitRequest,
  encodeCardNumber,
  encodePurse,
  encodeRecoveryResponseBody,
  encodeSelectResponse,
  encodeTransactionRecord,
  generatePrivateKey,
  isValidPinBlock,
  KeyUsage,
  LifeCycle,
  Limits,
  publicKeyOf,
  recoveryAttestationMessage,
  Size,
  StoreDataObject,
  SW,
  sha256,
  signMessage,
  swWrongPin,
  type TerminalCertificate,
  type TransactionRecord,
  TxType,
  terminalAuthMessage,
  transactionSigningMessage,
  type UndebitRequest,
  u32,
  verifyCertificateBytes,
  verifyLoadAuthorizationBytes,
  verifyMessage,
} from '@huduma/card-applet-spec';
import { PowerLossError } from './errors';
import { type CardState, cloneCardState, type TransientState } from './state';

/**
 * What the applet needs from its platform: the atomic EEPROM write, tear injection and
 * randomness. `SimulatedCard` provides a persisting, tearable host; the default keeps state in memory.
 */
export interface AppletHost {
  /** Atomically replaces the persisted state (one Java Card transaction). */
  write(next: CardState): void;
  /** A point where power may be lost; throws PowerLossError when a tear is armed here. */
  tearPoint(label: string): void;
  randomBytes(n: number): Uint8Array;
  generatePrivateKey(): Uint8Array;
}

export const memoryHost = (): AppletHost => ({
  write: () => {},
  tearPoint: () => {},
  randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
  generatePrivateKey,
});

/** What the last processed APDU cost on the card, for the latency model. */
export interface CommandInfo {
  /** INS of the command, undefined when rejected before the INS was known. */
  ins?: number;
  /** Only buffered a chain segment. */
  chainSegment: boolean;
  /** ECDSA verifications performed (terminal certificate on a cache miss, terminal signature, load authorization). */
  verifies: number;
  signs: number;
  writes: number;
}

type DecodedBody =
  | { kind: 'DEBIT'; req: DebitRequest }
  | { kind: 'UNDEBIT'; req: UndebitRequest }
  | { kind: 'READ_IDENTITY' }
  | { kind: 'BLOCK_CARD' };

/** Step d of the terminal checks: the body must decode (6A80 otherwise). */
function decodeBody(spec: CommandSpec, body: Uint8Array): DecodedBody {
  switch (spec.name) {
    case 'DEBIT':
      return { kind: 'DEBIT', req: decodeDebitRequest(body) };
    case 'UNDEBIT':
      return { kind: 'UNDEBIT', req: decodeUndebitRequest(body) };
    case 'READ_IDENTITY':
      decodeIdentityReadRequest(body);
      return { kind: 'READ_IDENTITY' };
    default: {
      const req = decodeBlockRequest(body);
      if (req.reason < BlockReason.DENY_LISTED || req.reason > BlockReason.HOLDER_REQUEST) {
        throw new RangeError(`unknown block reason ${req.reason}`);
      }
      return { kind: 'BLOCK_CARD' };
    }
  }
}

interface Response {
  sw: number;
  data?: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const r = (sw: number, data?: Uint8Array): Response => (data ? { sw, data } : { sw });

/** Data length each STORE DATA object must have (identity: 1..IDENTITY_MAX). */
const STORE_DATA_LENGTH: Record<number, number | readonly [number, number]> = {
  [StoreDataObject.CARD_NUMBER]: Size.CARD_NUMBER,
  [StoreDataObject.IDENTITY]: [1, Limits.IDENTITY_MAX],
  [StoreDataObject.PURSE_PARAMETERS]: Size.PURSE_PARAMETERS,
  [StoreDataObject.PIN]: Size.PIN_BLOCK,
  [StoreDataObject.PUK]: Size.PIN_BLOCK,
  [StoreDataObject.TRUSTED_KEY]: Size.TRUSTED_KEY,
  [StoreDataObject.CARD_CERTIFICATE]: Size.CERTIFICATE,
};

function lengthOk(len: number, rule: number | readonly [number, number]): boolean {
  return typeof rule === 'number' ? len === rule : len >= rule[0] && len <= rule[1];
}

/**
 * The Huduma applet v1 as a state machine over bytes. `process` never throws for any input
 * (malformed APDUs get 6700, internal failures 6F00 with no state change); the only exception
 * that escapes is the PowerLossError injected by the host.
 */
export class CardApplet {
  transient: TransientState = { pinVerified: false };
  lastCommand: CommandInfo = { chainSegment: false, verifies: 0, signs: 0, writes: 0 };

  constructor(
    public state: CardState,
    readonly host: AppletHost = memoryHost(),
  ) {}

  /** Card reset or power-off: RAM is lost. */
  resetTransient(): void {
    this.transient = { pinVerified: false };
  }

  process(apdu: Uint8Array): Uint8Array {
    this.lastCommand = { chainSegment: false, verifies: 0, signs: 0, writes: 0 };
    let res: Response;
    try {
      this.host.tearPoint('command-start');
      res = this.dispatch(apdu);
    } catch (err) {
      if (err instanceof PowerLossError) throw err;
      res = r(SW.NO_PRECISE_DIAGNOSIS);
    }
    return encodeResponse(res.data ?? EMPTY, res.sw);
  }

  /** The single persistent write step: tear points before and after, then the new state is current. */
  private persist(next: CardState, what: string): void {
    this.host.tearPoint(`before-write:${what}`);
    this.host.write(next);
    this.state = next;
    this.lastCommand.writes++;
    this.host.tearPoint(`after-write:${what}`);
  }

  private dispatch(apdu: Uint8Array): Response {
    const pending = this.transient.chain;
    this.transient.chain = undefined;
    if (apdu.length < 4) return r(SW.WRONG_LENGTH);
    let cmd: ReturnType<typeof decodeCommand>;
    try {
      cmd = decodeCommand(apdu);
    } catch {
      return r(SW.WRONG_LENGTH);
    }
    // Java Card 3.0.5 here: short APDUs only.
    if (cmd.extended) return r(SW.WRONG_LENGTH);
    const cla = cmd.cla;
    let base: number;
    let channel: number;
    if (cla & 0x40) {
      if (cla & 0x20) return r(SW.CLA_NOT_SUPPORTED);
      base = cla & 0x80;
      channel = 4 + (cla & 0x0f);
    } else {
      // b4-b3 secure messaging (unsupported) and b6 (RFU) make the class unknown.
      if (cla & 0x2c) return r(SW.CLA_NOT_SUPPORTED);
      base = cla & 0x80;
      channel = cla & 0x03;
    }
    const chaining = (cla & 0x10) !== 0;
    if (channel !== 0) return r(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    const spec = commandByIns(base, cmd.ins);
    if (!spec) return r(SW.INS_NOT_SUPPORTED);
    this.lastCommand.ins = cmd.ins;

    const segment = cmd.data ?? EMPTY;
    const continuation =
      pending !== undefined &&
      pending.cla === base &&
      pending.ins === cmd.ins &&
      pending.p1 === cmd.p1 &&
      pending.p2 === cmd.p2;
    if (pending && !continuation) return r(SW.LAST_COMMAND_OF_CHAIN_EXPECTED);
    if (chaining && !spec.chainable) return r(SW.CHAINING_NOT_SUPPORTED);
    const data = continuation ? concatBytes(pending.data, segment) : segment;
    if (data.length > Limits.CHAIN_BUFFER) return r(SW.CHAINING_NOT_SUPPORTED);

    const stateSw = this.checkLifeCycle(spec);
    if (stateSw !== undefined) return r(stateSw);
    if (!this.p1p2Ok(spec, cmd.p1, cmd.p2)) return r(SW.WRONG_P1P2);

    if (chaining) {
      this.transient.chain = { cla: base, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data };
      this.lastCommand.chainSegment = true;
      return r(SW.OK);
    }

    const lcRule = spec.name === 'STORE_DATA' ? STORE_DATA_LENGTH[cmd.p1]! : spec.lc;
    if (
      spec.name === 'VERIFY_PIN'
        ? data.length !== 0 && data.length !== Size.PIN_BLOCK
        : !lengthOk(data.length, lcRule)
    ) {
      return r(SW.WRONG_LENGTH);
    }
    return this.run(spec, cmd.p1, cmd.p2, data);
  }

  private checkLifeCycle(spec: CommandSpec): number | undefined {
    const lc = this.state.lifeCycle;
    if (spec.states.includes(lc)) return undefined;
    if (lc === LifeCycle.TERMINATED) return SW.CARD_TERMINATED;
    if (lc === LifeCycle.BLOCKED) return SW.CARD_BLOCKED;
    return SW.CONDITIONS_NOT_SATISFIED;
  }

  private p1p2Ok(spec: CommandSpec, p1: number, p2: number): boolean {
    if (spec.p1p2 === 'record') return p1 >= 1 && p1 <= Limits.RING_SIZE && p2 === 0x04;
    if (spec.p1p2 === 'store') return STORE_DATA_LENGTH[p1] !== undefined && p2 === 0x00;
    return ((p1 << 8) | p2) === spec.p1p2;
  }

  private run(spec: CommandSpec, p1: number, p2: number, data: Uint8Array): Response {
    switch (spec.name) {
      case 'SELECT':
        return this.select(data);
      case 'GET_CHALLENGE':
        this.transient.challenge = this.host.randomBytes(Size.CHALLENGE);
        return r(SW.OK, this.transient.challenge.slice());
      case 'GET_DATA':
        return this.state.certificate
          ? r(SW.OK, this.state.certificate.slice())
          : r(SW.REFERENCED_DATA_NOT_FOUND);
      case 'VERIFY_PIN':
        return this.verifyPin(data);
      case 'CHANGE_PIN':
        return this.changePin(data);
      case 'UNBLOCK_PIN':
        return this.unblockPin(data);
      case 'READ_PURSE':
        return r(SW.OK, this.purseBytes());
      case 'READ_RECORD': {
        const entry = this.state.ring[p1 - 1];
        return entry ? r(SW.OK, entry.slice()) : r(SW.RECORD_NOT_FOUND);
      }
      case 'GET_LAST_TRANSACTION':
        return this.getLastTransaction(data);
      case 'RELOAD':
        return this.reload(data);
      case 'DEBIT':
      case 'UNDEBIT':
      case 'READ_IDENTITY':
      case 'BLOCK_CARD':
        return this.authenticated(spec, p1, p2, data);
      case 'STORE_DATA':
        return this.storeData(p1, data);
      case 'GENERATE_KEY_PAIR': {
        const privateKey = this.host.generatePrivateKey();
        const publicKey = publicKeyOf(privateKey);
        this.host.tearPoint('key-generated');
        const next = cloneCardState(this.state);
        next.privateKey = privateKey;
        next.publicKey = publicKey;
        delete next.certificate;
        this.persist(next, 'generate-key-pair');
        return r(SW.OK, publicKey.slice());
      }
      case 'FINALIZE':
        return this.finalize();
    }
  }

  private purseBytes(): Uint8Array {
    const s = this.state;
    return encodePurse({
      balance: s.balance,
      maxBalance: s.maxBalance,
      counter: s.counter,
      offlineSpend: s.offlineSpend,
      offlineLimit: s.offlineLimit,
      cvmLimit: s.cvmLimit,
      currency: CURRENCY_KES,
      lifeCycle: s.lifeCycle,
      pinTriesLeft: s.pinTries,
    });
  }

  private select(data: Uint8Array): Response {
    if (!bytesEqual(data, AID)) return r(SW.APPLET_NOT_FOUND);
    this.transient = { pinVerified: false, challenge: this.host.randomBytes(Size.CHALLENGE) };
    const s = this.state;
    const fci = encodeSelectResponse({
      version: APPLET_VERSION,
      lifeCycle: s.lifeCycle,
      ...(s.cardNumber === undefined ? {} : { cardNumber: s.cardNumber }),
      challenge: this.transient.challenge!,
      purse: {
        balance: s.balance,
        maxBalance: s.maxBalance,
        counter: s.counter,
        offlineSpend: s.offlineSpend,
        offlineLimit: s.offlineLimit,
        cvmLimit: s.cvmLimit,
        currency: CURRENCY_KES,
        lifeCycle: s.lifeCycle,
        pinTriesLeft: s.pinTries,
      },
    });
    const sw =
      s.lifeCycle === LifeCycle.BLOCKED
        ? SW.SELECTED_FILE_DEACTIVATED
        : s.lifeCycle === LifeCycle.TERMINATED
          ? SW.SELECTED_FILE_TERMINATED
          : SW.OK;
    return r(sw, fci);
  }

  // --- PIN -------------------------------------------------------------------------------

  /**
   * Decrements and persists the try counter BEFORE comparing, so cutting the power after seeing
   * a mismatch (timing, current) can never give a free guess.
   */
  private checkSecret(kind: 'pin' | 'puk', block: Uint8Array): boolean {
    const next = cloneCardState(this.state);
    if (kind === 'pin') next.pinTries--;
    else next.pukTries--;
    this.persist(next, `${kind}-try`);
    const stored = kind === 'pin' ? this.state.pinBlock : this.state.pukBlock;
    const match = stored !== undefined && bytesEqual(stored, block);
    this.host.tearPoint(`${kind}-compared`);
    return match;
  }

  private verifyPin(data: Uint8Array): Response {
    const s = this.state;
    if (data.length === 0) {
      if (this.transient.pinVerified) return r(SW.OK);
      return r(s.pinTries === 0 ? SW.AUTH_METHOD_BLOCKED : swWrongPin(s.pinTries));
    }
    if (s.pinTries === 0) return r(SW.AUTH_METHOD_BLOCKED);
    if (!isValidPinBlock(data, 'PIN')) return r(SW.WRONG_DATA);
    if (!this.checkSecret('pin', data)) {
      this.transient.pinVerified = false;
      return r(swWrongPin(this.state.pinTries));
    }
    const next = cloneCardState(this.state);
    next.pinTries = Limits.PIN_TRIES;
    this.persist(next, 'pin-reset');
    this.transient.pinVerified = true;
    return r(SW.OK);
  }

  private changePin(data: Uint8Array): Response {
    const oldBlock = data.subarray(0, Size.PIN_BLOCK);
    const newBlock = data.slice(Size.PIN_BLOCK);
    if (!isValidPinBlock(newBlock, 'PIN')) return r(SW.WRONG_DATA);
    if (this.state.pinTries === 0) return r(SW.AUTH_METHOD_BLOCKED);
    if (!isValidPinBlock(oldBlock, 'PIN')) return r(SW.WRONG_DATA);
    if (!this.checkSecret('pin', oldBlock)) {
      this.transient.pinVerified = false;
      return r(swWrongPin(this.state.pinTries));
    }
    const next = cloneCardState(this.state);
    next.pinBlock = newBlock;
    next.pinTries = Limits.PIN_TRIES;
    this.persist(next, 'pin-change');
    this.transient.pinVerified = true;
    return r(SW.OK);
  }

  private unblockPin(data: Uint8Array): Response {
    const pukBlock = data.subarray(0, Size.PIN_BLOCK);
    const newBlock = data.slice(Size.PIN_BLOCK);
    if (this.state.pukTries === 0) return r(SW.AUTH_METHOD_BLOCKED);
    if (!isValidPinBlock(pukBlock, 'PUK') || !isValidPinBlock(newBlock, 'PIN')) return r(SW.WRONG_DATA);
    if (!this.checkSecret('puk', pukBlock)) {
      if (this.state.pukTries === 0) {
        const next = cloneCardState(this.state);
        next.lifeCycle = LifeCycle.TERMINATED;
        this.persist(next, 'terminate');
      }
      return r(swWrongPin(this.state.pukTries));
    }
    const next = cloneCardState(this.state);
    next.pinBlock = newBlock;
    next.pinTries = Limits.PIN_TRIES;
    next.pukTries = Limits.PUK_TRIES;
    this.persist(next, 'pin-unblock');
    return r(SW.OK);
  }

  // --- ring ------------------------------------------------------------------------------

  private ringRecords(): Array<{ record: TransactionRecord; entry: Uint8Array }> {
    return this.state.ring.map((entry) => ({
      entry,
      record: decodeTransactionRecord(entry.subarray(0, Size.TRANSACTION_RECORD)),
    }));
  }

  private findInRing(terminalId: string, seq: number) {
    return this.ringRecords().find((e) => e.record.terminalId === terminalId && e.record.terminalSeq === seq);
  }

  /** Signs the record (before the commit), then commits state + ring entry as one write. */
  private commitTransaction(next: CardState, record: TransactionRecord, what: string): Response {
    const recordBytes = encodeTransactionRecord(record);
    const signature = signMessage(
      next.privateKey!,
      transactionSigningMessage(encodeCardNumber(next.cardNumber!), recordBytes),
    );
    this.lastCommand.signs++;
    this.host.tearPoint(`${what}-signed`);
    const entry = concatBytes(recordBytes, signature);
    next.ring = [entry, ...next.ring].slice(0, Limits.RING_SIZE);
    this.persist(next, what);
    return r(SW.OK, entry.slice());
  }

  // --- terminal-authenticated commands ------------------------------------------------------

  private authenticated(spec: CommandSpec, p1: number, p2: number, data: Uint8Array): Response {
    const challenge = this.transient.challenge;
    if (!challenge) return r(SW.SECURITY_STATUS_NOT_SATISFIED);
    this.transient.challenge = undefined;
    const auth = spec.terminalAuth!;
    const { certificate, body, signature } = decodeAuthenticatedCommand(data, auth.bodySize);
    let cert: Certificate;
    try {
      cert = decodeCertificate(certificate);
    } catch {
      return r(SW.TERMINAL_CERT_INVALID);
    }
    if (cert.type !== 'terminal') return r(SW.TERMINAL_CERT_INVALID);
    const ca = this.state.trustedKeys.find(
      (k) => k.usage === KeyUsage.TERMINAL_CA && bytesEqual(k.keyId, cert.issuerKeyId),
    );
    if (!ca) return r(SW.REFERENCED_DATA_NOT_FOUND);
    const hash = sha256(certificate);
    const cached = this.state.certCache.some((h) => bytesEqual(h, hash));
    if (!cached) {
      this.lastCommand.verifies++;
      if (!verifyCertificateBytes(certificate, ca.publicKey)) return r(SW.TERMINAL_CERT_INVALID);
    }
    if (cert.notAfter < this.state.lastTrustedTime) return r(SW.TERMINAL_CERT_EXPIRED);
    if ((cert.capabilities & auth.capability) === 0) return r(SW.CAPABILITY_MISSING);
    const message = terminalAuthMessage(
      spec.ins,
      p1,
      p2,
      challenge,
      encodeCardNumber(this.state.cardNumber!),
      body,
    );
    this.lastCommand.verifies++;
    if (!verifyMessage(cert.publicKey, message, signature)) return r(SW.TERMINAL_SIGNATURE_INVALID);

    let decoded: DecodedBody;
    try {
      decoded = decodeBody(spec, body);
    } catch {
      return r(SW.WRONG_DATA);
    }

    // From here on the certificate is known good: remember it, with the command's effect when
    // there is one (one write), or alone when the command is refused.
    const draft = cloneCardState(this.state);
    if (!cached) draft.certCache = [hash, ...draft.certCache].slice(0, Limits.TERMINAL_CERT_CACHE);
    let res: Response;
    try {
      res = this.runAuthenticated(cert, decoded, draft);
    } catch (err) {
      if (err instanceof PowerLossError) throw err;
      res = r(SW.NO_PRECISE_DIAGNOSIS);
    }
    if (!cached && this.state !== draft) {
      const cacheOnly = cloneCardState(this.state);
      cacheOnly.certCache = draft.certCache;
      this.persist(cacheOnly, 'cert-cache');
    }
    return res;
  }

  /** Runs the command on `draft`; persists draft itself when the command changes state. */
  private runAuthenticated(cert: TerminalCertificate, body: DecodedBody, draft: CardState): Response {
    switch (body.kind) {
      case 'DEBIT':
        return this.debit(cert, body.req, draft);
      case 'UNDEBIT':
        return this.undebit(cert, body.req, draft);
      case 'READ_IDENTITY':
        if (!this.transient.pinVerified) return r(SW.PIN_REQUIRED);
        return this.state.identity ? r(SW.OK, this.state.identity.slice()) : r(SW.REFERENCED_DATA_NOT_FOUND);
      case 'BLOCK_CARD':
        if (this.state.lifeCycle === LifeCycle.ACTIVE) {
          draft.lifeCycle = LifeCycle.BLOCKED;
          this.persist(draft, 'block');
        }
        return r(SW.OK);
    }
  }

  private debit(cert: TerminalCertificate, req: DebitRequest, draft: CardState): Response {
    const seen = this.findInRing(cert.terminalId, req.terminalSeq);
    if (seen) {
      const rec = seen.record;
      if (
        rec.type === TxType.DEBIT &&
        rec.amount === req.amount &&
        rec.billRef === req.billRef &&
        rec.serviceCode === req.serviceCode
      ) {
        return r(SW.OK, seen.entry.slice());
      }
      return r(SW.SEQUENCE_REUSED);
    }
    const s = this.state;
    if (req.amount === 0) return r(SW.WRONG_DATA);
    if (req.amount > s.cvmLimit && !this.transient.pinVerified) return r(SW.PIN_REQUIRED);
    if (s.counter === Limits.MAX_COUNTER) return r(SW.COUNTER_EXHAUSTED);
    if (s.balance < req.amount) return r(SW.INSUFFICIENT_FUNDS);
    if (s.offlineSpend + req.amount > s.offlineLimit) return r(SW.OFFLINE_LIMIT_EXCEEDED);
    draft.counter = s.counter + 1;
    draft.balance = s.balance - req.amount;
    draft.offlineSpend = s.offlineSpend + req.amount;
    return this.commitTransaction(
      draft,
      {
        type: TxType.DEBIT,
        counter: draft.counter,
        amount: req.amount,
        balanceAfter: draft.balance,
        offlineSpendAfter: draft.offlineSpend,
        terminalId: cert.terminalId,
        terminalSeq: req.terminalSeq,
        terminalNonce: req.terminalNonce,
        time: req.time,
        billRef: req.billRef,
        serviceCode: req.serviceCode,
        refCounter: 0,
      },
      'debit',
    );
  }

  private undebit(cert: TerminalCertificate, req: UndebitRequest, draft: CardState): Response {
    const seen = this.findInRing(cert.terminalId, req.terminalSeq);
    if (seen) {
      const rec = seen.record;
      if (rec.type === TxType.UNDEBIT && rec.refCounter === req.refCounter && rec.amount === req.amount) {
        return r(SW.OK, seen.entry.slice());
      }
      return r(SW.SEQUENCE_REUSED);
    }
    const s = this.state;
    const newest = this.ringRecords()[0]?.record;
    const dt = newest ? req.time - newest.time : -1;
    if (
      !newest ||
      newest.type !== TxType.DEBIT ||
      newest.counter !== req.refCounter ||
      newest.terminalId !== cert.terminalId ||
      newest.amount !== req.amount ||
      dt < 0 ||
      dt > Limits.UNDEBIT_WINDOW_SECONDS
    ) {
      return r(SW.UNDEBIT_REFUSED);
    }
    if (s.counter === Limits.MAX_COUNTER) return r(SW.COUNTER_EXHAUSTED);
    draft.counter = s.counter + 1;
    draft.balance = s.balance + req.amount;
    draft.offlineSpend = Math.max(0, s.offlineSpend - req.amount);
    return this.commitTransaction(
      draft,
      {
        type: TxType.UNDEBIT,
        counter: draft.counter,
        amount: req.amount,
        balanceAfter: draft.balance,
        offlineSpendAfter: draft.offlineSpend,
        terminalId: cert.terminalId,
        terminalSeq: req.terminalSeq,
        terminalNonce: req.terminalNonce,
        time: req.time,
        billRef: newest.billRef,
        serviceCode: newest.serviceCode,
        refCounter: newest.counter,
      },
      'undebit',
    );
  }

  private reload(data: Uint8Array): Response {
    const challenge = this.transient.challenge;
    if (!challenge) return r(SW.SECURITY_STATUS_NOT_SATISFIED);
    this.transient.challenge = undefined;
    const keyId = data.subarray(0, Size.KEY_ID);
    const key = this.state.trustedKeys.find(
      (k) => k.usage === KeyUsage.LOAD_AUTHORITY && bytesEqual(k.keyId, keyId),
    );
    if (!key) return r(SW.REFERENCED_DATA_NOT_FOUND);
    this.lastCommand.verifies++;
    if (!verifyLoadAuthorizationBytes(data, key.publicKey)) return r(SW.LOAD_AUTH_INVALID);
    const s = this.state;
    if (
      !bytesEqual(data.subarray(8, 16), encodeCardNumber(s.cardNumber!)) ||
      !bytesEqual(data.subarray(16, 20), u32(s.counter)) ||
      !bytesEqual(data.subarray(20, 36), challenge)
    ) {
      return r(SW.LOAD_AUTH_INVALID);
    }
    let auth: ReturnType<typeof decodeLoadAuthorization>;
    try {
      auth = decodeLoadAuthorization(data);
    } catch {
      return r(SW.WRONG_DATA);
    }
    if (s.counter === Limits.MAX_COUNTER) return r(SW.COUNTER_EXHAUSTED);
    if (s.balance + auth.amount > s.maxBalance) return r(SW.MAX_BALANCE_EXCEEDED);
    const next = cloneCardState(s);
    next.counter = s.counter + 1;
    next.balance = s.balance + auth.amount;
    next.offlineSpend = 0;
    next.lastTrustedTime = Math.max(s.lastTrustedTime, auth.time);
    return this.commitTransaction(
      next,
      {
        type: TxType.RELOAD,
        counter: next.counter,
        amount: auth.amount,
        balanceAfter: next.balance,
        offlineSpendAfter: 0,
        terminalId: auth.terminalId,
        terminalSeq: auth.terminalSeq,
        terminalNonce: auth.terminalNonce,
        time: auth.time,
        billRef: auth.loadRef,
        serviceCode: 0,
        refCounter: 0,
      },
      'reload',
    );
  }

  private getLastTransaction(data: Uint8Array): Response {
    let req: ReturnType<typeof decodeRecoveryRequest>;
    try {
      req = decodeRecoveryRequest(data);
    } catch {
      return r(SW.WRONG_DATA);
    }
    const s = this.state;
    const seen = this.findInRing(req.terminalId, req.terminalSeq);
    const body = encodeRecoveryResponseBody(
      seen
        ? {
            found: true,
            counter: s.counter,
            balance: s.balance,
            recordBytes: seen.entry.subarray(0, Size.TRANSACTION_RECORD),
            recordSignature: seen.entry.subarray(Size.TRANSACTION_RECORD),
          }
        : { found: false, counter: s.counter, balance: s.balance },
    );
    const attestation = signMessage(
      s.privateKey!,
      recoveryAttestationMessage(encodeCardNumber(s.cardNumber!), data, body),
    );
    this.lastCommand.signs++;
    return r(SW.OK, concatBytes(body, attestation));
  }

  // --- personalization --------------------------------------------------------------------

  private storeData(object: number, data: Uint8Array): Response {
    const next = cloneCardState(this.state);
    switch (object) {
      case StoreDataObject.CARD_NUMBER: {
        let cardNumber: string;
        try {
          cardNumber = decodeCardNumber(data);
        } catch {
          return r(SW.WRONG_DATA);
        }
        if (next.cardNumber !== cardNumber) delete next.certificate;
        next.cardNumber = cardNumber;
        break;
      }
      case StoreDataObject.IDENTITY:
        try {
          decodeIdentity(data);
        } catch {
          return r(SW.WRONG_DATA);
        }
        next.identity = data.slice();
        break;
      case StoreDataObject.PURSE_PARAMETERS: {
        const p = decodePurseParameters(data);
        if (p.offlineLimit > p.maxBalance || p.cvmLimit > p.maxBalance) return r(SW.WRONG_DATA);
        next.maxBalance = p.maxBalance;
        next.offlineLimit = p.offlineLimit;
        next.cvmLimit = p.cvmLimit;
        next.purseParametersSet = true;
        break;
      }
      case StoreDataObject.PIN:
        if (!isValidPinBlock(data, 'PIN')) return r(SW.WRONG_DATA);
        next.pinBlock = data.slice();
        break;
      case StoreDataObject.PUK:
        if (!isValidPinBlock(data, 'PUK')) return r(SW.WRONG_DATA);
        next.pukBlock = data.slice();
        break;
      case StoreDataObject.TRUSTED_KEY: {
        let key: ReturnType<typeof decodeTrustedKey>;
        try {
          key = decodeTrustedKey(data);
        } catch {
          return r(SW.WRONG_DATA);
        }
        if (key.usage !== KeyUsage.TERMINAL_CA && key.usage !== KeyUsage.LOAD_AUTHORITY)
          return r(SW.WRONG_DATA);
        const others = next.trustedKeys.filter((k) => !bytesEqual(k.keyId, key.keyId));
        if (others.length >= Limits.TRUSTED_KEY_SLOTS) return r(SW.WRONG_DATA);
        next.trustedKeys = [...others, key];
        break;
      }
      case StoreDataObject.CARD_CERTIFICATE: {
        if (!next.publicKey || next.cardNumber === undefined) return r(SW.CONDITIONS_NOT_SATISFIED);
        let cert: Certificate;
        try {
          cert = decodeCertificate(data);
        } catch {
          return r(SW.WRONG_DATA);
        }
        if (
          cert.type !== 'card' ||
          cert.cardNumber !== next.cardNumber ||
          !bytesEqual(cert.publicKey, next.publicKey)
        ) {
          return r(SW.WRONG_DATA);
        }
        next.certificate = data.slice();
        break;
      }
      default:
        return r(SW.WRONG_P1P2);
    }
    this.persist(next, `store-data-${object}`);
    return r(SW.OK);
  }

  private finalize(): Response {
    const s = this.state;
    const hasUsage = (u: number) => s.trustedKeys.some((k) => k.usage === u);
    if (
      s.cardNumber === undefined ||
      !s.purseParametersSet ||
      !s.pinBlock ||
      !s.pukBlock ||
      !s.privateKey ||
      !s.certificate ||
      !hasUsage(KeyUsage.TERMINAL_CA) ||
      !hasUsage(KeyUsage.LOAD_AUTHORITY)
    ) {
      return r(SW.CONDITIONS_NOT_SATISFIED);
    }
    const cert = decodeCertificate(s.certificate);
    const next = cloneCardState(s);
    next.lastTrustedTime = cert.notBefore;
    next.balance = 0;
    next.counter = 0;
    next.offlineSpend = 0;
    next.pinTries = Limits.PIN_TRIES;
    next.pukTries = Limits.PUK_TRIES;
    next.lifeCycle = LifeCycle.ACTIVE;
    this.persist(next, 'finalize');
    return r(SW.OK);
  }
}
