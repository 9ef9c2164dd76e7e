/**
 * The SDK against the reference v2 simulator (simulators/card): personalization through the
 * SDK, the cached tap, a card pulled after the debit committed, recovery, PIN and identity,
 * UNBLOCK PIN only at a Huduma Centre terminal, and a reload.
 */
import { CURRENCY_KES } from '@huduma/card-applet-spec';
import { issueTestCard, SimulatedCard, SimulatedReader } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { describe, expect, it } from 'vitest';
import {
  DebitOutcomeUnknownError,
  describePurse,
  HudumaCard,
  type HudumaCardOptions,
  InMemoryCardLinkCache,
  PinRequiredError,
  personalizeCard,
  TerminalNotAuthorizedError,
  TransactionOutcomeUnknownError,
} from '../src/index';

async function world(balance = 50_000) {
  const pki = DevPki.inMemory();
  const test = await issueTestCard({ pki, balance });
  const terminal = await pki.issueTerminal({
    terminalId: 'T-0001',
    merchantId: 'M-0001',
    capabilities: ['DEBIT', 'UNDEBIT', 'IDENTITY_READ', 'BLOCK'],
  });
  const options: HudumaCardOptions = {
    trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
    terminal,
    linkCache: new InMemoryCardLinkCache(),
  };
  return { pki, ...test, terminal, options };
}

const sale = (terminalSeq: number, amount = 1_250) => ({
  amount,
  terminalSeq,
  billRef: `ECITIZEN-${terminalSeq}`,
  serviceCode: 7,
});

describe('SDK × simulator (applet v2)', () => {
  it('personalizes a blank card through the SDK; it selects as ACTIVE with an empty purse', async () => {
    const pki = DevPki.inMemory();
    const chipSerial = crypto.getRandomValues(new Uint8Array(8));
    const k = pki.installKeys(chipSerial);
    const card = SimulatedCard.create(undefined, {
      install: { chipSerial, persoEncKey: k.persoEnc, persoMacKey: k.persoMac, attestationKey: k.att },
    });
    const reader = new SimulatedReader();
    reader.insert(card);
    const res = await personalizeCard(reader, {
      cardNumber: '8404000000000013',
      purse: {
        maxBalance: 10_000_000,
        offlineLimit: 500_000,
        cvmLimit: 5_000,
        noCvmLimit: 10_000,
        currency: CURRENCY_KES,
      },
      pin: '1234',
      puk: '12345678',
      trustedKeys: pki.trustedKeysForCard(),
      issuer: pki,
      issuerCaPublicKey: pki.issuerCaPublicKey,
    });
    expect(res.certificate).toHaveLength(230);
    const terminal = await pki.issueTerminal({
      terminalId: 'T-1',
      merchantId: 'M-1',
      capabilities: ['DEBIT'],
    });
    const selected = await HudumaCard.select(reader, {
      trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
      terminal,
    });
    expect(selected.lifeCycle).toBe(0x02);
    expect(selected.purse.balance).toBe(0);
  });

  it('readPurse names its codes for integrators (KES, ACTIVE) beside the raw ones', async () => {
    const w = await world(12_345);
    const card = await HudumaCard.select(w.reader, w.options);
    const purse = await card.readPurse();
    expect(purse).toMatchObject({
      balance: 12_345,
      currency: CURRENCY_KES,
      currencyCode: 'KES',
      currencyNumeric: 404,
      lifeCycle: 0x02,
      lifeCycleName: 'ACTIVE',
    });
    expect(describePurse({ ...purse, currency: 0x0840, lifeCycle: 0x03 })).toMatchObject({
      currencyCode: '840',
      currencyNumeric: 840,
      lifeCycleName: 'BLOCKED',
    });
  });

  it('first tap registers; the cached tap is SELECT + OPEN SESSION + DEBIT', async () => {
    const w = await world();
    const first = await HudumaCard.select(w.reader, w.options);
    const r1 = await first.debit(sale(1));
    expect(r1.outcome).toBe('executed');
    expect(first.telemetry.apdus).toBe(6);
    const second = await HudumaCard.select(w.reader, w.options);
    const r2 = await second.debit(sale(2));
    if (r2.outcome === 'stale') throw new Error('unreachable');
    expect(r2.proof.record.balanceAfter).toBe(50_000 - 2 * 1_250);
    expect(second.telemetry.apdus).toBe(3);
  });

  it('a card pulled after the debit committed: unknown, then recovered as executed, charged once', async () => {
    const w = await world();
    const tap = await HudumaCard.select(w.reader, w.options);
    await tap.openSession('tap');
    w.reader.removeDuringNextCommand({ afterCardProcessed: true });
    const err = (await tap.debit(sale(5)).catch((e) => e)) as DebitOutcomeUnknownError;
    expect(err).toBeInstanceOf(DebitOutcomeUnknownError);
    w.reader.reinsert();
    const next = await HudumaCard.select(w.reader, w.options);
    const rec = await next.recoverTransaction({
      expectedCounter: err.counterBefore,
      terminalSeq: err.terminalSeq,
      amount: err.amount,
    });
    expect(rec.status).toBe('executed');
    // Resending the identical request cannot charge again.
    const again = await next.debit(err.request);
    expect(again.outcome).toBe('already-applied');
    expect(next.purse.balance).toBe(50_000 - 1_250);
  });

  it('a card pulled before it got the debit: recovered as not executed and resendable', async () => {
    const w = await world();
    const tap = await HudumaCard.select(w.reader, w.options);
    await tap.openSession('tap');
    w.reader.removeDuringNextCommand({ afterCardProcessed: false });
    const err = (await tap.debit(sale(6)).catch((e) => e)) as DebitOutcomeUnknownError;
    expect(err).toBeInstanceOf(DebitOutcomeUnknownError);
    w.reader.reinsert();
    const next = await HudumaCard.select(w.reader, w.options);
    expect(
      await next.recoverTransaction({
        expectedCounter: err.counterBefore,
        terminalSeq: 6,
        amount: err.amount,
      }),
    ).toMatchObject({ status: 'not-executed', resendable: true });
    const r = await next.debit(err.request);
    expect(r.outcome).toBe('executed');
  });

  it('PIN above the CVM limit, identity after the PIN, UNBLOCK PIN only at a Huduma Centre', async () => {
    const w = await world(500_000);
    const tap = await HudumaCard.select(w.reader, w.options);
    await expect(tap.debit(sale(1, 150_000))).rejects.toBeInstanceOf(PinRequiredError);
    await tap.verifyPin(w.pin);
    const r = await tap.debit(sale(1, 150_000));
    if (r.outcome === 'stale') throw new Error('unreachable');
    expect(r.proof.record.cvm).toBe(1);
    await tap.verifyPin(w.pin);
    expect((await tap.readIdentity()).idNumber).toBe('12345678');
    await expect(tap.unblockPin(w.puk, '4321')).rejects.toBeInstanceOf(TerminalNotAuthorizedError);

    const centre = await w.pki.issueTerminal({
      terminalId: 'HC-1',
      merchantId: 'HUDUMA',
      capabilities: ['UNBLOCK_PIN'],
    });
    const counter = await HudumaCard.select(w.reader, { ...w.options, terminal: centre });
    await counter.unblockPin(w.puk, '4321');
    await counter.verifyPin('4321');
  });

  it('reloads with a load authorization bound to the counter and a fresh challenge', async () => {
    const w = await world();
    const tap = await HudumaCard.select(w.reader, w.options);
    await tap.debit(sale(1));
    await tap.debit(sale(2));
    const unsynced = await tap.unsyncedRecords();
    expect(unsynced.map((p) => p.record.terminalSeq)).toEqual([2, 1]);
    expect(await tap.pinStatus()).toEqual({ verified: false, triesLeft: 3 });
    const ctx = await tap.reloadContext();
    const auth = await w.pki.authorizeLoad({
      cardNumber: ctx.cardNumber,
      cardCounter: ctx.counter,
      cardChallenge: ctx.challenge,
      amount: 10_000,
      currency: CURRENCY_KES,
      time: Math.floor(Date.now() / 1000),
      terminalId: 'AGENT-1',
      terminalSeq: 1,
      terminalNonce: new Uint8Array(8),
      loadRef: 'MPESA-1',
    });
    const proof = await tap.reload(auth);
    expect(proof.record.balanceAfter).toBe(50_000 - 2 * 1_250 + 10_000);
    expect(tap.purse.syncedThrough).toBe(proof.record.counter);
  });

  it('a reload whose answer was lost is recovered by its record (terminal id from the authorization)', async () => {
    const w = await world();
    const tap = await HudumaCard.select(w.reader, w.options);
    await tap.openSession('tap'); // first sight: certificate and link key now cached
    const ctx = await tap.reloadContext();
    const auth = await w.pki.authorizeLoad({
      cardNumber: ctx.cardNumber,
      cardCounter: ctx.counter,
      cardChallenge: ctx.challenge,
      amount: 7_000,
      currency: CURRENCY_KES,
      time: Math.floor(Date.now() / 1000),
      terminalId: 'AGENT-2',
      terminalSeq: 44,
      terminalNonce: new Uint8Array(8),
      loadRef: 'MPESA-2',
    });
    w.reader.removeDuringNextCommand({ afterCardProcessed: true });
    const err = (await tap.reload(auth).catch((e) => e)) as TransactionOutcomeUnknownError;
    expect(err).toBeInstanceOf(TransactionOutcomeUnknownError);
    expect(err.code).toBe('ERR_RELOAD_OUTCOME_UNKNOWN');
    w.reader.reinsert();
    const next = await HudumaCard.select(w.reader, w.options);
    const rec = await next.recoverTransaction({
      type: 'reload',
      terminalId: 'AGENT-2',
      expectedCounter: err.counterBefore,
      terminalSeq: 44,
      amount: 7_000,
    });
    expect(rec.status).toBe('executed');
    // the link cache supplied the certificate: no GET DATA on this tap
    expect(next.telemetry.steps.certificate).toBeUndefined();
  });

  it('UNDEBIT cancels this terminal’s last debit once; a repeat is already applied', async () => {
    const w = await world();
    const tap = await HudumaCard.select(w.reader, w.options);
    const d = await tap.debit(sale(1, 3_000));
    if (d.outcome === 'stale') throw new Error('unreachable');
    const u = await tap.undebit({ refCounter: d.proof.record.counter, amount: 3_000, terminalSeq: 2 });
    if (u.outcome === 'stale') throw new Error('unreachable');
    expect(u.outcome).toBe('executed');
    expect(u.proof.record).toMatchObject({
      type: 0x02,
      refCounter: d.proof.record.counter,
      balanceAfter: 50_000,
    });
    const again = await tap.undebit({ refCounter: d.proof.record.counter, amount: 3_000, terminalSeq: 2 });
    expect(again.outcome).toBe('already-applied');
    expect(tap.purse.balance).toBe(50_000);
  });
});
