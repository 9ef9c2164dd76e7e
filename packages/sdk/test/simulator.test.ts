/**
 * The SDK against the reference card simulator (simulators/card) personalized with the dev PKI.
 */
import { decodeCommand, type Transport } from '@huduma/apdu';
import { INS, LifeCycle, TxType } from '@huduma/card-applet-spec';
import { issueTestCard, type TestCard } from '@huduma/card-simulator';
import { DevPki, type IssuedTerminal } from '@huduma/pki';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CardBlockedError,
  CardCertificateInvalidError,
  DebitOutcomeUnknownError,
  HudumaCard,
  type HudumaCardOptions,
  InMemoryCardCertificateCache,
  InsufficientFundsError,
  MaxBalanceExceededError,
  OfflineLimitExceededError,
  PinRequiredError,
  ProofInvalidError,
  SequenceReusedError,
  TerminalNotAuthorizedError,
  UndebitRefusedError,
  WrongPinError,
} from '../src/index';

let pki: DevPki;
let terminal: IssuedTerminal;
let test: TestCard;

beforeAll(async () => {
  pki = DevPki.inMemory();
  terminal = await pki.issueTerminal({
    terminalId: 'T-0001',
    merchantId: 'M-0001',
    capabilities: ['DEBIT', 'UNDEBIT', 'IDENTITY_READ', 'BLOCK'],
  });
});

beforeEach(async () => {
  test = await issueTestCard({ pki, balance: 200_000 });
});

function options(extra: Partial<HudumaCardOptions> = {}): HudumaCardOptions {
  return { trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] }, terminal, ...extra };
}

const debit = { amount: 2_500, terminalSeq: 100, billRef: 'ECITIZEN-1', serviceCode: 7 };

/** Calls `before` on every DEBIT segment that ends the chain, before passing it on. */
function onFinalDebit(inner: Transport, before: () => void): Transport {
  return {
    transmit: (cmd) => {
      const c = decodeCommand(cmd);
      if (c.ins === INS.DEBIT && (c.cla & 0x10) === 0) before();
      return inner.transmit(cmd);
    },
  };
}

describe('HudumaCard on the simulator', () => {
  it('debits in SELECT + chained DEBIT (+ GET DATA on the first tap only) and verifies the proof', async () => {
    const cache = new InMemoryCardCertificateCache();
    const first = await HudumaCard.select(test.reader, options({ certificateCache: cache }));
    expect(first.cardNumber).toBe(test.cardNumber);
    expect(first.purse.balance).toBe(200_000);
    const proof = await first.debit(debit);
    expect(proof.record).toMatchObject({ type: TxType.DEBIT, amount: 2_500, balanceAfter: 197_500 });
    expect(first.telemetry.apdus).toBe(4);
    const second = await HudumaCard.select(test.reader, options({ certificateCache: cache }));
    await second.debit({ ...debit, terminalSeq: 101 });
    expect(second.telemetry.apdus).toBe(3);
    expect((await second.readPurse()).balance).toBe(195_000);
  });

  it('charges once for the same terminal sequence sent twice', async () => {
    const nonce = new Uint8Array(8).fill(7);
    const a = await (await HudumaCard.select(test.reader, options())).debit({
      ...debit,
      terminalNonce: nonce,
    });
    const card = await HudumaCard.select(test.reader, options());
    const b = await card.debit({ ...debit, terminalNonce: nonce });
    expect(b.recordBytes).toEqual(a.recordBytes);
    expect(b.signature).toEqual(a.signature);
    expect(b.replayed).toBe(true);
    expect((await card.readPurse()).balance).toBe(197_500);
    await expect(card.debit({ ...debit, amount: 1 })).rejects.toBeInstanceOf(SequenceReusedError);
  });

  it.each([false, true])(
    'card removed during DEBIT (afterCardProcessed=%s): outcome unknown, then recovery tells',
    async (afterCardProcessed) => {
      const t = onFinalDebit(test.reader, () => test.reader.removeDuringNextCommand({ afterCardProcessed }));
      const card = await HudumaCard.select(t, options());
      const err = await card.debit(debit).catch((e) => e);
      expect(err).toBeInstanceOf(DebitOutcomeUnknownError);
      expect(err).toMatchObject({ code: 'ERR_DEBIT_OUTCOME_UNKNOWN', terminalSeq: 100, counterBefore: 1 });
      test.reader.reinsert();
      const again = await HudumaCard.select(test.reader, options());
      const result = await again.recoverTransaction({
        terminalSeq: err.terminalSeq,
        counterBefore: err.counterBefore,
      });
      if (afterCardProcessed) {
        expect(result.status).toBe('completed');
        if (result.status === 'completed') expect(result.proof.record.amount).toBe(2_500);
        expect(result.balance).toBe(197_500);
      } else {
        expect(result).toMatchObject({ status: 'not-charged', counter: 1, balance: 200_000 });
      }
      const retried = await again.debit((err as DebitOutcomeUnknownError).request);
      expect(retried.replayed).toBe(afterCardProcessed);
      expect((await again.readPurse()).balance).toBe(197_500);
    },
  );

  it('rejects a proof with a flipped byte', async () => {
    const t: Transport = {
      transmit: async (cmd) => {
        const response = await test.reader.transmit(cmd);
        if (cmd[1] === INS.DEBIT && response.length > 100) response[9]! ^= 0x40; // balanceAfter
        return response;
      },
    };
    const card = await HudumaCard.select(t, options());
    await expect(card.debit(debit)).rejects.toBeInstanceOf(ProofInvalidError);
  });

  it('rejects a card certified by another issuer CA before debiting it', async () => {
    const otherPki = DevPki.inMemory();
    const stranger = await issueTestCard({ pki: otherPki, balance: 10_000 });
    const card = await HudumaCard.select(stranger.reader, options());
    const err = await card.debit(debit).catch((e) => e);
    expect(err).toBeInstanceOf(CardCertificateInvalidError);
    expect(err.reason).toBe('unknown-issuer');
    const own = await HudumaCard.select(stranger.reader, {
      trust: { issuerCaPublicKeys: [otherPki.issuerCaPublicKey] },
    });
    expect(own.purse.balance).toBe(10_000);
  });

  it('maps the card refusals to typed errors', async () => {
    const card = await HudumaCard.select(test.reader, options());
    await expect(card.debit({ ...debit, amount: 300_000 })).rejects.toBeInstanceOf(PinRequiredError);
    await card.verifyPin(test.pin);
    await expect(card.debit({ ...debit, amount: 300_000 })).rejects.toBeInstanceOf(InsufficientFundsError);
    const wrong = await card.verifyPin('9999').catch((e) => e);
    expect(wrong).toBeInstanceOf(WrongPinError);
    expect(wrong.triesLeft).toBe(2);

    const noDebit = await pki.issueTerminal({
      terminalId: 'T-0002',
      merchantId: 'M-0001',
      capabilities: ['BLOCK'],
    });
    const c2 = await HudumaCard.select(test.reader, options({ terminal: noDebit }));
    await expect(c2.debit(debit)).rejects.toMatchObject({
      code: 'ERR_TERMINAL_NOT_AUTHORIZED',
      reason: 'capability-missing',
    });

    const foreign = await DevPki.inMemory().issueTerminal({
      terminalId: 'T-0003',
      merchantId: 'M-9',
      capabilities: ['DEBIT'],
    });
    const c3 = await HudumaCard.select(test.reader, options({ terminal: foreign }));
    const err = await c3.debit(debit).catch((e) => e);
    expect(err).toBeInstanceOf(TerminalNotAuthorizedError);
    expect(err.reason).toBe('unknown-ca');
  });

  it('stops at the offline limit, and a reload resets it; the maximum balance holds', async () => {
    const card = await HudumaCard.select(test.reader, options());
    await card.verifyPin(test.pin);
    // DEFAULT_PURSE: offline limit KES 5,000.00, balance here KES 2,000.00 -> top up first.
    const ctx = await card.reloadContext();
    const auth = await pki.authorizeLoad({
      cardNumber: ctx.cardNumber,
      cardCounter: ctx.counter,
      cardChallenge: ctx.challenge,
      amount: 800_000,
      time: Math.floor(Date.now() / 1000),
      terminalId: 'T-0001',
      terminalSeq: 500,
      terminalNonce: new Uint8Array(8).fill(3),
      loadRef: 'MPESA-ABC123',
    });
    const reload = await card.reload(auth);
    expect(reload.record).toMatchObject({ type: TxType.RELOAD, amount: 800_000, balanceAfter: 1_000_000 });
    await card.debit({ ...debit, amount: 500_000 });
    await expect(card.debit({ ...debit, terminalSeq: 101, amount: 1 })).rejects.toBeInstanceOf(
      OfflineLimitExceededError,
    );
    const ctx2 = await card.reloadContext();
    const tooMuch = await pki.authorizeLoad({
      cardNumber: ctx2.cardNumber,
      cardCounter: ctx2.counter,
      cardChallenge: ctx2.challenge,
      amount: 10_000_000,
      time: Math.floor(Date.now() / 1000),
      terminalId: 'T-0001',
      terminalSeq: 501,
      terminalNonce: new Uint8Array(8).fill(4),
      loadRef: 'MPESA-ABC124',
    });
    await expect(card.reload(tooMuch)).rejects.toBeInstanceOf(MaxBalanceExceededError);
  });

  it('undebits, reads records, identity, and blocks', async () => {
    const card = await HudumaCard.select(test.reader, options());
    const d = await card.debit(debit);
    const u = await card.undebit({ refCounter: d.record.counter, amount: 2_500, terminalSeq: 101 });
    expect(u.record).toMatchObject({
      type: TxType.UNDEBIT,
      refCounter: d.record.counter,
      balanceAfter: 200_000,
    });
    await expect(
      card.undebit({ refCounter: d.record.counter, amount: 2_500, terminalSeq: 102 }),
    ).rejects.toBeInstanceOf(UndebitRefusedError);
    const records = await card.readRecords();
    expect(records.map((r) => r.record.type)).toEqual([TxType.UNDEBIT, TxType.DEBIT, TxType.RELOAD]);
    await expect(card.readIdentity()).rejects.toBeInstanceOf(PinRequiredError);
    await card.verifyPin(test.pin);
    expect((await card.readIdentity()).name).toBe('Wanjiku Test');
    await card.block('LOST_OR_STOLEN', { terminalSeq: 103 });
    const blocked = await HudumaCard.select(test.reader, options());
    expect(blocked.lifeCycle).toBe(LifeCycle.BLOCKED);
    await expect(blocked.debit({ ...debit, terminalSeq: 104 })).rejects.toBeInstanceOf(CardBlockedError);
    const result = await blocked.recoverTransaction({ terminalSeq: 100, counterBefore: 1 });
    expect(result.status).toBe('completed');
  });
});
