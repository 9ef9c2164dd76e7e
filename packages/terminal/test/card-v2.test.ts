/**
 * What applet v2 changes at the counter: the card refuses debits after 32 unsynced records until
 * an online reload (which carries the card's records to the clearing service), its cumulative
 * no-PIN limit asks for the PIN, the new card refusals reach the cashier in both languages, and
 * an interrupted sale whose expected counter is lost is never guessed.
 */
import { join } from 'node:path';
import { Cvm, decodeTransactionProof, TxType } from '@huduma/card-applet-spec';
import {
  CurrencyMismatchError,
  NoCvmLimitReachedError,
  PukBlockedError,
  SecureMessagingError,
  SyncRequiredError,
} from '@huduma/sdk';
import { TransactionLog } from '@huduma/txlog';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CashierMessageKey,
  cashierText,
  devLoadAuthorizer,
  FILES,
  type LoadAuthorizationRequest,
  TransactionRefusedError,
  toRefusal,
} from '../src/index';
import { makeRig, type Rig } from './helpers';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

async function refusal(p: Promise<unknown>): Promise<TransactionRefusedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransactionRefusedError);
  return err as TransactionRefusedError;
}

describe('applet v2 at the counter', () => {
  it('after 32 unsynced debits refuses with nothing charged; a KES 0 reload carries the records online and sales resume', async () => {
    const requests: LoadAuthorizationRequest[] = [];
    rig = await makeRig({ balance: 1_000_000, limits: { maxUnsyncedRecords: 9_999 } });
    const dev = devLoadAuthorizer(rig.pki);
    await rig.reopen({
      loadAuthorizer: {
        authorize: (r) => {
          requests.push(r);
          return dev.authorize(r);
        },
      },
    });
    const card = rig.testCard.card;
    for (let i = 0; i < 32; i++) await rig.engine.sale({ amount: '10.00', billRef: `S-${i}` });
    expect(card.state.counter - card.state.syncedThrough).toBe(32);

    const before = { ...card.state };
    const err = await refusal(rig.engine.sale({ amount: '10.00', billRef: 'S-32' }));
    expect(err.reason).toBe('sync-required');
    expect(err.cashierMessage).toBe(cashierText('sync-required'));
    expect(card.state.balance).toBe(before.balance);
    expect(card.state.counter).toBe(before.counter);

    const reload = await rig.engine.reload({ amountCents: 0, reference: 'SYNC' });
    expect(reload.balanceAfterCents).toBe(before.balance);
    // The authorizer saw every record of the card's ring, newest first, each the card's signed proof.
    expect(requests).toHaveLength(1);
    const sent = requests[0]!.cardRecords.map((r) => decodeTransactionProof(r.proof).record);
    expect(sent.map((r) => r.counter)).toEqual(
      Array.from({ length: 32 }, (_, i) => before.counter - i), // 33, 32, ..., 2
    );
    expect(sent.every((r) => r.type === TxType.DEBIT)).toBe(true);
    expect(requests[0]!.cardCertificate).toHaveLength(230);
    expect(card.state.syncedThrough).toBe(card.state.counter);

    const after = await rig.engine.sale({ amount: '10.00', billRef: 'S-33' });
    expect(after.status).toBe('approved');
  });

  it("asks for the PIN once the card's cumulative no-PIN spend would pass its limit", async () => {
    // The test card: KES 1,000 per debit and KES 2,000 in total without the PIN.
    rig = await makeRig({ balance: 1_000_000 });
    for (let i = 0; i < 4; i++) {
      const sale = await rig.engine.sale({ amount: '500.00', billRef: `NC-${i}` });
      expect(sale.proof.record.cvm).toBe(Cvm.NONE);
    }
    expect(rig.events.some((e) => e.type === 'enter-pin')).toBe(false);
    // No PIN entered: refused, nothing charged.
    const balance = rig.testCard.card.state.balance;
    const err = await refusal(rig.engine.sale({ amount: '500.00', billRef: 'NC-4' }));
    expect(err.reason).toBe('pin-cancelled');
    expect(rig.testCard.card.state.balance).toBe(balance);
    // With the PIN the same sale goes through, and the card records that the PIN was used.
    rig.pins.push(rig.testCard.pin);
    const withPin = await rig.engine.sale({ amount: '500.00', billRef: 'NC-4' });
    expect(withPin.proof.record.cvm).toBe(Cvm.PIN);
    expect(rig.testCard.card.state.balance).toBe(balance - 50_000);
  });

  // Their Kiswahili wording lives in the counter app's catalogs (terminal-app/test/messages.test.ts).
  it('maps the new card refusals to typed reasons (with an English fallback sentence)', () => {
    const cases: [Error, string][] = [
      [new NoCvmLimitReachedError(200_000, 200_000), 'no-cvm-limit-reached'],
      [new PukBlockedError(), 'puk-blocked'],
      [new SyncRequiredError(), 'sync-required'],
      [new CurrencyMismatchError(), 'currency-mismatch'],
      [
        new SecureMessagingError('card-cryptogram', 'the card cryptogram does not verify'),
        'secure-messaging',
      ],
    ];
    for (const [error, reason] of cases) {
      const r = toRefusal(error);
      expect(r?.reason, error.name).toBe(reason);
      const key = reason as CashierMessageKey;
      expect(r?.cashierMessage).toBe(cashierText(key));
      expect(cashierText(key)).toMatch(/no payment was taken|NOT taken/i);
    }
  });

  it('a legacy pending debit whose journaled counter is lost stays with the operator, never guessed', async () => {
    rig = await makeRig({ balance: 1_000_000 });
    const { testCard } = rig;
    // An older version journaled the counter in a sidecar file beside the log's pending-debit;
    // that sidecar is lost (e.g. corrupted): only the pending-debit remains in the log.
    await rig.engine.close();
    const log = await TransactionLog.open(join(rig.dir, FILES.log));
    await log.append({
      type: 'pending-debit',
      time: rig.clock.now,
      terminalSeq: 90,
      cardNumber: testCard.cardNumber,
      amountCents: 1_000,
      billRef: 'LOST',
    });
    await log.close();
    await rig.reopen();
    const notices = await rig.engine.recoverCard();
    expect(notices).toHaveLength(1);
    expect(notices[0]!.outcome).toBe('unknown');
    expect(notices[0]!.message).toMatch(/operator/);
    const status = rig.engine.status();
    expect(status.unresolved).toHaveLength(1);
    expect(status.unresolved[0]!.needsOperator).toBe(true);
    // Nothing was written as if the sale had failed or succeeded.
    const types = (await rig.records()).map((r) => r.type);
    expect(types).not.toContain('pending-resolved');
    expect(types).not.toContain('recovered-sale');
  });
});
