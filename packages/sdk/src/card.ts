import type { Transport } from '@huduma/apdu';
import {
  bytesEqual,
  type CardNumber,
  decodeGetTransactionResponse,
  decodeLoadAuthorization,
  decodeTransactionProof,
  decodeValueResponse,
  encodeDebitRequest,
  encodeGetTransactionRequest,
  encodeUndebitRequest,
  type GetTransactionResponse,
  LifeCycle,
  Outcome,
  SW,
  type TransactionRecord,
  TransactionStatus,
  TxType,
  verifyRecoveryAttestation,
} from '@huduma/card-applet-spec';
import { randomBytes } from '@noble/hashes/utils';
import type { HudumaCardOptions, VerifiedProof } from './card-core';
import { HudumaCardHolderOps } from './card-holder';
import {
  CardBlockedError,
  CardResponseMalformedError,
  DebitOutcomeUnknownError,
  errorForStatusWord,
  LoadAuthorizationInvalidError,
  NoCvmLimitReachedError,
  ProofInvalidError,
  type SentDebitRequest,
  TransactionOutcomeUnknownError,
} from './errors';

/** A debit to perform. Amounts are integer cents. */
export interface DebitParams {
  /** Amount in cents, > 0. */
  amount: number;
  /** The terminal's sequence number for this request: unique per terminal, never reused. */
  terminalSeq: number;
  /**
   * The card counter the terminal journaled with the intent (SPEC-v2 §10.4): the debit executes
   * only while the card's counter still equals it (compare-and-swap, §6.8). Default: the counter
   * of this tap's FCI. Pass the journaled value when retrying an earlier request.
   */
  expectedCounter?: number;
  /** Bill reference, up to 16 printable ASCII characters. */
  billRef: string;
  /** Service code, 0..65535. */
  serviceCode: number;
  /** BCD ISO 4217 currency (default: the purse's, KES `0x0404`). */
  currency?: number;
  /** Unix seconds (default: now). */
  time?: number;
  /** 8 bytes (default: random). */
  terminalNonce?: Uint8Array;
}

/** An undebit (cancellation of this terminal's last debit on the card, within 15 minutes). */
export interface UndebitParams {
  /** Counter of the debit to cancel (its proof's `record.counter`): it must still be the card's counter. */
  refCounter: number;
  /** Amount of that debit, cents. */
  amount: number;
  /** A new terminal sequence number for the undebit. */
  terminalSeq: number;
  /** BCD ISO 4217 (default: the purse's). */
  currency?: number;
  /** Unix seconds (default: now). */
  time?: number;
  /** 8 bytes (default: random). */
  terminalNonce?: Uint8Array;
}

/** The proof of a debit: the record the card signed and its signature, verified. */
export type DebitProof = VerifiedProof;

/**
 * The authenticated outcome of a DEBIT or UNDEBIT (SPEC-v2 §6.8). REFUSED outcomes are thrown
 * as typed errors (nothing changed on the card); a lost or unauthenticated answer is thrown as
 * {@link DebitOutcomeUnknownError} / {@link TransactionOutcomeUnknownError}.
 */
export type ValueResult =
  | {
      /** `executed`: done now. `already-applied`: done by an earlier attempt whose answer was lost. */
      outcome: 'executed' | 'already-applied';
      proof: VerifiedProof;
      /** The card's counter after the command. */
      counter: number;
      syncedThrough: number;
    }
  | {
      /**
       * The card's counter is not the request's expectedCounter: not executed by this command and
       * never will be with this counter. Whether an earlier attempt executed:
       * `recoverTransaction` (GET TRANSACTION for expectedCounter + 1).
       */
      outcome: 'stale';
      counter: number;
      syncedThrough: number;
      expectedCounter: number;
    };

/** A debit's result. */
export type DebitResult = ValueResult;

/** What the clearing service needs to sign a load authorization for this card right now. */
export interface ReloadContext {
  cardNumber: CardNumber;
  /** The card's transaction counter (the authorization's `cardCounter`). */
  counter: number;
  /** A fresh card challenge (16 bytes) the authorization must carry. */
  challenge: Uint8Array;
}

/** A GET TRANSACTION answer whose attestation (and record signature, when FOUND) the SDK verified. */
export interface TransactionLookup {
  status: 'found' | 'not-executed' | 'synced';
  counter: number;
  syncedThrough: number;
  balance: number;
  /** FOUND only: the record and its original signature, verified. */
  proof?: VerifiedProof;
  /** The exact request (12) and response (207) bytes: the card-signed evidence. */
  evidence: { requestBytes: Uint8Array; responseBytes: Uint8Array };
}

/** The journaled intent a terminal resolves after an unknown outcome (§10.4). */
export interface JournaledIntent {
  expectedCounter: number;
  terminalSeq: number;
  amount: number;
  /** Default: the purse's currency. */
  currency?: number;
  /** The command that was in flight (default debit). */
  type?: 'debit' | 'undebit' | 'reload';
  /**
   * The terminal id the record must name (default: this terminal's certificate). For a reload,
   * the load authorization's terminalId.
   */
  terminalId?: string;
}

/**
 * The resolution of a journaled intent (§10.4), final in every case:
 * - `executed`: it happened; here is the card's original proof.
 * - `not-executed`: it did not. `resendable` is true when the card's counter is still the
 *   intent's expectedCounter (the identical request may be sent again), false when another
 *   transaction took that counter (the request can never execute).
 * - `synced`: the record left the card for the clearing service: ask it for (card number,
 *   expectedCounter + 1).
 */
export type RecoveryResult =
  | { status: 'executed'; proof: VerifiedProof; counter: number; evidence?: TransactionLookup['evidence'] }
  | { status: 'not-executed'; resendable: boolean; counter: number; evidence?: TransactionLookup['evidence'] }
  | { status: 'synced'; counter: number; syncedThrough: number; evidence: TransactionLookup['evidence'] };

/**
 * A selected Huduma card (applet v2). Create one per tap with {@link HudumaCard.select}. Value,
 * PIN and identity commands run inside a secure-messaging session the SDK opens as needed (TAP
 * for debits, SECURE for PIN and identity); every answer is MAC-verified, every proof and
 * attestation signature-checked, and every status word maps to a typed error.
 */
export class HudumaCard extends HudumaCardHolderOps {
  /**
   * Selects the Huduma v2 applet on the card behind `transport` and reads its FCI (card number,
   * life-cycle state, purse with the counter, challenge, crypto profile). A blocked card is
   * selected too (check `lifeCycle`); its value commands then fail with CardBlockedError.
   */
  static async select(transport: Transport, options: HudumaCardOptions): Promise<HudumaCard> {
    const { recorder, wrapped, fci } = await HudumaCardHolderOps.selectApplet(transport, options);
    const card = new HudumaCard(
      wrapped,
      options,
      recorder,
      fci.cardNumber,
      fci.lifeCycle,
      fci.purse,
      fci.cryptoProfile,
      fci.challenge,
    );
    options.telemetry?.onTelemetry?.(recorder.snapshot());
    return card;
  }

  /**
   * Whether a debit of `amount` needs the holder's PIN on this card (from the purse as last seen):
   * `'amount'` above the single-amount CVM limit, `'cumulative'` when the spend without PIN would
   * pass the cumulative limit, else false. The card decides; this saves a refused round trip.
   */
  pinRequiredFor(amount: number): false | 'amount' | 'cumulative' {
    const p = this.currentPurse;
    if (amount > p.cvmLimit) return 'amount';
    if (p.noCvmSpend + amount > p.noCvmLimit) return 'cumulative';
    return false;
  }

  /**
   * DEBIT (§6.8): a compare-and-swap on the card counter. Journal the intent (with
   * `expectedCounter`, default this tap's FCI counter) **before** calling. Resolves with the
   * authenticated outcome; throws the refusal as a typed error (PinRequiredError /
   * NoCvmLimitReachedError: verify the PIN and send the same request again), and
   * DebitOutcomeUnknownError when the answer was lost.
   */
  debit(params: DebitParams): Promise<DebitResult> {
    return this.run(async () => {
      const request: SentDebitRequest = {
        expectedCounter: params.expectedCounter ?? this.currentPurse.counter,
        amount: params.amount,
        currency: params.currency ?? this.currentPurse.currency,
        terminalSeq: params.terminalSeq,
        terminalNonce: params.terminalNonce ?? randomBytes(8),
        time: params.time ?? this.now(),
        billRef: params.billRef,
        serviceCode: params.serviceCode,
      };
      const body = this.decode('debit request', () => encodeDebitRequest(request));
      this.refuseIfBlocked();
      await this.ensureSession('tap');
      let answer: { sw: number; payload: Uint8Array };
      try {
        answer = await this.time('debit', () => this.sm('tap', { name: 'DEBIT', payload: body }));
      } catch (cause) {
        throw new DebitOutcomeUnknownError({
          cardNumber: this.cardNumber,
          counterBefore: request.expectedCounter,
          request,
          cause,
        });
      }
      return this.valueOutcome('debit', answer, request, (rec) => {
        const same =
          rec.type === TxType.DEBIT &&
          rec.amount === request.amount &&
          rec.currency === request.currency &&
          rec.terminalSeq === request.terminalSeq &&
          rec.billRef === request.billRef &&
          rec.serviceCode === request.serviceCode;
        return same ? undefined : 'the debit record does not match the request';
      });
    });
  }

  /** UNDEBIT (§6.9): cancels this terminal's last debit on the card; outcomes as {@link debit}. */
  undebit(params: UndebitParams): Promise<ValueResult> {
    return this.run(async () => {
      const request = {
        refCounter: params.refCounter,
        amount: params.amount,
        currency: params.currency ?? this.currentPurse.currency,
        terminalSeq: params.terminalSeq,
        terminalNonce: params.terminalNonce ?? randomBytes(8),
        time: params.time ?? this.now(),
      };
      const body = this.decode('undebit request', () => encodeUndebitRequest(request));
      this.refuseIfBlocked();
      await this.ensureSession('tap');
      let answer: { sw: number; payload: Uint8Array };
      try {
        answer = await this.time('undebit', () => this.sm('tap', { name: 'UNDEBIT', payload: body }));
      } catch (cause) {
        throw new TransactionOutcomeUnknownError('ERR_UNDEBIT_OUTCOME_UNKNOWN', {
          operation: 'undebit',
          cardNumber: this.cardNumber,
          terminalSeq: request.terminalSeq,
          counterBefore: request.refCounter,
          cause,
        });
      }
      const sent = { ...request, expectedCounter: request.refCounter };
      return this.valueOutcome('undebit', answer, sent, (rec) =>
        rec.type === TxType.UNDEBIT &&
        rec.refCounter === request.refCounter &&
        rec.amount === request.amount &&
        rec.currency === request.currency &&
        rec.terminalSeq === request.terminalSeq
          ? undefined
          : 'the undebit record does not match the request',
      );
    });
  }

  /**
   * A BLOCKED card answers value commands with a plain 9F0B, which (unauthenticated) would make
   * the outcome unknown; the FCI already said BLOCKED, so the command is not sent at all.
   */
  private refuseIfBlocked(): void {
    if (this.currentLifeCycle === LifeCycle.BLOCKED) throw new CardBlockedError();
  }

  /** Turns an authenticated DEBIT/UNDEBIT answer into a {@link ValueResult} or a typed refusal. */
  private async valueOutcome(
    op: 'debit' | 'undebit',
    answer: { sw: number; payload: Uint8Array },
    request: { expectedCounter: number; amount: number; terminalSeq: number; terminalNonce: Uint8Array },
    matches: (rec: TransactionRecord) => string | undefined,
  ): Promise<ValueResult> {
    const command = op === 'debit' ? 'DEBIT' : 'UNDEBIT';
    const before = this.currentPurse;
    const terminalId = this.requireTerminal(command).certificate.terminalId;
    // A non-9000 inner SW is authenticated: the card refused before executing (e.g. bad padding).
    if (answer.sw !== SW.OK) throw errorForStatusWord(answer.sw, command);
    const res = this.decode(`${command} response`, () => decodeValueResponse(answer.payload));
    if (res.outcome === Outcome.REFUSED) {
      if (res.reason === SW.CVM_REQUIRED && op === 'debit' && request.amount <= this.currentPurse.cvmLimit) {
        throw new NoCvmLimitReachedError(
          this.currentPurse.noCvmSpend,
          this.currentPurse.noCvmLimit,
          res.reason,
        );
      }
      throw errorForStatusWord(res.reason, command);
    }
    if (res.outcome === Outcome.STALE) {
      this.currentPurse = { ...this.currentPurse, counter: res.counter, syncedThrough: res.syncedThrough };
      return {
        outcome: 'stale',
        counter: res.counter,
        syncedThrough: res.syncedThrough,
        expectedCounter: request.expectedCounter,
      };
    }
    if (!('proof' in res)) throw new CardResponseMalformedError(`${command}: unknown outcome`);
    const replayed = res.outcome === Outcome.ALREADY_APPLIED;
    const proof = await this.checkProof(res.proof, op === 'debit' ? TxType.DEBIT : TxType.UNDEBIT, replayed);
    const rec = proof.record;
    // When the purse we hold is the one the request was bound to, the new balances follow from it.
    const fresh = !replayed && before.counter === request.expectedCounter;
    const sign = op === 'debit' ? -1 : 1;
    const mismatch =
      matches(rec) ??
      (rec.terminalId !== terminalId ? `the record names terminal ${rec.terminalId}` : undefined) ??
      (fresh && rec.balanceAfter !== before.balance + sign * rec.amount
        ? `balanceAfter ${rec.balanceAfter} does not follow from balance ${before.balance}`
        : undefined) ??
      (fresh && rec.offlineSpendAfter !== Math.max(0, before.offlineSpend - sign * rec.amount)
        ? `offlineSpendAfter ${rec.offlineSpendAfter} does not follow from offlineSpend ${before.offlineSpend}`
        : undefined) ??
      (rec.counter !== request.expectedCounter + 1
        ? `record counter ${rec.counter} is not expectedCounter + 1`
        : undefined) ??
      (!replayed && !bytesEqual(rec.terminalNonce, request.terminalNonce)
        ? 'the record does not carry this command’s terminal nonce'
        : undefined);
    if (mismatch) throw new ProofInvalidError(`${command}: ${mismatch}`, res.proof.recordBytes);
    if (!replayed) {
      const cvmUsed = rec.cvm !== 0;
      this.currentPurse = {
        ...this.currentPurse,
        balance: rec.balanceAfter,
        counter: rec.counter,
        syncedThrough: res.syncedThrough,
        offlineSpend: rec.offlineSpendAfter,
        noCvmSpend:
          op === 'debit' && !cvmUsed
            ? this.currentPurse.noCvmSpend + rec.amount
            : op === 'undebit'
              ? Math.max(0, this.currentPurse.noCvmSpend - rec.amount)
              : this.currentPurse.noCvmSpend,
      };
    }
    return {
      outcome: replayed ? 'already-applied' : 'executed',
      proof,
      counter: res.counter,
      syncedThrough: res.syncedThrough,
    };
  }

  /**
   * GET TRANSACTION (§6.12) for counter k: whether the card executed a transaction with that
   * counter, attested by the card for this request's fresh nonce. No session needed.
   */
  getTransaction(counter: number): Promise<TransactionLookup> {
    return this.run(() => this.lookup(counter));
  }

  private async lookup(counter: number): Promise<TransactionLookup> {
    return this.time('recovery', async () => {
      const requestBytes = this.decode('GET TRANSACTION request', () =>
        encodeGetTransactionRequest({ counter, terminalNonce: randomBytes(8) }),
      );
      const r = await this.plain({ name: 'GET_TRANSACTION', data: requestBytes, le: 256 });
      this.expectOk(r, 'GET_TRANSACTION');
      const res: GetTransactionResponse = this.decode('GET TRANSACTION response', () =>
        decodeGetTransactionResponse(r.data),
      );
      const cert = await this.certificate();
      const attested = this.recorder.crypto(() =>
        verifyRecoveryAttestation(
          this.cardNumber,
          requestBytes,
          res,
          cert.certificate.signingKey,
          this.verify,
        ),
      );
      if (!attested)
        throw new ProofInvalidError('the card attestation over GET TRANSACTION does not verify', r.data);
      const evidence = { requestBytes, responseBytes: r.data.slice() };
      const base = { counter: res.counter, syncedThrough: res.syncedThrough, balance: res.balance, evidence };
      this.currentPurse = {
        ...this.currentPurse,
        counter: res.counter,
        syncedThrough: res.syncedThrough,
        balance: res.balance,
      };
      if (res.status === TransactionStatus.FOUND) {
        if (!res.record || !res.recordBytes || !res.recordSignature || res.record.counter !== counter) {
          throw new ProofInvalidError(
            `GET TRANSACTION FOUND answered another counter than ${counter}`,
            r.data,
          );
        }
        const proof = await this.checkProof(
          { record: res.record, recordBytes: res.recordBytes, signature: res.recordSignature },
          res.record.type,
          true,
        );
        return { status: 'found', ...base, proof };
      }
      return { status: res.status === TransactionStatus.SYNCED ? 'synced' : 'not-executed', ...base };
    });
  }

  /**
   * Resolves a journaled intent whose outcome is unknown (§10.4), on a later contact with the
   * card: the FCI counter still equal to expectedCounter means it did not execute (and may be
   * resent); otherwise GET TRANSACTION (expectedCounter + 1) says whether the record with that
   * counter is this terminal's request, or that it was synced to the clearing service.
   */
  recoverTransaction(intent: JournaledIntent): Promise<RecoveryResult> {
    return this.run(async () => {
      const terminalId =
        intent.terminalId ?? this.requireTerminal('recoverTransaction').certificate.terminalId;
      const counter = this.currentPurse.counter;
      if (counter === intent.expectedCounter) return { status: 'not-executed', resendable: true, counter };
      if (counter < intent.expectedCounter) {
        throw new ProofInvalidError(
          `the card counter ${counter} is below the journaled expectedCounter ${intent.expectedCounter}: another card?`,
        );
      }
      const found = await this.lookup(intent.expectedCounter + 1);
      if (found.status === 'synced') {
        return {
          status: 'synced',
          counter: found.counter,
          syncedThrough: found.syncedThrough,
          evidence: found.evidence,
        };
      }
      const rec = found.proof?.record;
      const type =
        intent.type === 'undebit' ? TxType.UNDEBIT : intent.type === 'reload' ? TxType.RELOAD : TxType.DEBIT;
      const mine =
        rec !== undefined &&
        rec.type === type &&
        rec.terminalId === terminalId &&
        rec.terminalSeq === intent.terminalSeq &&
        rec.amount === intent.amount &&
        rec.currency === (intent.currency ?? this.currentPurse.currency);
      if (mine && found.proof) {
        return { status: 'executed', proof: found.proof, counter: found.counter, evidence: found.evidence };
      }
      return { status: 'not-executed', resendable: false, counter: found.counter, evidence: found.evidence };
    });
  }

  /**
   * What the clearing service needs to authorize a reload now: the card's counter and a fresh
   * challenge (GET CHALLENGE, which also ends any open session). Upload the unsynced records
   * first (`unsyncedRecords()`): the load authority signs only after sync.
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

  /** RELOAD (§6.10) with a 146-byte load authorization; resolves with the verified reload proof. */
  reload(authorization: Uint8Array): Promise<VerifiedProof> {
    return this.run(async () => {
      const auth = this.decode('load authorization', () => decodeLoadAuthorization(authorization));
      if (auth.cardNumber !== this.cardNumber) {
        throw new LoadAuthorizationInvalidError(`the authorization is for card ${auth.cardNumber}`);
      }
      let r: { sw: number; data: Uint8Array };
      try {
        r = await this.time('reload', () => this.plain({ name: 'RELOAD', data: authorization, le: 256 }));
      } catch (cause) {
        throw new TransactionOutcomeUnknownError('ERR_RELOAD_OUTCOME_UNKNOWN', {
          operation: 'reload',
          cardNumber: this.cardNumber,
          terminalSeq: auth.terminalSeq,
          counterBefore: auth.cardCounter,
          cause,
        });
      } finally {
        this.challenge = undefined; // RELOAD consumes the challenge whatever the outcome (§6.10 step 1)
      }
      this.expectOk(r, 'RELOAD');
      const proof = await this.checkProof(
        this.decode('RELOAD proof', () => decodeTransactionProof(r.data)),
        TxType.RELOAD,
        false,
      );
      const rec = proof.record;
      if (
        rec.counter !== auth.cardCounter + 1 ||
        rec.amount !== auth.amount ||
        rec.terminalSeq !== auth.terminalSeq
      ) {
        throw new ProofInvalidError('RELOAD: the record does not match the authorization', r.data);
      }
      this.currentPurse = {
        ...this.currentPurse,
        balance: rec.balanceAfter,
        counter: rec.counter,
        syncedThrough: rec.counter,
        offlineSpend: 0,
      };
      return proof;
    });
  }
}
