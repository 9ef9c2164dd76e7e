/** §16.3 checks 68–77: RELOAD (a compare-and-swap authorised by the load authority). */
import { toHex } from '@huduma/card-applet-spec';
import { type Card, type CheckDef, check, expectEq, expectSw, expectTrue, keyFrom } from '../check';
import { softwareSigner } from '../target';
import { bcd, decodeRecord, Ins, KES, Sw, verifyProof } from '../wire';

/** A RELOAD expected to fail with `sw`; asserts nothing changed. */
async function reloadFails(card: Card, auth: Uint8Array, sw: number, what: string) {
  const before = await card.readPurse();
  expectSw(await card.send(0x80, Ins.RELOAD, 0, 0, auth, 0), sw, what);
  await card.unchanged(before, what);
}

export function reloadChecks(): CheckDef[] {
  return [
    check(
      68,
      'reload.happy',
      '6.10',
      'RELOAD credits, resets offlineSpend, syncs, proof verifies with currency',
      'shared',
      async (card) => {
        await card.select();
        const before = await card.readPurse();
        const amount = Math.min(12_345, before.maxBalance - before.balance);
        await card.getChallenge();
        const auth = await card.loadAuthorization(amount);
        const r = await card.send(0x80, Ins.RELOAD, 0, 0, auth, 0);
        expectSw(r, 0x9000, 'RELOAD');
        expectEq(r.data.length, 130, 'proof length');
        expectTrue(verifyProof(card.cardNumber, r.data, card.cert.pkCard), 'proof signature');
        const rec = decodeRecord(r.data.subarray(0, 66));
        expectEq(rec.type, 3, 'record type');
        expectEq(rec.counter, before.counter + 1, 'record counter');
        expectEq(rec.amount, amount, 'amount');
        expectEq(rec.currency, KES, 'currency');
        expectEq(rec.balanceAfter, before.balance + amount, 'balanceAfter');
        expectEq(rec.offlineSpendAfter, 0, 'offlineSpendAfter');
        expectEq(rec.terminalId, 'CONF-AGT', 'terminalId from the authorization');
        expectEq(toHex(rec.billRef), toHex(auth.subarray(66, 82)), 'billRef = loadRef');
        expectEq(rec.serviceCode, 0, 'serviceCode');
        expectEq(rec.cvm, 0, 'cvm');
        const after = await card.readPurse();
        expectEq(after.balance, before.balance + amount, 'balance');
        expectEq(after.counter, before.counter + 1, 'counter');
        expectEq(after.offlineSpend, 0, 'offlineSpend');
        expectEq(after.syncedThrough, after.counter, 'syncedThrough = new counter');
      },
    ),
    check(
      69,
      'reload.no-challenge',
      '6.10',
      'without a current challenge answers 6982',
      'shared',
      async (card) => {
        await card.getChallenge();
        await card.readPurse();
        const auth = await card.loadAuthorization(1);
        expectSw(await card.send(0x80, Ins.RELOAD, 0, 0, auth, 0), 0x9000, 'first RELOAD');
        await card.readPurse();
        const again = await card.loadAuthorization(1);
        await reloadFails(card, again, Sw.SECURITY, 'RELOAD after the challenge was consumed');
      },
    ),
    check(
      70,
      'reload.stale-counter',
      '6.10',
      'an authorization for another counter answers 9F08',
      'shared',
      async (card) => {
        await card.getChallenge();
        const p = await card.readPurse();
        await reloadFails(
          card,
          await card.loadAuthorization(1, { counter: p.counter + 1 }),
          Sw.LOAD_AUTH_INVALID,
          'counter + 1',
        );
        await card.getChallenge();
        await reloadFails(
          card,
          await card.loadAuthorization(1, { counter: Math.max(0, p.counter - 1) }),
          Sw.LOAD_AUTH_INVALID,
          'counter - 1',
        );
      },
    ),
    check(
      71,
      'reload.wrong-challenge',
      '6.10',
      'an authorization for another challenge answers 9F08',
      'shared',
      async (card) => {
        await card.getChallenge();
        await card.readPurse();
        await reloadFails(
          card,
          await card.loadAuthorization(1, { challenge: keyFrom('challenge').slice(0, 16) }),
          Sw.LOAD_AUTH_INVALID,
          'other challenge',
        );
      },
    ),
    check(
      72,
      'reload.other-card',
      '6.10',
      'an authorization for another card answers 9F08',
      'shared',
      async (card) => {
        await card.getChallenge();
        await card.readPurse();
        await reloadFails(
          card,
          await card.loadAuthorization(1, { cardNumber: bcd('8404000000000018') }),
          Sw.LOAD_AUTH_INVALID,
          'other card',
        );
      },
    ),
    check(
      73,
      'reload.replay',
      '6.10',
      'a used authorization with a new challenge answers 9F08',
      'shared',
      async (card) => {
        await card.getChallenge();
        await card.readPurse();
        const auth = await card.loadAuthorization(1);
        expectSw(await card.send(0x80, Ins.RELOAD, 0, 0, auth, 0), 0x9000, 'RELOAD');
        await card.getChallenge();
        await reloadFails(card, auth, Sw.LOAD_AUTH_INVALID, 'the same authorization again');
      },
    ),
    check(74, 'reload.bad-signature', '6.10', 'a bad signature answers 9F08', 'shared', async (card) => {
      await card.getChallenge();
      await card.readPurse();
      const auth = (await card.loadAuthorization(1)).slice();
      auth[100]! ^= 0x01;
      await reloadFails(card, auth, Sw.LOAD_AUTH_INVALID, 'bad signature');
    }),
    check(75, 'reload.unknown-key', '6.10', 'an unknown key answers 6A88', 'shared', async (card, ctx) => {
      await card.getChallenge();
      await card.readPurse();
      await reloadFails(
        card,
        await card.loadAuthorization(1, { signer: softwareSigner(keyFrom('rogue-la')) }),
        Sw.NOT_FOUND,
        'unknown key',
      );
      await card.getChallenge();
      await reloadFails(
        card,
        await card.loadAuthorization(1, { signer: ctx.keys.acquirerCa }),
        Sw.NOT_FOUND,
        'the terminal CA key (wrong usage)',
      );
    }),
    check(
      76,
      'reload.max-balance',
      '6.10',
      'above maxBalance answers 9F02, including a 33-bit overflow',
      'shared',
      async (card) => {
        await card.getChallenge();
        const p = await card.readPurse();
        await reloadFails(
          card,
          await card.loadAuthorization(p.maxBalance - p.balance + 1),
          Sw.MAX_BALANCE,
          'maxBalance + 1',
        );
        if (p.balance > 0) {
          await card.getChallenge();
          await reloadFails(
            card,
            await card.loadAuthorization(0xffffffff),
            Sw.MAX_BALANCE,
            'amount FFFFFFFF (33-bit sum)',
          );
        }
      },
    ),
    check(77, 'reload.currency', '6.10', 'another currency answers 9F15', 'shared', async (card) => {
      await card.getChallenge();
      await card.readPurse();
      await reloadFails(card, await card.loadAuthorization(1, { currency: 0x0840 }), Sw.CURRENCY, 'USD');
    }),
  ];
}
