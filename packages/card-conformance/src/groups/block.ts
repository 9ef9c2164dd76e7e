/** §16.5 checks 104–110: BLOCK CARD and the BLOCKED state. */
import { concatBytes, u32 } from '@huduma/card-applet-spec';
import {
  type Card,
  type CheckDef,
  check,
  expectEq,
  expectSw,
  expectTrue,
  type GroupContext,
  now,
} from '../check';
import { AID_V2, ALL_CAPS, Cap, encodeDebitRequest, Ins, State, Sw } from '../wire';
import { getTransaction } from './recovery';

const blockBody = (seq: number) => concatBytes(new Uint8Array([1]), u32(seq), u32(now()));

async function blockCard(card: Card, ctx: GroupContext, inner = 0x9000) {
  await card.session(await ctx.term('CONF-BLK', ALL_CAPS));
  await card.smExpect(Ins.BLOCK_CARD, blockBody(card.nextSeq()), inner, 'BLOCK CARD');
}

/** A fresh card with one debit in its ring, then blocked. */
async function blockedCard(card: Card, ctx: GroupContext) {
  await card.ensureBalance(1000);
  await card.session(await ctx.term('CONF-T1'));
  await card.readPurse();
  await card.debit(card.debitRequest(10));
  await blockCard(card, ctx);
  await card.select(Sw.CARD_BLOCKED_SELECTED);
}

export function blockChecks(): CheckDef[] {
  return [
    check(
      104,
      'block.capability',
      '6.14',
      'BLOCK CARD without BLOCK answers 9F06',
      'shared',
      async (card, ctx) => {
        await card.session(await ctx.term('NOBLK', Cap.DEBIT));
        const before = await card.readPurse();
        await card.smExpect(
          Ins.BLOCK_CARD,
          blockBody(card.nextSeq()),
          Sw.CAPABILITY,
          'BLOCK CARD without BLOCK',
        );
        await card.unchanged(before, 'BLOCK CARD refused');
      },
    ),
    check(105, 'block.happy', '6.14', 'ACTIVE → BLOCKED, counter unchanged', 'fresh', async (card, ctx) => {
      const before = await card.readPurse();
      await blockCard(card, ctx);
      const after = await card.readPurse();
      expectEq(after.state, State.BLOCKED, 'state');
      expectEq(after.counter, before.counter, 'counter');
      expectEq(after.balance, before.balance, 'balance');
    }),
    check(
      106,
      'block.idempotent',
      '6.14',
      'BLOCK CARD on a BLOCKED card answers 9000 and changes nothing',
      'fresh',
      async (card, ctx) => {
        await blockCard(card, ctx);
        await card.select(Sw.CARD_BLOCKED_SELECTED);
        const before = await card.readPurse();
        await blockCard(card, ctx);
        await card.unchanged(before, 'second BLOCK CARD');
      },
    ),
    check(
      107,
      'blocked.select',
      '3',
      'a BLOCKED card answers SELECT 6283 with the FCI',
      'fresh',
      async (card, ctx) => {
        await blockCard(card, ctx);
        const fci = await card.select(Sw.CARD_BLOCKED_SELECTED);
        expectEq(fci.state, State.BLOCKED, 'FCI state');
      },
    ),
    check(
      108,
      'blocked.refuses',
      '3',
      'value and PIN commands answer 9F0B when BLOCKED',
      'fresh',
      async (card, ctx) => {
        await blockedCard(card, ctx);
        const before = await card.readPurse();
        await card.getChallenge();
        const auth = await card.loadAuthorization(1);
        expectSw(await card.send(0x80, Ins.RELOAD, 0, 0, auth, 0), Sw.CARD_BLOCKED, 'RELOAD');
        await card.select(Sw.CARD_BLOCKED_SELECTED);
        await card.open(await ctx.term('CONF-BLK', ALL_CAPS), 'secure');
        for (const [what, cla, ins, p2, payload, enc] of [
          ['DEBIT', 0x8c, Ins.DEBIT, 0, encodeDebitRequest(card.debitRequest(1)), false],
          ['VERIFY PIN', 0x0c, Ins.VERIFY_PIN, 0x81, new Uint8Array(8).fill(0xff), true],
          ['READ IDENTITY', 0x8c, Ins.READ_IDENTITY, 0, new Uint8Array(), false],
        ] as const) {
          const r = await card.smSend(cla, ins, 0, p2, payload, { encrypt: enc });
          expectSw(r, Sw.CARD_BLOCKED, `${what} when BLOCKED`);
        }
        await card.unchanged(before, 'refusals when BLOCKED');
      },
    ),
    check(
      109,
      'blocked.reads',
      '3',
      'READ PURSE, READ RECORD, GET TRANSACTION, GET DATA work when BLOCKED',
      'fresh',
      async (card, ctx) => {
        await blockedCard(card, ctx);
        const p = await card.readPurse();
        expectSw(await card.send(0x00, Ins.READ_RECORD, 1, 4, undefined, 0), 0x9000, 'READ RECORD 1');
        const a = await getTransaction(card, p.counter);
        expectEq(a.status, 1, 'GET TRANSACTION of the last debit: FOUND');
        await card.readCert();
      },
    ),
    check(
      110,
      'state.no-terminated',
      '3',
      'no check sequence leaves a card reporting state 04',
      'shared',
      async (card) => {
        const r = await card.send(0x00, Ins.SELECT, 0x04, 0x00, AID_V2, 0);
        expectTrue(r.sw === 0x9000 || r.sw === 0x6283, `SELECT answered ${r.sw.toString(16)}`);
        const p = await card.readPurse();
        expectTrue(p.state !== 4, 'the card reports state 04');
        return 'see also puk.exhaust-no-terminate (98): exhaustion leaves the card ACTIVE';
      },
    ),
  ];
}
