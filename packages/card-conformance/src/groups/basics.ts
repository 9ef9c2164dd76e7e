/** Conformance checks: SELECT, GET CHALLENGE, GET DATA, READ PURSE and the generic APDU rules (§6.0-§6.3, §6.7). */
import {
  AID,
  CURRENCY_KES,
  decodeCertificate,
  decodeSelectResponse,
  encodePinBlock,
  LifeCycle,
  SW,
  toHex,
} from '@huduma/card-applet-spec';
import { c, expectEq, expectSw, expectTrue, fail, type Group } from '../check';

export function basicsGroup(): Group {
  const basics: Group = {
    name: 'basics',
    checks: [
      c('select.fci', '6.1', 'SELECT returns the FCI with 9000 in ACTIVE', async (s) => {
        const r = await s.select();
        const fci = decodeSelectResponse(r.data);
        expectEq(fci.version, 1, 'applet version');
        expectEq(fci.lifeCycle, LifeCycle.ACTIVE, 'life cycle');
        expectTrue(fci.cardNumber !== undefined, 'FCI has a card number');
        expectEq(fci.purse.currency, CURRENCY_KES, 'currency');
        return `card ${fci.cardNumber}, balance ${fci.purse.balance}, counter ${fci.purse.counter}`;
      }),
      c('select.fresh-challenge', '6.1', 'each SELECT gives a fresh challenge', async (s) => {
        await s.select();
        const a = toHex(s.challenge);
        await s.select();
        const b = toHex(s.challenge);
        expectTrue(a !== b, 'two SELECTs returned the same challenge');
      }),
      c('select.wrong-aid', '6.1', 'SELECT of another AID answers 6A82', async (s) => {
        const other = AID.slice();
        other[10] = 0x7f;
        expectSw(
          await s.card.send(0x00, 0xa4, 0x04, 0x00, other, 0),
          SW.APPLET_NOT_FOUND,
          'SELECT other AID',
        );
        await s.select();
      }),
      c('get-challenge.fresh', '6.2', 'GET CHALLENGE returns 16 fresh bytes each time', async (s) => {
        const seen = new Set([toHex(s.challenge)]);
        for (let i = 0; i < 4; i++) seen.add(toHex(await s.getChallenge()));
        expectEq(seen.size, 5, 'distinct challenges');
      }),
      c(
        'get-data.certificate',
        '6.3',
        'GET DATA 7F21: card certificate verifies and names this card',
        async (s) => {
          await s.loadCardKey();
          const r = await s.card.send(0x00, 0xca, 0x7f, 0x21, undefined, 0);
          const cert = decodeCertificate(r.data);
          if (cert.type !== 'card') fail('not a card certificate');
          expectEq(cert.cardNumber, s.cardNumber, 'certificate card number');
        },
      ),
      c('read-purse', '6.7', 'READ PURSE returns the 28-byte purse, equal to the FCI purse', async (s) => {
        await s.select();
        const fci = s.purse;
        const p = await s.readPurse();
        expectEq(JSON.stringify(p), JSON.stringify(fci), 'purse');
        expectEq(p.lifeCycle, LifeCycle.ACTIVE, 'life cycle');
        expectTrue(p.offlineLimit <= p.maxBalance && p.cvmLimit <= p.maxBalance, 'limits within maxBalance');
      }),
      c('generic.cla', '6.0.3', 'unknown CLA answers 6E00', async (s) => {
        expectSw(await s.card.send(0xa0, 0x50, 0, 0), SW.CLA_NOT_SUPPORTED, 'CLA A0');
        expectSw(await s.card.send(0x0c, 0xb2, 1, 4), SW.CLA_NOT_SUPPORTED, 'CLA 0C (secure messaging)');
      }),
      c('generic.ins', '6.0.3', 'unknown INS for the CLA answers 6D00', async (s) => {
        expectSw(await s.card.send(0x80, 0xff, 0, 0), SW.INS_NOT_SUPPORTED, '80 FF');
        expectSw(await s.card.send(0x00, 0x50, 0, 0), SW.INS_NOT_SUPPORTED, 'READ PURSE with CLA 00');
        expectSw(await s.card.send(0x80, 0xa4, 4, 0, AID), SW.INS_NOT_SUPPORTED, 'SELECT with CLA 80');
      }),
      c('generic.logical-channel', '6.0.3', 'a logical channel other than 0 answers 6881', async (s) => {
        expectSw(await s.card.send(0x01, 0xb2, 1, 4), SW.LOGICAL_CHANNEL_NOT_SUPPORTED, 'CLA 01');
        expectSw(await s.card.send(0x83, 0x50, 0, 0), SW.LOGICAL_CHANNEL_NOT_SUPPORTED, 'CLA 83');
        expectSw(await s.card.send(0x40, 0x84, 0, 0), SW.LOGICAL_CHANNEL_NOT_SUPPORTED, 'CLA 40 (channel 4)');
      }),
      c('generic.p1p2', '6.0.3', 'wrong P1-P2 answers 6A86', async (s) => {
        expectSw(await s.card.send(0x80, 0x50, 1, 0), SW.WRONG_P1P2, 'READ PURSE P1=01');
        expectSw(await s.card.send(0x00, 0x84, 0, 1), SW.WRONG_P1P2, 'GET CHALLENGE P2=01');
        expectSw(await s.card.send(0x00, 0xca, 0x7f, 0x22), SW.WRONG_P1P2, 'GET DATA 7F22');
        expectSw(await s.card.send(0x00, 0x20, 0x00, 0x80), SW.WRONG_P1P2, 'VERIFY P2=80');
      }),
      c('generic.lc', '6.0.3', 'wrong Lc answers 6700', async (s) => {
        expectSw(
          await s.card.send(0x80, 0x50, 0, 0, new Uint8Array(1)),
          SW.WRONG_LENGTH,
          'READ PURSE with data',
        );
        expectSw(
          await s.card.send(0x00, 0x84, 0, 0, new Uint8Array(2)),
          SW.WRONG_LENGTH,
          'GET CHALLENGE with data',
        );
        expectSw(
          await s.card.send(0x00, 0x20, 0, 0x81, new Uint8Array(7)),
          SW.WRONG_LENGTH,
          'VERIFY 7 bytes',
        );
        expectSw(
          await s.card.send(0x80, 0x5a, 0, 0, new Uint8Array(19)),
          SW.WRONG_LENGTH,
          'GET LAST TX 19 bytes',
        );
        expectSw(
          await s.card.send(0x80, 0x58, 0, 0, new Uint8Array(143)),
          SW.WRONG_LENGTH,
          'RELOAD 143 bytes',
        );
      }),
      c(
        'generic.le-ignored',
        '6.0.1',
        'Le is not checked: no Le, Le 00 and an exact Le all work',
        async (s) => {
          for (const le of [undefined, 0, 28, 5])
            expectSw(await s.card.send(0x80, 0x50, 0, 0, undefined, le), 0x9000, `Le ${le}`);
        },
      ),
      c(
        'chaining.not-chainable',
        '6.0.2',
        'a chained segment of a non-chainable command answers 6884',
        async (s) => {
          expectSw(await s.card.send(0x90, 0x50, 0, 0), SW.CHAINING_NOT_SUPPORTED, 'chained READ PURSE');
          expectSw(await s.card.send(0x10, 0x84, 0, 0), SW.CHAINING_NOT_SUPPORTED, 'chained GET CHALLENGE');
        },
      ),
      c(
        'chaining.interrupted',
        '6.0.2',
        'another command in a chain answers 6883 and aborts the chain',
        async (s) => {
          expectSw(await s.card.send(0x90, 0x54, 0, 0, new Uint8Array(200)), 0x9000, 'first DEBIT segment');
          expectSw(
            await s.card.send(0x80, 0x50, 0, 0),
            SW.LAST_COMMAND_OF_CHAIN_EXPECTED,
            'READ PURSE mid-chain',
          );
          expectSw(await s.card.send(0x80, 0x50, 0, 0), 0x9000, 'READ PURSE after the aborted chain');
          expectSw(await s.card.send(0x90, 0x54, 0, 0, new Uint8Array(200)), 0x9000, 'first DEBIT segment');
          expectSw(
            await s.card.send(0x80, 0x54, 0, 1, new Uint8Array(67)),
            SW.LAST_COMMAND_OF_CHAIN_EXPECTED,
            'P2 changed',
          );
        },
      ),
      c('chaining.too-long', '6.0.2', 'a chain longer than 512 bytes answers 6884', async (s) => {
        await s.select();
        const r = await s.card.sendChained(0x80, 0x54, 0, 0, new Uint8Array(600));
        expectSw(r, SW.CHAINING_NOT_SUPPORTED, '600-byte chain');
        expectSw(await s.card.send(0x80, 0x50, 0, 0), 0x9000, 'READ PURSE after');
      }),
      c('perso.refused-when-active', '7', 'personalization commands answer 6985 when ACTIVE', async (s) => {
        expectSw(
          await s.card.send(0x80, 0xe2, 0x04, 0, encodePinBlock('0000')),
          SW.CONDITIONS_NOT_SATISFIED,
          'STORE DATA PIN',
        );
        expectSw(await s.card.send(0x80, 0xe4, 0, 0), SW.CONDITIONS_NOT_SATISFIED, 'GENERATE KEY PAIR');
        expectSw(await s.card.send(0x80, 0xe6, 0, 0), SW.CONDITIONS_NOT_SATISFIED, 'FINALIZE');
      }),
    ],
  };
  return basics;
}
