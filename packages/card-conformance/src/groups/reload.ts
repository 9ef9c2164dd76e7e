/** Conformance checks: RELOAD (§6.9). */
import { cardNumberFromAccount, SW, TxType } from '@huduma/card-applet-spec';
import { c, expectEq, expectSw, type Group, type GroupContext, keyFrom } from '../check';
import { softwareSigner } from '../target';

export function reloadGroup({ keys }: GroupContext): Group {
  const reload: Group = {
    name: 'reload',
    checks: [
      c(
        'reload.happy',
        '6.10',
        'RELOAD credits, resets offline spend, returns a verifiable proof',
        async (s) => {
          await s.select();
          await s.loadCardKey();
          const before = await s.readPurse();
          const amount = Math.min(100_000, before.maxBalance - before.balance);
          const r = await s.reload(amount);
          expectSw(r, 0x9000, 'RELOAD');
          const rec = s.checkProof(r.data, 'reload proof');
          expectEq(rec.type, TxType.RELOAD, 'record type');
          expectEq(rec.amount, amount, 'record amount');
          expectEq(rec.counter, before.counter + 1, 'record counter');
          expectEq(rec.offlineSpendAfter, 0, 'offline spend after');
          await s.expectPurse(before, { balance: amount, counter: 1 }, 'purse after RELOAD');
          expectEq(s.purse.offlineSpend, 0, 'offline spend');
        },
      ),
      c('reload.no-challenge', '6.10', 'RELOAD without a current challenge answers 6982', async (s) => {
        await s.readPurse();
        const auth = await s.loadAuthorization(1);
        expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.SECURITY_STATUS_NOT_SATISFIED, 'RELOAD');
      }),
      c(
        'reload.stale-counter',
        '6.10',
        'a load authorization for another counter answers 9F08',
        async (s) => {
          const p = await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1, { counter: p.counter - 1 });
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'RELOAD');
          await s.expectPurse(p, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'reload.wrong-challenge',
        '6.10',
        'a load authorization for another challenge answers 9F08',
        async (s) => {
          await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1, { challenge: new Uint8Array(16).fill(0x5a) });
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'RELOAD');
        },
      ),
      c('reload.other-card', '6.10', 'a load authorization for another card answers 9F08', async (s) => {
        await s.readPurse();
        await s.getChallenge();
        const other = cardNumberFromAccount(
          s.cardNumber === cardNumberFromAccount('00000000001') ? '00000000002' : '00000000001',
        );
        const auth = await s.loadAuthorization(1, { cardNumber: other });
        expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'RELOAD');
      }),
      c(
        'reload.challenge-consumed',
        '6.10',
        'RELOAD consumes the challenge: the same authorization again fails',
        async (s) => {
          const before = await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1);
          const bad = auth.slice();
          bad[100]! ^= 1;
          expectSw(
            await s.card.send(0x80, 0x58, 0, 0, bad),
            SW.LOAD_AUTH_INVALID,
            'RELOAD with a bad signature',
          );
          expectSw(
            await s.card.send(0x80, 0x58, 0, 0, auth),
            SW.SECURITY_STATUS_NOT_SATISFIED,
            'valid RELOAD, challenge used up',
          );
          await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'reload.replay',
        '6.10',
        'a used load authorization replayed with a new challenge answers 9F08',
        async (s) => {
          await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1);
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), 0x9000, 'first use');
          const p = await s.readPurse();
          await s.getChallenge();
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'replay');
          await s.expectPurse(p, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'reload.bad-signature',
        '6.10',
        'a load authorization with a bad signature answers 9F08',
        async (s) => {
          await s.readPurse();
          await s.getChallenge();
          const auth = await s.loadAuthorization(1);
          auth[143]! ^= 0x80;
          expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.LOAD_AUTH_INVALID, 'RELOAD');
        },
      ),
      c('reload.unknown-key', '6.10', 'a load authorization by an unknown key answers 6A88', async (s) => {
        await s.readPurse();
        await s.getChallenge();
        const rogue = softwareSigner(keyFrom('rogue-load-authority'));
        expectSw(
          await s.card.send(0x80, 0x58, 0, 0, await s.loadAuthorization(1, { signer: rogue })),
          SW.REFERENCED_DATA_NOT_FOUND,
          'RELOAD',
        );
        await s.readPurse();
        await s.getChallenge();
        // The terminal CA is trusted, but not for loads.
        expectSw(
          await s.card.send(0x80, 0x58, 0, 0, await s.loadAuthorization(1, { signer: keys.acquirerCa })),
          SW.REFERENCED_DATA_NOT_FOUND,
          'RELOAD signed by the terminal CA',
        );
      }),
      c('reload.max-balance', '6.10', 'a reload above maxBalance answers 9F02', async (s) => {
        const p = await s.readPurse();
        await s.getChallenge();
        const auth = await s.loadAuthorization(p.maxBalance - p.balance + 1);
        expectSw(await s.card.send(0x80, 0x58, 0, 0, auth), SW.MAX_BALANCE_EXCEEDED, 'RELOAD');
        await s.expectPurse(p, { balance: 0, counter: 0 }, 'purse unchanged');
      }),
    ],
  };
  return reload;
}
