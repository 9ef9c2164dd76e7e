import { generatePrivateKey, TxType } from '@huduma/card-applet-spec';
import type { IssuedTerminal } from '@huduma/pki';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CardBlockedError,
  DebitOutcomeUnknownError,
  HudumaCard,
  type HudumaCardOptions,
  InMemoryCardLinkCache,
  NoCvmLimitReachedError,
  PinRequiredError,
  SecureMessagingError,
  TerminalNotAuthorizedError,
  WrongPinError,
} from '../src/index';
import { CARD_NUMBER, FakeCard, fakeCardWithPki, IDENTITY } from './fake-card';

const NOW = 1_750_000_000;
let card: FakeCard;
let terminal: IssuedTerminal;
let centre: IssuedTerminal;
let options: HudumaCardOptions;
let cache: InMemoryCardLinkCache;

beforeEach(async () => {
  const f = await fakeCardWithPki();
  card = f.card;
  terminal = f.terminal;
  centre = f.centre;
  cache = new InMemoryCardLinkCache();
  options = {
    trust: { issuerCaPublicKeys: [f.pki.issuerCaPublicKey] },
    terminal: { certificate: terminal.certificate, privateKey: terminal.privateKey },
    linkCache: cache,
    clock: () => NOW,
  };
});

const sale = (terminalSeq: number, amount = 1_500) => ({
  amount,
  terminalSeq,
  billRef: `BILL-${terminalSeq}`,
  serviceCode: 7,
});

describe('HudumaCard v2: registration, link-key cache and the cached tap', () => {
  it('registers on first sight, then taps with SELECT + OPEN SESSION + DEBIT only', async () => {
    const first = await HudumaCard.select(card, options);
    const r = await first.debit(sale(1));
    expect(r.outcome).toBe('executed');
    if (r.outcome === 'stale') throw new Error('unreachable');
    expect(r.proof.record).toMatchObject({ type: TxType.DEBIT, counter: 6, amount: 1_500, terminalSeq: 1 });
    expect(r.proof.replayed).toBe(false);
    expect(first.purse).toMatchObject({ balance: 98_500, counter: 6 });
    expect(card.log).toEqual([
      'SELECT',
      'GET_DATA',
      'OPEN_SESSION',
      'REGISTER_TERMINAL',
      'OPEN_SESSION',
      'DEBIT',
    ]);
    expect(cache.size).toBe(1);

    card.log = [];
    const second = await HudumaCard.select(card, options);
    const r2 = await second.debit(sale(2));
    expect(r2.outcome).toBe('executed');
    expect(card.log).toEqual(['SELECT', 'OPEN_SESSION', 'DEBIT']);
  });

  it('a re-issued card with a cached number: the stale link is dropped and the new card verified', async () => {
    await (await HudumaCard.select(card, options)).debit(sale(1));
    const f = await fakeCardWithPki(); // same card number, new keys, certificate from another PKI run
    // it trusts this terminal's acquirer CA, like every card of the scheme
    const reissued = new FakeCard(
      f.card.signingKey,
      f.card.keyAgreementKey,
      f.card.certificate,
      card.acquirerCaPublicKey,
    );
    const other = {
      ...options,
      trust: { issuerCaPublicKeys: [...options.trust.issuerCaPublicKeys, f.pki.issuerCaPublicKey] },
      terminal: { certificate: terminal.certificate, privateKey: terminal.privateKey },
    };
    const tap = await HudumaCard.select(reissued, other);
    const r = await tap.debit(sale(2));
    expect(r.outcome).toBe('executed');
    expect(reissued.log).toContain('GET_DATA');
  });

  it('refuses a card that cannot produce the session cryptogram (no certified key-agreement key)', async () => {
    const clone = new FakeCard(
      card.signingKey,
      generatePrivateKey(),
      card.certificate,
      card.acquirerCaPublicKey,
    );
    const c = await HudumaCard.select(clone, options);
    await expect(c.debit(sale(1))).rejects.toMatchObject({
      code: 'ERR_SECURE_MESSAGING',
      reason: 'card-cryptogram',
    });
    await expect(c.debit(sale(1))).rejects.toBeInstanceOf(SecureMessagingError);
  });
});

describe('HudumaCard v2: exactly-once debit (compare-and-swap) and recovery', () => {
  it('a lost answer is outcome-unknown; resending the same request returns the stored proof', async () => {
    card.tearAfter = 0x54; // DEBIT executes, the answer is lost
    const tap1 = await HudumaCard.select(card, options);
    const err = await tap1.debit(sale(9)).catch((e) => e);
    expect(err).toBeInstanceOf(DebitOutcomeUnknownError);
    const request = (err as DebitOutcomeUnknownError).request;
    expect(request.expectedCounter).toBe(5);
    expect(card.counter).toBe(6);

    const tap2 = await HudumaCard.select(card, options);
    const again = await tap2.debit({ ...request });
    expect(again.outcome).toBe('already-applied');
    if (again.outcome === 'stale') throw new Error('unreachable');
    expect(again.proof.replayed).toBe(true);
    expect(again.proof.record.terminalNonce).toEqual(request.terminalNonce);
    expect(card.counter).toBe(6); // charged once
    expect(card.balance).toBe(98_500);
  });

  it('recoverTransaction resolves an unknown intent: executed with the original proof', async () => {
    card.tearAfter = 0x54;
    const tap1 = await HudumaCard.select(card, options);
    const err = (await tap1.debit(sale(3)).catch((e) => e)) as DebitOutcomeUnknownError;
    const tap2 = await HudumaCard.select(card, options);
    const res = await tap2.recoverTransaction({
      expectedCounter: err.counterBefore,
      terminalSeq: err.terminalSeq,
      amount: err.amount,
    });
    expect(res.status).toBe('executed');
    if (res.status !== 'executed') throw new Error('unreachable');
    expect(res.proof.record.counter).toBe(6);
    expect(res.evidence?.responseBytes).toHaveLength(207);
  });

  it('not executed: resendable while the counter is unchanged, final once another transaction took it', async () => {
    const tap = await HudumaCard.select(card, options);
    expect(await tap.recoverTransaction({ expectedCounter: 5, terminalSeq: 4, amount: 100 })).toMatchObject({
      status: 'not-executed',
      resendable: true,
    });
    await tap.debit(sale(5));
    const later = await HudumaCard.select(card, options);
    expect(await later.recoverTransaction({ expectedCounter: 5, terminalSeq: 4, amount: 100 })).toMatchObject(
      {
        status: 'not-executed',
        resendable: false,
      },
    );
  });

  it('a request bound to an old counter is STALE, never executed', async () => {
    const tap = await HudumaCard.select(card, options);
    const r = await tap.debit({ ...sale(6), expectedCounter: 4 });
    expect(r).toMatchObject({ outcome: 'stale', counter: 5, expectedCounter: 4 });
    expect(card.balance).toBe(100_000);
  });

  it('reports records synced to the clearing service as synced', async () => {
    card.counter = 50;
    card.syncedThrough = 50;
    const tap = await HudumaCard.select(card, options);
    expect(await tap.recoverTransaction({ expectedCounter: 20, terminalSeq: 1, amount: 1 })).toMatchObject({
      status: 'synced',
      counter: 50,
    });
  });
});

describe('HudumaCard v2: CVM', () => {
  it('a debit above the CVM limit needs the PIN; one PIN authorises one debit', async () => {
    const tap = await HudumaCard.select(card, options);
    expect(tap.pinRequiredFor(6_000)).toBe('amount');
    const err = await tap.debit(sale(1, 6_000)).catch((e) => e);
    expect(err).toBeInstanceOf(PinRequiredError);
    expect(err).not.toBeInstanceOf(NoCvmLimitReachedError);
    expect(err.code).toBe('ERR_PIN_REQUIRED');
    await tap.verifyPin('1234');
    const ok = await tap.debit(sale(1, 6_000)); // same request again: a refusal changed nothing
    if (ok.outcome === 'stale') throw new Error('unreachable');
    expect(ok.proof.record.cvm).toBe(1);
    await expect(tap.debit(sale(2, 6_000))).rejects.toBeInstanceOf(PinRequiredError);
  });

  it('surfaces the cumulative no-CVM limit as its own typed error', async () => {
    const tap = await HudumaCard.select(card, options);
    for (let seq = 1; seq <= 2; seq++) await tap.debit(sale(seq, 5_000));
    expect(tap.pinRequiredFor(1_000)).toBe('cumulative');
    const err = await tap.debit(sale(3, 1_000)).catch((e) => e);
    expect(err).toBeInstanceOf(NoCvmLimitReachedError);
    expect(err).toMatchObject({ code: 'ERR_NO_CVM_LIMIT_REACHED', noCvmSpend: 10_000, noCvmLimit: 10_000 });
  });

  it('a wrong PIN reports the tries left', async () => {
    const tap = await HudumaCard.select(card, options);
    const err = await tap.verifyPin('9999').catch((e) => e);
    expect(err).toBeInstanceOf(WrongPinError);
    expect(err.triesLeft).toBe(2);
  });
});

describe('HudumaCard v2: PUK and identity', () => {
  it('UNBLOCK PIN is sent only by a terminal holding UNBLOCK_PIN', async () => {
    card.pinTries = 0;
    const till = await HudumaCard.select(card, options);
    const err = await till.unblockPin('12345678', '4321').catch((e) => e);
    expect(err).toBeInstanceOf(TerminalNotAuthorizedError);
    expect(err.reason).toBe('capability-missing');
    expect(card.log).not.toContain('UNBLOCK_PIN');

    const counter = await HudumaCard.select(card, {
      ...options,
      terminal: { certificate: centre.certificate, privateKey: centre.privateKey },
    });
    await counter.unblockPin('12345678', '4321');
    expect(card.pin).toBe('4321');
    expect(card.pinTries).toBe(3);
  });

  it('READ IDENTITY needs the PIN in the session, then decrypts the identity', async () => {
    const tap = await HudumaCard.select(card, options);
    await expect(tap.readIdentity()).rejects.toBeInstanceOf(PinRequiredError);
    await tap.verifyPin('1234');
    expect(await tap.readIdentity()).toEqual(IDENTITY);
    expect(tap.cardNumber).toBe(CARD_NUMBER);
  });

  it('BLOCK CARD needs the BLOCK capability; afterwards value commands are refused locally', async () => {
    const counter = await HudumaCard.select(card, {
      ...options,
      terminal: { certificate: centre.certificate, privateKey: centre.privateKey },
    });
    await expect(counter.block('DENY_LISTED')).rejects.toMatchObject({ reason: 'capability-missing' });
    const tap = await HudumaCard.select(card, options);
    await tap.block({ reason: 'LOST_OR_STOLEN', terminalSeq: 9 });
    expect(card.lifeCycle).toBe(0x03);
    const again = await HudumaCard.select(card, options);
    expect(again.lifeCycle).toBe(0x03);
    card.log = [];
    await expect(again.debit(sale(1))).rejects.toBeInstanceOf(CardBlockedError);
    expect(card.log).toEqual([]);
  });
});
