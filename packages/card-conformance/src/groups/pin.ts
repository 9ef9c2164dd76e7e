/** Conformance checks: VERIFY, CHANGE PIN and RESET RETRY COUNTER (§6.4-§6.6), including PIN and PUK exhaustion. */
import { decodeSelectResponse, encodePinBlock, LifeCycle, SW } from '@huduma/card-applet-spec';
import { c, expectEq, expectSw, type Group, type GroupContext } from '../check';

export function pinGroup({ target }: GroupContext): Group {
  const pin: Group = {
    name: 'pin',
    checks: [
      c(
        'pin.status',
        '6.4',
        'VERIFY without data reports 63C3 before, 9000 after verification',
        async (s) => {
          await s.select();
          expectSw(await s.card.send(0x00, 0x20, 0, 0x81), 0x63c3, 'status before');
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY correct PIN');
          expectSw(await s.card.send(0x00, 0x20, 0, 0x81), 0x9000, 'status after');
          await s.select();
          expectSw(await s.card.send(0x00, 0x20, 0, 0x81), 0x63c3, 'SELECT clears the verification');
        },
      ),
      c('pin.wrong-counts', '6.4', 'a wrong PIN answers 63C2, a right one resets the counter', async (s) => {
        const wrong = target.pin === '9999' ? '8888' : '9999';
        expectSw(await s.verifyPin(wrong), 0x63c2, 'wrong PIN');
        expectEq((await s.readPurse()).pinTriesLeft, 2, 'purse PIN tries');
        expectSw(await s.verifyPin(target.pin), 0x9000, 'right PIN');
        expectEq((await s.readPurse()).pinTriesLeft, 3, 'PIN tries after reset');
      }),
      c('pin.wrong-clears-flag', '6.4', 'a failed VERIFY clears the session verification', async (s) => {
        const wrong = target.pin === '9999' ? '8888' : '9999';
        expectSw(await s.verifyPin(target.pin), 0x9000, 'right PIN');
        expectSw(await s.verifyPin(wrong), 0x63c2, 'wrong PIN');
        expectSw(await s.card.send(0x00, 0x20, 0, 0x81), 0x63c2, 'status');
        expectSw(await s.verifyPin(target.pin), 0x9000, 'right PIN');
      }),
      c('pin.malformed', '6.4', 'a malformed PIN block answers 6A80 and costs no try', async (s) => {
        expectSw(
          await s.card.send(
            0x00,
            0x20,
            0,
            0x81,
            new Uint8Array([0x31, 0x32, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
          ),
          SW.WRONG_DATA,
          '2 digits',
        );
        expectSw(
          await s.card.send(
            0x00,
            0x20,
            0,
            0x81,
            new Uint8Array([0x31, 0x32, 0x33, 0x34, 0xff, 0x35, 0xff, 0xff]),
          ),
          SW.WRONG_DATA,
          'digit after padding',
        );
        expectEq((await s.readPurse()).pinTriesLeft, 3, 'PIN tries');
      }),
      c('pin.change', '6.5', 'CHANGE PIN: wrong old PIN 63C2; right one changes it', async (s) => {
        const wrong = target.pin === '9999' ? '8888' : '9999';
        const next = target.pin === '24680' ? '13579' : '24680';
        const change = (a: string, b: string) =>
          s.card.send(0x00, 0x24, 0, 0x81, new Uint8Array([...encodePinBlock(a), ...encodePinBlock(b)]));
        expectSw(await change(wrong, next), 0x63c2, 'wrong old PIN');
        expectSw(
          await s.card.send(
            0x00,
            0x24,
            0,
            0x81,
            new Uint8Array([...encodePinBlock(target.pin), 0x31, ...new Uint8Array(7)]),
          ),
          SW.WRONG_DATA,
          'malformed new PIN',
        );
        expectSw(await change(target.pin, next), 0x9000, 'change');
        await s.select();
        expectSw(await s.verifyPin(next), 0x9000, 'new PIN verifies');
        expectSw(await change(next, target.pin), 0x9000, 'change back');
        expectEq((await s.readPurse()).pinTriesLeft, 3, 'PIN tries');
      }),
    ],
  };
  return pin;
}

export function pinBlockGroup({ target }: GroupContext): Group {
  const pinBlock: Group = {
    name: 'pin-exhaustion',
    destructive: true,
    checks: [
      c(
        'pin.block',
        '6.4',
        'three wrong PINs: 63C2, 63C1, 63C0, then 6983 even for the right PIN',
        async (s) => {
          await s.select();
          const wrong = target.pin === '9999' ? '8888' : '9999';
          for (const sw of [0x63c2, 0x63c1, 0x63c0]) expectSw(await s.verifyPin(wrong), sw, 'wrong PIN');
          expectSw(await s.verifyPin(target.pin), SW.AUTH_METHOD_BLOCKED, 'right PIN when blocked');
          expectSw(await s.card.send(0x00, 0x20, 0, 0x81), SW.AUTH_METHOD_BLOCKED, 'status');
          expectEq((await s.readPurse()).pinTriesLeft, 0, 'purse PIN tries');
        },
      ),
      c('pin.unblock', '6.6', 'UNBLOCK PIN: wrong PUK 63C9; right PUK sets a new PIN', async (s) => {
        const wrongPuk = target.puk === '99999999' ? '88888888' : '99999999';
        const unblock = (puk: string, pin: string) =>
          s.card.send(
            0x00,
            0x2c,
            0,
            0x81,
            new Uint8Array([...encodePinBlock(puk, 'PUK'), ...encodePinBlock(pin)]),
          );
        expectSw(await unblock(wrongPuk, '4321'), 0x63c9, 'wrong PUK');
        expectSw(await unblock(target.puk, '4321'), 0x9000, 'UNBLOCK');
        expectSw(await s.verifyPin('4321'), 0x9000, 'new PIN');
        expectEq((await s.readPurse()).pinTriesLeft, 3, 'PIN tries');
      }),
    ],
  };
  return pinBlock;
}

export function pukExhaustGroup({ target }: GroupContext): Group {
  const pukExhaust: Group = {
    name: 'puk-exhaustion',
    destructive: true,
    checks: [
      c('puk.terminate', '6.6', 'ten wrong PUKs: 63C9..63C0 and the card is TERMINATED', async (s) => {
        await s.select();
        const wrongPuk = target.puk === '99999999' ? '88888888' : '99999999';
        for (let left = 9; left >= 0; left--) {
          const r = await s.card.send(
            0x00,
            0x2c,
            0,
            0x81,
            new Uint8Array([...encodePinBlock(wrongPuk, 'PUK'), ...encodePinBlock('4321')]),
          );
          expectSw(r, 0x63c0 | left, `wrong PUK, ${left} left`);
        }
      }),
      c(
        'terminated.select',
        '3',
        'a TERMINATED card answers SELECT with the FCI and 6285, everything else 9F0D',
        async (s) => {
          const r = await s.select(SW.SELECTED_FILE_TERMINATED);
          expectEq(decodeSelectResponse(r.data).lifeCycle, LifeCycle.TERMINATED, 'FCI life cycle');
          expectSw(await s.card.send(0x80, 0x50, 0, 0), SW.CARD_TERMINATED, 'READ PURSE');
          expectSw(await s.card.send(0x00, 0x84, 0, 0), SW.CARD_TERMINATED, 'GET CHALLENGE');
          expectSw(
            await s.card.send(0x00, 0x2c, 0, 0x81, new Uint8Array(16)),
            SW.CARD_TERMINATED,
            'UNBLOCK PIN',
          );
          expectSw(await s.card.send(0x80, 0xe6, 0, 0), SW.CARD_TERMINATED, 'FINALIZE');
        },
      ),
    ],
  };
  return pukExhaust;
}
