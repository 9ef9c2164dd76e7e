import { type ResponseApdu, type Transport, transceive } from '@huduma/apdu';
import {
  AID,
  BlockReason,
  bytesEqual,
  type CardNumber,
  CLA_OF_INS,
  concatBytes,
  decodeCertificate,
  decodeIdentity,
  decodeLoadAuthorization,
  decodePurse,
  decodeRecoveryResponse,
  decodeSelectResponse,
  decodeTransactionProof,
  encodeBlockRequest,
  encodeDebitRequest,
  encodeIdentityReadRequest,
  encodePinBlock,
  encodeRecoveryRequest,
  encodeUndebitRequest,
  type HolderIdentity,
  INS,
  type InsName,
  keyIdOf,
  LifeCycle,
  type LifeCycleState,
  Limits,
  type LoadAuthorization,
  type Purse,
  type RecoveryResponse,
  type SignatureVerify,
  Size,
  SW,
  type TerminalCertificate,
  type TransactionProof,
  TxType,
  type TxTypeCode,
  terminalAuthMessage,
  toHex,
  verifyCertificateBytes,
  verifyMessage,
  verifyRecoveryAttestation,
  verifyTransactionProof,
} from '@huduma/card-applet-spec';
import { randomBytes } from '@noble/hashes/utils';
import type { CardCertificateCache, VerifiedCardCertificate } from './certificate-cache';
import {
  CardCertificateInvalidError,
  CardError,
  CardResponseMalformedError,
  DebitOutcomeUnknownError,
  errorForStatusWord,
  LoadAuthorizationInvalidError,
  ProofInvalidError,
  type SentDebitRequest,
  TerminalRequiredError,
  TransactionOutcomeUnknownError,
  WrongPinError,
} from './errors';
import { type TapStep, type TapTelemetry, TapTelemetryRecorder } from './telemetry';
import { resolveTerminal, type TerminalCredentials, type TerminalSigner } from './terminal';

/** Options of {@link HudumaCard.select}. */
export interface HudumaCardOptions {
  /** The issuer CA public keys (65-byte uncompressed P-256) whose card certificates are trusted. */
  trust: { issuerCaPublicKeys: readonly Uint8Array[] };
  /** Terminal credentials; needed for debit, undebit, readIdentity, block and recoverTransaction. */
  terminal?: TerminalCredentials;
  /** Remembers verified card certificates between taps so repeat taps skip GET DATA. */
  certificateCache?: CardCertificateCache;
  /** Tap telemetry: `onTelemetry` is called after every SDK call with the figures of the tap so far. */
  telemetry?: { budgetMs?: number; onTelemetry?: (telemetry: TapTelemetry) => void };
  /** Unix time in seconds (default: the system clock); used for request times and certificate expiry. */
  clock?: () => number;
  /**
   * The P-256 verification used for card certificates, proofs and recovery attestations
   * (default: pure JS, `verifyMessage`). On Node, `nodeCryptoVerify` from `@huduma/sdk/node` does the same on OpenSSL.
   */
  verifySignature?: SignatureVerify;
}

/** A debit to perform. Amounts are integer cents. */
export interface DebitParams {
  /** Amount in cents, > 0. */
  amount: number;
  /** The terminal's sequence number for this request: unique per terminal, the idempotency and recovery key. */
  terminalSeq: number;
  /** Bill reference, up to 16 printable ASCII characters. */
  billRef: string;
  /** Service code, 0..65535. */
  serviceCode: number;
  /** Unix seconds (default: now). */
  time?: number;
  /** 8 bytes (default: random). Reuse the original one when retrying a request. */
  terminalNonce?: Uint8Array;
}

/** An undebit (cancellation of this terminal's last debit on the card, within 15 minutes). */
export interface UndebitParams {
  /** Counter of the debit to cancel (its proof's `record.counter`). */
  refCounter: number;
  /** Amount of that debit, cents. */
  amount: number;
  /** A new terminal sequence number for the undebit. */
  terminalSeq: number;
  /** Unix seconds (default: now). */
  time?: number;
  /** 8 bytes (default: random). */
  terminalNonce?: Uint8Array;
}

/** A card proof whose signature and fields the SDK has checked. */
export interface VerifiedProof extends TransactionProof {
  /** The card that signed it. */
  cardNumber: CardNumber;
  /**
   * True when the card returned the proof it stored for an earlier identical request (same
   * terminal sequence) instead of charging again: a retry after a lost response.
   */
  replayed: boolean;
}

/** The proof of a debit: the record the card signed and its signature, verified. */
export type DebitProof = VerifiedProof;

/** What the clearing service needs to sign a load authorization for this card right now. */
export interface ReloadContext {
  cardNumber: CardNumber;
  /** The card's transaction counter (the authorization's `cardCounter`). */
  counter: number;
  /** A fresh card challenge (16 bytes) the authorization must carry. */
  challenge: Uint8Array;
}

/** The signed evidence of a recovery answer: the exact request sent and the 200-byte response. */
export interface RecoveryEvidence {
  requestBytes: Uint8Array;
  responseBytes: Uint8Array;
}

/**
 * What the card attests about an earlier request (GET LAST TRANSACTION, spec §6.12):
 * `completed` (here is its proof), `not-charged` (it never happened), or `unknown` (the ring
 * rolled over since: settle the transaction by other means).
 */
export type RecoveryResult =
  | {
      status: 'completed';
      proof: VerifiedProof;
      counter: number;
      balance: number;
      evidence: RecoveryEvidence;
    }
  | { status: 'not-charged'; counter: number; balance: number; evidence: RecoveryEvidence }
  | { status: 'unknown'; counter: number; balance: number; evidence: RecoveryEvidence };

/** Reasons accepted by {@link HudumaCard.block}. */
export type BlockReasonName = keyof typeof BlockReason;

const RESPONSE_LE = 256;

/**
 * A selected Huduma card. Create one per tap with {@link HudumaCard.select}; every method checks
 * what the card signed before it reports success, and maps status words to typed errors.
 */
export class HudumaCard {
  private challenge: Uint8Array | undefined;
  private verifiedCertificate: VerifiedCardCertificate | undefined;
  private depth = 0;

  private constructor(
    private readonly transport: Transport,
    private readonly options: HudumaCardOptions,
    private readonly recorder: TapTelemetryRecorder,
    private readonly terminal: { signer: TerminalSigner; certificate: TerminalCertificate } | undefined,
    /** The card number read from the FCI. */
    readonly cardNumber: CardNumber,
    private currentLifeCycle: LifeCycleState,
    private currentPurse: Purse,
    challenge: Uint8Array,
  ) {
    this.challenge = challenge;
  }

  /**
   * Selects the Huduma applet on the card behind `transport` and reads its FCI (card number,
   * life-cycle state, purse and a fresh challenge). A blocked or terminated card is selected too
   * (check `lifeCycle`); its value commands will then fail with the matching error.
   */
  static async select(transport: Transport, options: HudumaCardOptions): Promise<HudumaCard> {
    const recorder = new TapTelemetryRecorder(options.telemetry?.budgetMs);
    const wrapped = recorder.wrap(transport);
    const terminal = options.terminal ? resolveTerminal(options.terminal) : undefined;
    try {
      const fci = await recorder.time('select', async () => {
        const r = await transceive(wrapped, {
          cla: 0x00,
          ins: INS.SELECT,
          p1: 0x04,
          p2: 0x00,
          data: AID,
          le: RESPONSE_LE,
        });
        if (r.sw !== SW.OK && r.sw !== SW.SELECTED_FILE_DEACTIVATED && r.sw !== SW.SELECTED_FILE_TERMINATED) {
          throw errorForStatusWord(r.sw, 'SELECT');
        }
        try {
          return decodeSelectResponse(r.data);
        } catch (e) {
          throw new CardResponseMalformedError(
            `SELECT returned an FCI that does not decode: ${message(e)}`,
            r.sw,
            e,
          );
        }
      });
      if (fci.cardNumber === undefined) {
        throw new CardError(
          'ERR_CARD_NOT_PERSONALIZED',
          'the card has no card number yet (personalization state)',
        );
      }
      recorder.cardNumber = fci.cardNumber;
      return new HudumaCard(
        wrapped,
        options,
        recorder,
        terminal,
        fci.cardNumber,
        fci.lifeCycle,
        fci.purse,
        fci.challenge,
      );
    } finally {
      options.telemetry?.onTelemetry?.(recorder.snapshot());
    }
  }

  /** The card's life-cycle state as last seen. */
  get lifeCycle(): LifeCycleState {
    return this.currentLifeCycle;
  }

  /** The purse as last seen (FCI, READ PURSE, or updated from verified proofs). */
  get purse(): Purse {
    return { ...this.currentPurse };
  }

  /** The figures of this tap so far. */
  get telemetry(): TapTelemetry {
    return this.recorder.snapshot();
  }

  /** Reads the purse (READ PURSE). */
  readPurse(): Promise<Purse> {
    return this.run(async () => {
      const r = await this.time('read', () => this.send('READ_PURSE', 0, 0, undefined, Size.PURSE));
      this.expectOk(r, 'READ_PURSE');
      const purse = this.decode('purse', () => decodePurse(r.data));
      this.currentPurse = purse;
      this.currentLifeCycle = purse.lifeCycle;
      return { ...purse };
    });
  }

  /**
   * The card's certificate, verified against the trusted issuer CA keys (key id, signature,
   * card number, expiry). Served from the certificate cache when the card was seen before.
   */
  certificate(): Promise<VerifiedCardCertificate> {
    return this.run(() => this.loadCertificate());
  }

  /** Verifies the cardholder PIN (4-8 digits). Throws `WrongPinError` (with `triesLeft`) or `PinBlockedError`. */
  verifyPin(pin: string): Promise<void> {
    return this.run(() =>
      this.time('pin', async () => {
        const r = await this.send('VERIFY_PIN', 0x00, 0x81, encodePinBlock(pin));
        this.pinOutcome(r, 'VERIFY_PIN');
      }),
    );
  }

  /** Changes the PIN; the old PIN counts as a verification attempt. */
  changePin(oldPin: string, newPin: string): Promise<void> {
    return this.run(() =>
      this.time('pin', async () => {
        const data = concatBytes(encodePinBlock(oldPin), encodePinBlock(newPin));
        const r = await this.send('CHANGE_PIN', 0x00, 0x81, data);
        this.pinOutcome(r, 'CHANGE_PIN');
      }),
    );
  }

  /** Unblocks the PIN with the 8-digit PUK and sets a new PIN. Throws `WrongPukError` on a wrong PUK. */
  unblockPin(puk: string, newPin: string): Promise<void> {
    return this.run(() =>
      this.time('pin', async () => {
        const data = concatBytes(encodePinBlock(puk, 'PUK'), encodePinBlock(newPin));
        const r = await this.send('UNBLOCK_PIN', 0x00, 0x81, data);
        this.pinOutcome(r, 'UNBLOCK_PIN');
      }),
    );
  }

  /**
   * Debits the card and returns the card's verified proof. If the link fails while the DEBIT is
   * in flight this throws `DebitOutcomeUnknownError`: call {@link recoverTransaction} on the next
   * tap, or retry with `err.request` (same terminal sequence: the card never charges twice).
   */
  debit(params: DebitParams): Promise<DebitProof> {
    return this.run(async () => {
      const terminal = this.requireTerminal('debit');
      checkAmount(params.amount, 'debit amount', false);
      checkU32(params.terminalSeq, 'terminalSeq');
      const card = await this.loadCertificate();
      const request: SentDebitRequest = {
        amount: params.amount,
        terminalSeq: params.terminalSeq,
        terminalNonce: params.terminalNonce ?? randomBytes(Size.NONCE),
        time: params.time ?? this.now(),
        billRef: params.billRef,
        serviceCode: params.serviceCode,
      };
      const body = encodeDebitRequest(request);
      const before = { ...this.currentPurse };
      const data = await this.time('debit', () => this.authenticate(INS.DEBIT, body));
      let r: ResponseApdu;
      try {
        r = await this.time('debit', () => this.send('DEBIT', 0, 0, data, Size.TRANSACTION_PROOF));
      } catch (cause) {
        throw new DebitOutcomeUnknownError({
          cardNumber: this.cardNumber,
          counterBefore: before.counter,
          request,
          cause,
        });
      }
      this.expectOk(r, 'DEBIT');
      return this.time('verify', async () =>
        this.checkProof(r.data, card, before, {
          type: TxType.DEBIT,
          amount: request.amount,
          terminalId: terminal.certificate.terminalId,
          terminalSeq: request.terminalSeq,
          terminalNonce: request.terminalNonce,
          time: request.time,
          billRef: request.billRef,
          serviceCode: request.serviceCode,
          refCounter: 0,
          balanceAfter: before.balance - request.amount,
          offlineSpendAfter: before.offlineSpend + request.amount,
          replayable: true,
        }),
      );
    });
  }

  /** Cancels this terminal's last debit on the card (within the card's 15-minute window). */
  undebit(params: UndebitParams): Promise<VerifiedProof> {
    return this.run(async () => {
      const terminal = this.requireTerminal('undebit');
      checkAmount(params.amount, 'undebit amount', false);
      checkU32(params.terminalSeq, 'terminalSeq');
      checkU32(params.refCounter, 'refCounter');
      const card = await this.loadCertificate();
      const request = {
        refCounter: params.refCounter,
        amount: params.amount,
        terminalSeq: params.terminalSeq,
        terminalNonce: params.terminalNonce ?? randomBytes(Size.NONCE),
        time: params.time ?? this.now(),
      };
      const before = { ...this.currentPurse };
      const data = await this.time('undebit', () =>
        this.authenticate(INS.UNDEBIT, encodeUndebitRequest(request)),
      );
      let r: ResponseApdu;
      try {
        r = await this.time('undebit', () => this.send('UNDEBIT', 0, 0, data, Size.TRANSACTION_PROOF));
      } catch (cause) {
        throw new TransactionOutcomeUnknownError('ERR_UNDEBIT_OUTCOME_UNKNOWN', {
          operation: 'undebit',
          cardNumber: this.cardNumber,
          terminalSeq: request.terminalSeq,
          counterBefore: before.counter,
          cause,
        });
      }
      this.expectOk(r, 'UNDEBIT');
      return this.time('verify', async () =>
        this.checkProof(r.data, card, before, {
          type: TxType.UNDEBIT,
          amount: request.amount,
          terminalId: terminal.certificate.terminalId,
          terminalSeq: request.terminalSeq,
          terminalNonce: request.terminalNonce,
          time: request.time,
          refCounter: request.refCounter,
          balanceAfter: before.balance + request.amount,
          offlineSpendAfter: Math.max(0, before.offlineSpend - request.amount),
          replayable: true,
        }),
      );
    });
  }

  /**
   * The card number, counter and a fresh challenge: what the clearing service signs into a load
   * authorization. Send nothing else to the card between this and {@link reload}.
   */
  reloadContext(): Promise<ReloadContext> {
    return this.run(async () => {
      const challenge = await this.time('reload', () => this.freshChallenge());
      return {
        cardNumber: this.cardNumber,
        counter: this.currentPurse.counter,
        challenge: challenge.slice(),
      };
    });
  }

  /** Applies a load authorization (144 bytes) signed by the issuer's load authority; returns the verified proof. */
  reload(loadAuthorization: Uint8Array): Promise<VerifiedProof> {
    return this.run(async () => {
      let auth: LoadAuthorization;
      try {
        auth = decodeLoadAuthorization(loadAuthorization);
      } catch (e) {
        throw new LoadAuthorizationInvalidError(`the load authorization does not decode: ${message(e)}`);
      }
      // Checked here because the card would consume its challenge and answer only 9F08.
      if (auth.cardNumber !== this.cardNumber)
        throw new LoadAuthorizationInvalidError(
          `the load authorization is for card ${auth.cardNumber}, not ${this.cardNumber}`,
        );
      if (auth.cardCounter !== this.currentPurse.counter)
        throw new LoadAuthorizationInvalidError(
          `the load authorization is for counter ${auth.cardCounter}, the card is at ${this.currentPurse.counter}`,
        );
      if (!this.challenge || !bytesEqual(this.challenge, auth.cardChallenge))
        throw new LoadAuthorizationInvalidError(
          'the load authorization carries another challenge than the card current one: call reloadContext() and have it signed again',
        );
      const card = await this.loadCertificate();
      const before = { ...this.currentPurse };
      this.challenge = undefined;
      let r: ResponseApdu;
      try {
        r = await this.time('reload', () =>
          this.send('RELOAD', 0, 0, loadAuthorization, Size.TRANSACTION_PROOF),
        );
      } catch (cause) {
        throw new TransactionOutcomeUnknownError('ERR_RELOAD_OUTCOME_UNKNOWN', {
          operation: 'reload',
          cardNumber: this.cardNumber,
          terminalSeq: auth.terminalSeq,
          counterBefore: before.counter,
          cause,
        });
      }
      this.expectOk(r, 'RELOAD');
      return this.time('verify', async () =>
        this.checkProof(r.data, card, before, {
          type: TxType.RELOAD,
          amount: auth.amount,
          terminalId: auth.terminalId,
          terminalSeq: auth.terminalSeq,
          terminalNonce: auth.terminalNonce,
          time: auth.time,
          billRef: auth.loadRef,
          serviceCode: 0,
          refCounter: 0,
          balanceAfter: before.balance + auth.amount,
          offlineSpendAfter: 0,
          replayable: false,
        }),
      );
    });
  }

  /** Reads the transaction ring (newest first), verifying every proof's signature with the card key. */
  readRecords(): Promise<TransactionProof[]> {
    return this.run(async () => {
      const card = await this.loadCertificate();
      const proofs: TransactionProof[] = [];
      for (let n = 1; n <= Limits.RING_SIZE; n++) {
        const r = await this.time('read', () =>
          this.send('READ_RECORD', n, 0x04, undefined, Size.TRANSACTION_PROOF),
        );
        if (r.sw === SW.RECORD_NOT_FOUND) break;
        this.expectOk(r, 'READ_RECORD');
        const proof = this.time('verify', async () => {
          const p = this.decodeProof(r.data);
          if (
            !this.recorder.crypto(() =>
              verifyTransactionProof(this.cardNumber, p, card.certificate.publicKey, this.verify),
            )
          )
            throw new ProofInvalidError(`record ${n}: the card signature does not verify`, r.data);
          return p;
        });
        proofs.push(await proof);
      }
      return proofs;
    });
  }

  /**
   * Asks the card whether an earlier request of this terminal (by terminal sequence) happened,
   * and verifies the card's signed attestation. `counterBefore` is the card counter seen before
   * the attempt (e.g. `DebitOutcomeUnknownError.counterBefore`): not found with fewer than 16
   * transactions since means not charged; more means unknown (the ring rolled over).
   */
  recoverTransaction(args: {
    terminalSeq: number;
    counterBefore: number;
    terminalId?: string;
  }): Promise<RecoveryResult> {
    return this.run(async () => {
      const terminalId = args.terminalId ?? this.terminal?.certificate.terminalId;
      if (terminalId === undefined) throw new TerminalRequiredError('recoverTransaction');
      checkU32(args.terminalSeq, 'terminalSeq');
      checkU32(args.counterBefore, 'counterBefore');
      const card = await this.loadCertificate();
      const requestBytes = encodeRecoveryRequest({
        terminalId,
        terminalSeq: args.terminalSeq,
        terminalNonce: randomBytes(Size.NONCE),
      });
      const r = await this.time('recovery', () =>
        this.send('GET_LAST_TRANSACTION', 0, 0, requestBytes, Size.RECOVERY_RESPONSE),
      );
      this.expectOk(r, 'GET_LAST_TRANSACTION');
      return this.time('verify', async () => {
        let response: RecoveryResponse;
        try {
          response = decodeRecoveryResponse(r.data);
        } catch (e) {
          throw new ProofInvalidError(`the recovery response does not decode: ${message(e)}`, r.data);
        }
        const attested = this.recorder.crypto(() =>
          verifyRecoveryAttestation(
            this.cardNumber,
            requestBytes,
            response,
            card.certificate.publicKey,
            this.verify,
          ),
        );
        if (!attested)
          throw new ProofInvalidError(
            'the card attestation over the recovery response does not verify',
            r.data,
          );
        const evidence = { requestBytes, responseBytes: r.data.slice() };
        this.currentPurse = { ...this.currentPurse, counter: response.counter, balance: response.balance };
        const { counter, balance } = response;
        if (response.found && response.record && response.recordBytes && response.recordSignature) {
          const proof: VerifiedProof = {
            recordBytes: response.recordBytes,
            record: response.record,
            signature: response.recordSignature,
            cardNumber: this.cardNumber,
            replayed: true,
          };
          if (proof.record.terminalId !== terminalId || proof.record.terminalSeq !== args.terminalSeq)
            throw new ProofInvalidError(
              `the card returned the record of ${proof.record.terminalId}/${proof.record.terminalSeq}, not ${terminalId}/${args.terminalSeq}`,
              r.data,
            );
          if (
            !this.recorder.crypto(() =>
              verifyTransactionProof(this.cardNumber, proof, card.certificate.publicKey, this.verify),
            )
          )
            throw new ProofInvalidError('the recovered record signature does not verify', r.data);
          return { status: 'completed' as const, proof, counter, balance, evidence };
        }
        if (counter >= args.counterBefore && counter - args.counterBefore < Limits.RING_SIZE)
          return { status: 'not-charged' as const, counter, balance, evidence };
        return { status: 'unknown' as const, counter, balance, evidence };
      });
    });
  }

  /** Reads the holder's identity (terminal with IDENTITY_READ capability, PIN verified in this session). */
  readIdentity(params?: { time?: number; terminalNonce?: Uint8Array }): Promise<HolderIdentity> {
    return this.run(async () => {
      this.requireTerminal('readIdentity');
      const body = encodeIdentityReadRequest({
        terminalNonce: params?.terminalNonce ?? randomBytes(Size.NONCE),
        time: params?.time ?? this.now(),
      });
      const r = await this.time('identity', async () => {
        const data = await this.authenticate(INS.READ_IDENTITY, body);
        return this.send('READ_IDENTITY', 0, 0, data, RESPONSE_LE);
      });
      this.expectOk(r, 'READ_IDENTITY');
      return this.decode('identity', () => decodeIdentity(r.data));
    });
  }

  /** Blocks the card (terminal with BLOCK capability). Blocking a blocked card succeeds. */
  block(reason: BlockReasonName | number, params?: { terminalSeq?: number; time?: number }): Promise<void> {
    return this.run(async () => {
      this.requireTerminal('block');
      const code = typeof reason === 'number' ? reason : BlockReason[reason];
      const body = encodeBlockRequest({
        reason: code,
        terminalSeq: params?.terminalSeq ?? 0,
        time: params?.time ?? this.now(),
      });
      const r = await this.time('block', async () => {
        const data = await this.authenticate(INS.BLOCK_CARD, body);
        return this.send('BLOCK_CARD', 0, 0, data);
      });
      this.expectOk(r, 'BLOCK_CARD');
      this.currentLifeCycle = LifeCycle.BLOCKED;
      this.currentPurse = { ...this.currentPurse, lifeCycle: LifeCycle.BLOCKED };
    });
  }

  // ---------------------------------------------------------------------------------------------

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    this.depth++;
    try {
      return await fn();
    } finally {
      this.depth--;
      if (this.depth === 0) this.options.telemetry?.onTelemetry?.(this.recorder.snapshot());
    }
  }

  private time<T>(step: TapStep, fn: () => Promise<T>): Promise<T> {
    return this.recorder.time(step, fn);
  }

  private now(): number {
    return this.options.clock ? this.options.clock() : Math.floor(Date.now() / 1000);
  }

  private requireTerminal(operation: string): { signer: TerminalSigner; certificate: TerminalCertificate } {
    if (!this.terminal) throw new TerminalRequiredError(operation);
    return this.terminal;
  }

  private send(
    command: InsName,
    p1: number,
    p2: number,
    data?: Uint8Array,
    le?: number,
  ): Promise<ResponseApdu> {
    return transceive(this.transport, {
      cla: CLA_OF_INS[command],
      ins: INS[command],
      p1,
      p2,
      ...(data === undefined ? {} : { data }),
      ...(le === undefined ? {} : { le }),
    });
  }

  private expectOk(r: ResponseApdu, command: InsName): void {
    if (r.sw !== SW.OK) throw errorForStatusWord(r.sw, command);
  }

  private decode<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw new CardResponseMalformedError(`the card's ${what} does not decode: ${message(e)}`, SW.OK, e);
    }
  }

  private decodeProof(bytes: Uint8Array): TransactionProof {
    try {
      return decodeTransactionProof(bytes);
    } catch (e) {
      throw new ProofInvalidError(`the card's proof does not decode: ${message(e)}`, bytes);
    }
  }

  private pinOutcome(r: ResponseApdu, command: InsName): void {
    if (r.sw === SW.OK) {
      this.currentPurse = { ...this.currentPurse, pinTriesLeft: Limits.PIN_TRIES };
      return;
    }
    const error = errorForStatusWord(r.sw, command);
    if (error instanceof WrongPinError)
      this.currentPurse = { ...this.currentPurse, pinTriesLeft: error.triesLeft };
    throw error;
  }

  /** The current challenge, or a new one from GET CHALLENGE when the last was consumed. */
  private async freshChallenge(): Promise<Uint8Array> {
    if (this.challenge) return this.challenge;
    const r = await this.send('GET_CHALLENGE', 0, 0, undefined, Size.CHALLENGE);
    this.expectOk(r, 'GET_CHALLENGE');
    if (r.data.length !== Size.CHALLENGE)
      throw new CardResponseMalformedError(`GET CHALLENGE returned ${r.data.length} bytes, not 16`, r.sw);
    this.challenge = r.data.slice();
    return this.challenge;
  }

  /** Builds the data of a terminal-authenticated command; the card consumes the challenge whatever happens. */
  private async authenticate(ins: number, body: Uint8Array): Promise<Uint8Array> {
    const terminal = this.requireTerminal('this command');
    const challenge = await this.freshChallenge();
    const messageBytes = terminalAuthMessage(ins, 0, 0, challenge, this.cardNumber, body);
    const signature = await this.recorder.cryptoAsync(() => terminal.signer.sign(messageBytes));
    if (signature.length !== Size.SIGNATURE)
      throw new TypeError(
        `the terminal signer returned ${signature.length} bytes, not a 64-byte r||s signature`,
      );
    this.challenge = undefined;
    return concatBytes(terminal.signer.certificate, body, signature);
  }

  private async loadCertificate(): Promise<VerifiedCardCertificate> {
    if (this.verifiedCertificate) return this.verifiedCertificate;
    return this.time('certificate', async () => {
      const cache = this.options.certificateCache;
      const cached = await cache?.get(this.cardNumber);
      if (cached && cached.certificate.cardNumber === this.cardNumber) {
        this.checkExpiry(cached);
        this.verifiedCertificate = cached;
        return cached;
      }
      const r = await this.send('GET_DATA', 0x7f, 0x21, undefined, RESPONSE_LE);
      this.expectOk(r, 'GET_DATA');
      const verified = this.recorder.crypto(() => this.verifyCardCertificate(r.data));
      this.checkExpiry(verified);
      await cache?.set(this.cardNumber, verified);
      this.verifiedCertificate = verified;
      return verified;
    });
  }

  private verifyCardCertificate(bytes: Uint8Array): VerifiedCardCertificate {
    let decoded: ReturnType<typeof decodeCertificate>;
    try {
      decoded = decodeCertificate(bytes);
    } catch (e) {
      throw new CardCertificateInvalidError(
        'malformed',
        `the card certificate does not decode: ${message(e)}`,
      );
    }
    if (decoded.type !== 'card')
      throw new CardCertificateInvalidError(
        'not-a-card-certificate',
        'the card presented a terminal certificate',
      );
    const issuer = this.options.trust.issuerCaPublicKeys.find((k) =>
      bytesEqual(keyIdOf(k), decoded.issuerKeyId),
    );
    if (!issuer)
      throw new CardCertificateInvalidError(
        'unknown-issuer',
        `the card certificate is issued by key ${toHex(decoded.issuerKeyId)}, not a trusted issuer CA`,
      );
    const certificate = verifyCertificateBytes(bytes, issuer, this.verify);
    if (certificate?.type !== 'card')
      throw new CardCertificateInvalidError(
        'signature-invalid',
        'the card certificate signature does not verify',
      );
    if (certificate.cardNumber !== this.cardNumber)
      throw new CardCertificateInvalidError(
        'card-number-mismatch',
        `the card certificate is for card ${certificate.cardNumber}, the card says ${this.cardNumber}`,
      );
    return { bytes: bytes.slice(), certificate };
  }

  private get verify(): SignatureVerify {
    return this.options.verifySignature ?? verifyMessage;
  }

  private checkExpiry(cert: VerifiedCardCertificate): void {
    const now = this.now();
    if (cert.certificate.notAfter < now)
      throw new CardCertificateInvalidError(
        'expired',
        `the card certificate expired at ${cert.certificate.notAfter} (now ${now})`,
      );
  }

  /**
   * Checks a proof against the card key and the request. A proof with counter = before + 1 is
   * fresh and must match everything including nonce, time and balances; a proof with an older
   * counter is the card's stored answer to an earlier identical request (idempotent retry) and
   * must match what identifies the request (type, terminal, seq, amount, bill, service).
   */
  private checkProof(
    bytes: Uint8Array,
    card: VerifiedCardCertificate,
    before: Purse,
    expected: {
      type: TxTypeCode;
      amount: number;
      terminalId: string;
      terminalSeq: number;
      terminalNonce: Uint8Array;
      time: number;
      billRef?: string;
      serviceCode?: number;
      refCounter: number;
      balanceAfter: number;
      offlineSpendAfter: number;
      replayable: boolean;
    },
  ): VerifiedProof {
    if (bytes.length !== Size.TRANSACTION_PROOF)
      throw new ProofInvalidError(
        `the card's proof is ${bytes.length} bytes, not ${Size.TRANSACTION_PROOF}`,
        bytes,
      );
    const proof = this.decodeProof(bytes);
    if (
      !this.recorder.crypto(() =>
        verifyTransactionProof(this.cardNumber, proof, card.certificate.publicKey, this.verify),
      )
    )
      throw new ProofInvalidError('the card signature over the proof does not verify', bytes);
    const rec = proof.record;
    const mismatch = (field: string, got: unknown, want: unknown): never => {
      throw new ProofInvalidError(
        `the card signed ${field} = ${String(got)}, the request had ${String(want)}`,
        bytes,
      );
    };
    if (rec.type !== expected.type) mismatch('type', rec.type, expected.type);
    if (rec.amount !== expected.amount) mismatch('amount', rec.amount, expected.amount);
    if (rec.terminalId !== expected.terminalId) mismatch('terminalId', rec.terminalId, expected.terminalId);
    if (rec.terminalSeq !== expected.terminalSeq)
      mismatch('terminalSeq', rec.terminalSeq, expected.terminalSeq);
    if (expected.billRef !== undefined && rec.billRef !== expected.billRef)
      mismatch('billRef', rec.billRef, expected.billRef);
    if (expected.serviceCode !== undefined && rec.serviceCode !== expected.serviceCode)
      mismatch('serviceCode', rec.serviceCode, expected.serviceCode);
    if (rec.refCounter !== expected.refCounter) mismatch('refCounter', rec.refCounter, expected.refCounter);
    const fresh = rec.counter === before.counter + 1;
    if (!fresh) {
      if (!expected.replayable || rec.counter > before.counter || rec.counter === 0)
        mismatch('counter', rec.counter, before.counter + 1);
      return { ...proof, cardNumber: this.cardNumber, replayed: true };
    }
    if (!bytesEqual(rec.terminalNonce, expected.terminalNonce))
      mismatch('terminalNonce', toHex(rec.terminalNonce), toHex(expected.terminalNonce));
    if (rec.time !== expected.time) mismatch('time', rec.time, expected.time);
    if (rec.balanceAfter !== expected.balanceAfter)
      mismatch('balanceAfter', rec.balanceAfter, expected.balanceAfter);
    if (rec.offlineSpendAfter !== expected.offlineSpendAfter)
      mismatch('offlineSpendAfter', rec.offlineSpendAfter, expected.offlineSpendAfter);
    this.currentPurse = {
      ...this.currentPurse,
      counter: rec.counter,
      balance: rec.balanceAfter,
      offlineSpend: rec.offlineSpendAfter,
    };
    return { ...proof, cardNumber: this.cardNumber, replayed: false };
  }
}

function checkAmount(amount: number, what: string, allowZero: boolean): void {
  if (!Number.isInteger(amount) || amount < (allowZero ? 0 : 1) || amount > Limits.MAX_COUNTER)
    throw new RangeError(
      `${what} must be an integer number of cents ${allowZero ? '>= 0' : '> 0'}, got ${amount}`,
    );
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new RangeError(`${what} must be an integer 0..4294967295, got ${value}`);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
