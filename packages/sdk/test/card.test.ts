import {
  CardRemovedError,
  decodeCommand,
  decodeResponse,
  encodeResponse,
  type Transport,
  TransportTimeoutError,
} from '@huduma/apdu';
import {
  concatBytes,
  decodeTransactionRecord,
  encodeLoadAuthorization,
  encodeTransactionRecord,
  INS,
  keyIdOf,
  LifeCycle,
  SW,
  signLoadAuthorization,
  signMessage,
  TxType,
  transactionSigningMessage,
} from '@huduma/card-applet-spec';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CardCertificateInvalidError,
  DebitOutcomeUnknownError,
  HudumaCard,
  type HudumaCardOptions,
  InMemoryCardCertificateCache,
  InsufficientFundsError,
  LoadAuthorizationInvalidError,
  PinBlockedError,
  PinRequiredError,
  ProofInvalidError,
  SequenceReusedError,
  type TapTelemetry,
  TerminalRequiredError,
  UndebitRefusedError,
  WrongPinError,
  WrongPukError,
} from '../src/index';
import { CARD_NUMBER, caKey, FakeCard, makeTerminal, NOW } from './fake-card';

const issuer = caKey();
const acquirer = caKey();
const loadAuthority = caKey();
const terminal = makeTerminal(acquirer);

let card: FakeCard;
beforeEach(() => {
  card = new FakeCard(issuer, loadAuthority.publicKey);
});

function options(extra: Partial<HudumaCardOptions> = {}): HudumaCardOptions {
  return { trust: { issuerCaPublicKeys: [issuer.publicKey] }, terminal, clock: () => NOW, ...extra };
}

const debitParams = { amount: 2_500, terminalSeq: 7, billRef: 'BILL-42', serviceCode: 3 };

/** A transport that lets a test rewrite or break single exchanges. */
function wrap(
  inner: Transport,
  hook: (cmd: Uint8Array, send: () => Promise<Uint8Array>) => Promise<Uint8Array>,
): Transport {
  return { transmit: (cmd) => hook(cmd, () => inner.transmit(cmd)) };
}

describe('select', () => {
  it('reads card number, state, purse and challenge from the FCI in one APDU', async () => {
    let seen: TapTelemetry | undefined;
    const c = await HudumaCard.select(card, options({ telemetry: { onTelemetry: (t) => (seen = t) } }));
    expect(c.cardNumber).toBe(CARD_NUMBER);
    expect(c.lifeCycle).toBe(LifeCycle.ACTIVE);
    expect(c.purse.balance).toBe(100_000);
    expect(c.purse.counter).toBe(5);
    expect(card.log).toHaveLength(1);
    expect(seen?.apdus).toBe(1);
    expect(seen?.steps.select).toBeGreaterThanOrEqual(0);
  });

  it('maps a missing applet to a CardError with the SW', async () => {
    const t: Transport = { transmit: async () => encodeResponse(new Uint8Array(0), SW.APPLET_NOT_FOUND) };
    await expect(HudumaCard.select(t, options())).rejects.toMatchObject({
      code: 'ERR_CARD_APPLET_NOT_FOUND',
      sw: 0x6a82,
    });
  });
});

describe('debit', () => {
  it('returns the verified proof with the request fields and updates the purse', async () => {
    const c = await HudumaCard.select(card, options());
    const proof = await c.debit(debitParams);
    expect(proof.record).toMatchObject({
      type: TxType.DEBIT,
      amount: 2_500,
      balanceAfter: 97_500,
      counter: 6,
      terminalId: 'T-0001',
      terminalSeq: 7,
      billRef: 'BILL-42',
      serviceCode: 3,
      time: NOW,
    });
    expect(proof.replayed).toBe(false);
    expect(proof.cardNumber).toBe(CARD_NUMBER);
    expect(c.purse).toMatchObject({ balance: 97_500, counter: 6, offlineSpend: 2_500 });
    expect(card.purse.balance).toBe(97_500);
  });

  it('costs SELECT + GET DATA + chained DEBIT on a first tap and skips GET DATA on a repeat tap', async () => {
    const cache = new InMemoryCardCertificateCache();
    const first = await HudumaCard.select(card, options({ certificateCache: cache }));
    await first.debit(debitParams);
    expect(card.log.map((c) => c.ins)).toEqual([INS.SELECT, INS.GET_DATA, INS.DEBIT, INS.DEBIT]);
    expect(first.telemetry.apdus).toBe(4);
    card.log.length = 0;
    const second = await HudumaCard.select(card, options({ certificateCache: cache }));
    await second.debit({ ...debitParams, terminalSeq: 8 });
    expect(card.log.map((c) => c.ins)).toEqual([INS.SELECT, INS.DEBIT, INS.DEBIT]);
    const t = second.telemetry;
    expect(t.apdus).toBe(3);
    expect(t.bytesSent).toBeGreaterThan(267);
    expect(t.bytesReceived).toBeGreaterThan(127);
    expect(t.steps).toHaveProperty('debit');
    expect(t.steps).toHaveProperty('verify');
    expect(t.hostCryptoMs).toBeGreaterThan(0);
    expect(t.withinBudget).toBe(t.totalMs <= 300);
  });

  it('is idempotent: the same request twice gives the same proof and one charge', async () => {
    const c = await HudumaCard.select(card, options());
    const nonce = new Uint8Array(8).fill(9);
    const first = await c.debit({ ...debitParams, terminalNonce: nonce });
    const again = await HudumaCard.select(card, options());
    const second = await again.debit({ ...debitParams, terminalNonce: nonce });
    expect(second.recordBytes).toEqual(first.recordBytes);
    expect(second.signature).toEqual(first.signature);
    expect(second.replayed).toBe(true);
    expect(card.purse.balance).toBe(97_500);
    expect(card.ring).toHaveLength(1);
  });

  it('maps the card refusing the amount to InsufficientFundsError and a reused seq to SequenceReusedError', async () => {
    card.purse.balance = 100;
    const c = await HudumaCard.select(card, options());
    const err = await c.debit(debitParams).catch((e) => e);
    expect(err).toBeInstanceOf(InsufficientFundsError);
    expect(err).toMatchObject({ code: 'ERR_INSUFFICIENT_FUNDS', sw: 0x9f01 });
    card.purse.balance = 100_000;
    await c.readPurse();
    await c.debit(debitParams); // new challenge via GET CHALLENGE, the previous one was consumed
    await expect(c.debit({ ...debitParams, amount: 1 })).rejects.toBeInstanceOf(SequenceReusedError);
  });

  it('needs a terminal', async () => {
    const c = await HudumaCard.select(card, { trust: { issuerCaPublicKeys: [issuer.publicKey] } });
    await expect(c.debit(debitParams)).rejects.toBeInstanceOf(TerminalRequiredError);
    expect(card.log).toHaveLength(1);
  });

  it('rejects a proof with one byte flipped (ProofInvalidError, never success)', async () => {
    for (const offset of [0, 6, 20, 40, 100]) {
      const fresh = new FakeCard(issuer);
      const t = wrap(fresh, async (cmd, send) => {
        const response = await send();
        if (cmd[1] === INS.DEBIT && response.length > 2) response[offset]! ^= 0x01;
        return response;
      });
      const c = await HudumaCard.select(t, options());
      const err = await c.debit(debitParams).catch((e) => e);
      expect(err, `flip at ${offset}`).toBeInstanceOf(ProofInvalidError);
      expect(err.code).toBe('ERR_PROOF_INVALID');
    }
  });

  it('rejects a validly signed proof whose fields differ from the request', async () => {
    const cases: Array<[string, (r: ReturnType<typeof decodeTransactionRecord>) => void]> = [
      ['amount', (r) => (r.amount += 1)],
      ['balanceAfter', (r) => (r.balanceAfter += 100)],
      ['terminalSeq', (r) => (r.terminalSeq += 1)],
      ['billRef', (r) => (r.billRef = 'OTHER')],
      ['serviceCode', (r) => (r.serviceCode = 9)],
      ['terminalNonce', (r) => (r.terminalNonce = new Uint8Array(8))],
      ['type', (r) => (r.type = TxType.RELOAD)],
      ['counter', (r) => (r.counter += 3)],
    ];
    for (const [field, tamper] of cases) {
      const fresh = new FakeCard(issuer);
      const t = wrap(fresh, async (cmd, send) => {
        const response = decodeResponse(await send());
        if (cmd[1] !== INS.DEBIT || response.data.length !== 127)
          return encodeResponse(response.data, response.sw);
        const record = decodeTransactionRecord(response.data.subarray(0, 63));
        tamper(record);
        const bytes = encodeTransactionRecord(record);
        const signature = signMessage(fresh.cardKey, transactionSigningMessage(fresh.cardNumber, bytes));
        return encodeResponse(concatBytes(bytes, signature), SW.OK);
      });
      const c = await HudumaCard.select(t, options());
      const err = await c.debit(debitParams).catch((e) => e);
      expect(err, `${field}: ${err?.cause ?? err}`).toBeInstanceOf(ProofInvalidError);
    }
  });

  it('rejects a card whose certificate is issued by another CA, or names another card', async () => {
    const other = new FakeCard(caKey());
    const c = await HudumaCard.select(other, options());
    const err = await c.debit(debitParams).catch((e) => e);
    expect(err).toBeInstanceOf(CardCertificateInvalidError);
    expect(err.reason).toBe('unknown-issuer');
    expect(other.log.map((x) => x.ins)).toEqual([INS.SELECT, INS.GET_DATA]); // nothing charged

    const liar = new FakeCard(issuer, undefined, '8404000000000021');
    liar.certificate = card.certificate;
    const c2 = await HudumaCard.select(liar, options());
    await expect(c2.certificate()).rejects.toMatchObject({ reason: 'card-number-mismatch' });

    const forged = new FakeCard(issuer);
    forged.certificate = forged.certificate.slice();
    forged.certificate[50]! ^= 1;
    const c3 = await HudumaCard.select(forged, options());
    await expect(c3.certificate()).rejects.toMatchObject({ reason: 'signature-invalid' });
  });
});

describe('outcome unknown and recovery', () => {
  async function interrupted(processed: boolean) {
    const t = wrap(card, async (cmd, send) => {
      const c = decodeCommand(cmd);
      if (c.ins === INS.DEBIT && (c.cla & 0x10) === 0) {
        if (processed) await send();
        throw new CardRemovedError();
      }
      return send();
    });
    const c = await HudumaCard.select(t, options());
    const err = await c.debit(debitParams).catch((e) => e);
    expect(err).toBeInstanceOf(DebitOutcomeUnknownError);
    expect(err).toMatchObject({
      code: 'ERR_DEBIT_OUTCOME_UNKNOWN',
      terminalSeq: 7,
      amount: 2_500,
      counterBefore: 5,
      cardNumber: CARD_NUMBER,
    });
    expect(err.cause).toBeInstanceOf(CardRemovedError);
    return err as DebitOutcomeUnknownError;
  }

  it('removal before the card processed the DEBIT: recovery says not charged', async () => {
    const err = await interrupted(false);
    const c = await HudumaCard.select(card, options());
    const result = await c.recoverTransaction({
      terminalSeq: err.terminalSeq,
      counterBefore: err.counterBefore,
    });
    expect(result).toMatchObject({ status: 'not-charged', counter: 5, balance: 100_000 });
  });

  it('removal after the card processed it: recovery returns the proof, a retry does not charge twice', async () => {
    const err = await interrupted(true);
    const c = await HudumaCard.select(card, options());
    const result = await c.recoverTransaction({ terminalSeq: 7, counterBefore: err.counterBefore });
    expect(result.status).toBe('completed');
    if (result.status !== 'completed') return;
    expect(result.proof.record).toMatchObject({ amount: 2_500, terminalSeq: 7, counter: 6 });
    const retry = await c.debit(err.request);
    expect(retry.recordBytes).toEqual(result.proof.recordBytes);
    expect(retry.replayed).toBe(true);
    expect(card.purse.balance).toBe(97_500);
  });

  it('says unknown when 16 or more transactions happened since', async () => {
    card.purse.counter = 40;
    const c = await HudumaCard.select(card, options());
    const result = await c.recoverTransaction({ terminalSeq: 99, counterBefore: 24 });
    expect(result.status).toBe('unknown');
    const r2 = await c.recoverTransaction({ terminalSeq: 99, counterBefore: 25 });
    expect(r2.status).toBe('not-charged');
  });

  it('rejects a recovery answer whose attestation does not verify', async () => {
    const t = wrap(card, async (cmd, send) => {
      const response = await send();
      if (cmd[1] === INS.GET_LAST_TRANSACTION) response[0]! ^= 1; // "not found" becomes "found"
      return response;
    });
    const c = await HudumaCard.select(t, options());
    await expect(c.recoverTransaction({ terminalSeq: 7, counterBefore: 5 })).rejects.toBeInstanceOf(
      ProofInvalidError,
    );
  });
});

describe('terminal signer and telemetry', () => {
  it('signs through an external signer and reports telemetry against the budget', async () => {
    const messages: Uint8Array[] = [];
    const signer = {
      certificate: terminal.certificate,
      sign: async (m: Uint8Array) => {
        messages.push(m);
        return signMessage(terminal.privateKey, m);
      },
    };
    const seen: TapTelemetry[] = [];
    const c = await HudumaCard.select(
      card,
      options({ terminal: signer, telemetry: { budgetMs: 0, onTelemetry: (t) => seen.push(t) } }),
    );
    await c.debit(debitParams);
    expect(messages).toHaveLength(1);
    expect(seen).toHaveLength(2); // after select, after debit
    expect(seen[1]).toMatchObject({ cardNumber: CARD_NUMBER, apdus: 4, budgetMs: 0, withinBudget: false });
    expect(seen[1]!.steps.certificate).toBeGreaterThan(0);
  });

  it('turns a timeout during DEBIT into DebitOutcomeUnknownError, but not one during SELECT', async () => {
    const t = wrap(card, async (cmd, send) => {
      if (cmd[1] === INS.DEBIT) throw new TransportTimeoutError();
      return send();
    });
    const c = await HudumaCard.select(t, options());
    await expect(c.debit(debitParams)).rejects.toMatchObject({ code: 'ERR_DEBIT_OUTCOME_UNKNOWN' });
    const dead: Transport = { transmit: async () => Promise.reject(new TransportTimeoutError()) };
    await expect(HudumaCard.select(dead, options())).rejects.toBeInstanceOf(TransportTimeoutError);
  });
});

describe('PIN', () => {
  it('verifies, reports tries left, blocks, changes and unblocks', async () => {
    const c = await HudumaCard.select(card, options());
    await c.verifyPin('1234');
    const wrong = await c.verifyPin('0000').catch((e) => e);
    expect(wrong).toBeInstanceOf(WrongPinError);
    expect(wrong).toMatchObject({ code: 'ERR_WRONG_PIN', triesLeft: 2, sw: 0x63c2 });
    expect(c.purse.pinTriesLeft).toBe(2);
    await expect(c.verifyPin('0000')).rejects.toMatchObject({ triesLeft: 1 });
    await expect(c.verifyPin('0000')).rejects.toMatchObject({ triesLeft: 0 });
    await expect(c.verifyPin('1234')).rejects.toBeInstanceOf(PinBlockedError);
    await expect(c.unblockPin('00000000', '4321')).rejects.toBeInstanceOf(WrongPukError);
    await c.unblockPin('12345678', '4321');
    await c.changePin('4321', '5555');
    await c.verifyPin('5555');
    expect(c.purse.pinTriesLeft).toBe(3);
  });
});

describe('other commands', () => {
  it('readPurse reads the card purse', async () => {
    const c = await HudumaCard.select(card, options());
    card.purse.balance = 123;
    expect((await c.readPurse()).balance).toBe(123);
    expect(c.purse.balance).toBe(123);
  });

  it('readRecords returns the verified ring, newest first, and rejects a forged record', async () => {
    const c = await HudumaCard.select(card, options());
    await c.debit(debitParams);
    await c.debit({ ...debitParams, terminalSeq: 8, amount: 100 });
    const records = await c.readRecords();
    expect(records.map((r) => r.record.terminalSeq)).toEqual([8, 7]);
    card.ring[1]![10]! ^= 1;
    await expect(c.readRecords()).rejects.toBeInstanceOf(ProofInvalidError);
  });

  it('readIdentity needs the PIN, then returns the holder identity', async () => {
    const c = await HudumaCard.select(card, options());
    await expect(c.readIdentity()).rejects.toBeInstanceOf(PinRequiredError);
    await c.verifyPin('1234');
    expect(await c.readIdentity()).toMatchObject({ name: 'Wanjiku Kamau', hudumaNamba: 'HN-0001' });
  });

  it('block blocks the card', async () => {
    const c = await HudumaCard.select(card, options());
    await c.block('LOST_OR_STOLEN', { terminalSeq: 3 });
    expect(c.lifeCycle).toBe(LifeCycle.BLOCKED);
    expect(card.lifeCycle).toBe(LifeCycle.BLOCKED);
  });

  it('undebit cancels the last debit and verifies the proof', async () => {
    const c = await HudumaCard.select(card, options());
    const debit = await c.debit(debitParams);
    const proof = await c.undebit({ refCounter: debit.record.counter, amount: 2_500, terminalSeq: 8 });
    expect(proof.record).toMatchObject({ type: TxType.UNDEBIT, refCounter: 6, balanceAfter: 100_000 });
    await expect(c.undebit({ refCounter: 6, amount: 2_500, terminalSeq: 9 })).rejects.toBeInstanceOf(
      UndebitRefusedError,
    );
  });

  it('reload applies a load authorization built from reloadContext', async () => {
    const c = await HudumaCard.select(card, options());
    const ctx = await c.reloadContext();
    expect(ctx).toMatchObject({ cardNumber: CARD_NUMBER, counter: 5 });
    const auth = {
      keyId: keyIdOf(loadAuthority.publicKey),
      cardNumber: ctx.cardNumber,
      cardCounter: ctx.counter,
      cardChallenge: ctx.challenge,
      amount: 50_000,
      time: NOW,
      terminalId: 'T-0001',
      terminalSeq: 11,
      terminalNonce: new Uint8Array(8).fill(1),
      loadRef: 'MPESA-QX12',
    };
    const bytes = encodeLoadAuthorization(signLoadAuthorization(auth, loadAuthority.privateKey));
    const proof = await c.reload(bytes);
    expect(proof.record).toMatchObject({
      type: TxType.RELOAD,
      amount: 50_000,
      balanceAfter: 150_000,
      counter: 6,
    });
    expect(c.purse.offlineSpend).toBe(0);
    // The challenge was consumed: the same authorization is refused before it reaches the card.
    await expect(c.reload(bytes)).rejects.toBeInstanceOf(LoadAuthorizationInvalidError);
  });
});
