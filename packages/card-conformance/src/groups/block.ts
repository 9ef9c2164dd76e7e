/** Conformance checks: BLOCK CARD (§6.13). */
import {
  BlockReason,
  decodeSelectResponse,
  encodeBlockRequest,
  encodeRecoveryRequest,
  INS,
  LifeCycle,
  SW,
} from '@huduma/card-applet-spec';
import { c, expectEq, expectSw, type Group, type GroupContext, now } from '../check';

export function blockGroup({ target, term, shared }: GroupContext): Group {
  const block: Group = {
    name: 'block',
    destructive: true,
    checks: [
      c('block.happy', '6.14', 'BLOCK CARD: ACTIVE -> BLOCKED, counter unchanged', async (s) => {
        shared.shop = await term('CONF-B1');
        await s.select();
        await s.loadCardKey();
        await s.ensureBalance(1000);
        await s.select();
        const before = s.purse;
        const body = encodeBlockRequest({
          reason: BlockReason.LOST_OR_STOLEN,
          terminalSeq: s.nextSeq(),
          time: now(),
        });
        expectSw(await s.auth(INS.BLOCK_CARD, shared.shop, body), 0x9000, 'BLOCK CARD');
        const after = await s.readPurse();
        expectEq(after.lifeCycle, LifeCycle.BLOCKED, 'life cycle');
        expectEq(after.counter, before.counter, 'counter');
        expectEq(after.balance, before.balance, 'balance');
      }),
      c('blocked.select', '3', 'a BLOCKED card answers SELECT 6283 with the FCI', async (s) => {
        const r = await s.select(SW.SELECTED_FILE_DEACTIVATED);
        expectEq(decodeSelectResponse(r.data).lifeCycle, LifeCycle.BLOCKED, 'FCI life cycle');
      }),
      c('blocked.refuses', '3', 'a BLOCKED card refuses value and PIN commands with 9F0B', async (s) => {
        await s.select(SW.SELECTED_FILE_DEACTIVATED);
        expectSw(
          await s.auth(INS.DEBIT, shared.shop, s.debitBody(10, s.nextSeq())),
          SW.CARD_BLOCKED,
          'DEBIT',
        );
        expectSw(await s.verifyPin(target.pin), SW.CARD_BLOCKED, 'VERIFY PIN');
        expectSw(await s.card.send(0x80, 0x58, 0, 0, new Uint8Array(144)), SW.CARD_BLOCKED, 'RELOAD');
        expectSw(await s.card.send(0x80, 0xe6, 0, 0), SW.CARD_BLOCKED, 'FINALIZE');
      }),
      c(
        'blocked.reads',
        '3',
        'a BLOCKED card still answers READ PURSE, READ RECORD, GET LAST TRANSACTION, GET DATA',
        async (s) => {
          expectSw(await s.card.send(0x80, 0x50, 0, 0), 0x9000, 'READ PURSE');
          expectSw(await s.card.send(0x00, 0xb2, 1, 4), 0x9000, 'READ RECORD 1');
          expectSw(await s.card.send(0x00, 0xca, 0x7f, 0x21), 0x9000, 'GET DATA');
          const req = encodeRecoveryRequest({
            terminalId: 'CONF-B1',
            terminalSeq: 1,
            terminalNonce: new Uint8Array(8),
          });
          expectSw(await s.card.send(0x80, 0x5a, 0, 0, req), 0x9000, 'GET LAST TRANSACTION');
        },
      ),
      c(
        'block.idempotent',
        '6.14',
        'BLOCK CARD on a BLOCKED card answers 9000 and changes nothing',
        async (s) => {
          await s.select(SW.SELECTED_FILE_DEACTIVATED);
          const body = encodeBlockRequest({
            reason: BlockReason.DENY_LISTED,
            terminalSeq: s.nextSeq(),
            time: now(),
          });
          expectSw(await s.auth(INS.BLOCK_CARD, shared.shop, body), 0x9000, 'BLOCK CARD again');
          expectEq((await s.readPurse()).lifeCycle, LifeCycle.BLOCKED, 'life cycle');
        },
      ),
    ],
  };
  return block;
}
