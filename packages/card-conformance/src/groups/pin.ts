/** §16.4 checks 87–103: VERIFY / CHANGE / UNBLOCK PIN and READ IDENTITY, all in secure messaging. */
import { concatBytes, toHex } from '@huduma/card-applet-spec';
import { type Card, type CheckDef, check, expectEq, expectSw, expectTrue, type GroupContext } from '../check';
import { protectCommand } from '../sm';
import { ALL_CAPS, Cap, Ins, Outcome, pinBlock, Sw } from '../wire';
import { debitOk } from './debit';

const wrongPin = (pin: string) => (pin === '0000' ? '9999' : '0000');
const wrongPuk = (puk: string) => (puk === '00000000' ? '99999999' : '00000000');

async function secure(card: Card, ctx: GroupContext, caps = ALL_CAPS, id = 'CONF-S1') {
  await card.session(await ctx.term(id, caps), 'secure');
}

async function query(card: Card): Promise<number> {
  const r = await card.smSend(0x0c, Ins.VERIFY_PIN, 0, 0x81, new Uint8Array());
  expectSw(r, 0x9000, 'VERIFY PIN query');
  return r.r!.innerSw;
}

async function changePin(card: Card, oldBlock: Uint8Array, newBlock: Uint8Array): Promise<number> {
  const r = await card.smSend(0x0c, Ins.CHANGE_PIN, 0, 0x81, concatBytes(oldBlock, newBlock), {
    encrypt: true,
  });
  expectSw(r, 0x9000, 'CHANGE PIN');
  return r.r!.innerSw;
}

async function unblock(card: Card, puk: string, pin: string): Promise<number> {
  const r = await card.smSend(0x0c, Ins.UNBLOCK_PIN, 0, 0x81, concatBytes(pinBlock(puk), pinBlock(pin)), {
    encrypt: true,
  });
  expectSw(r, 0x9000, 'UNBLOCK PIN');
  return r.r!.innerSw;
}

async function readIdentity(card: Card) {
  const r = await card.smSend(0x8c, Ins.READ_IDENTITY, 0, 0, new Uint8Array(), { decrypt: true });
  expectSw(r, 0x9000, 'READ IDENTITY (plain SW)');
  return r.r!;
}

const hexSw = (n: number) => n.toString(16).toUpperCase();

export function pinChecks(): CheckDef[] {
  return [
    check(
      87,
      'pin.plain-refused',
      '6.4',
      'VERIFY with CLA 00 and a clear PIN block answers 6987; no try consumed',
      'shared',
      async (card, ctx) => {
        await card.select();
        const before = await card.readPurse();
        expectSw(
          await card.send(0x00, Ins.VERIFY_PIN, 0, 0x81, pinBlock(wrongPin(ctx.target.pin))),
          Sw.SM_MISSING,
          'clear VERIFY',
        );
        await card.unchanged(before, 'clear VERIFY (PIN status byte included)');
      },
    ),
    check(
      88,
      'pin.status',
      '6.4',
      'the query reports 63C3 before, 9000 after verification',
      'shared',
      async (card, ctx) => {
        await secure(card, ctx);
        expectEq(hexSw(await query(card)), '63C3', 'query before');
        expectEq(hexSw(await card.verifyPin(ctx.target.pin)), '9000', 'VERIFY PIN');
        expectEq(hexSw(await query(card)), '9000', 'query after');
      },
    ),
    check(
      89,
      'pin.wrong-counts',
      '6.4',
      'a wrong PIN answers 63C2, a right one resets the counter',
      'shared',
      async (card, ctx) => {
        await secure(card, ctx);
        expectEq(hexSw(await card.verifyPin(wrongPin(ctx.target.pin))), '63C2', 'wrong PIN');
        expectEq((await card.readPurse()).pinStatus & 0x0f, 2, 'PIN tries in the purse');
        expectEq(hexSw(await card.verifyPin(ctx.target.pin)), '9000', 'right PIN');
        expectEq((await card.readPurse()).pinStatus & 0x0f, 3, 'PIN tries reset');
      },
    ),
    check(
      90,
      'pin.wrong-clears-token',
      '2.11',
      'a failed VERIFY clears the CVM token',
      'shared',
      async (card, ctx) => {
        await secure(card, ctx);
        expectEq(hexSw(await card.verifyPin(ctx.target.pin)), '9000', 'VERIFY PIN');
        expectEq(hexSw(await card.verifyPin(wrongPin(ctx.target.pin))), '63C2', 'wrong PIN');
        expectEq(hexSw(await query(card)), '63C2', 'query: no token');
        expectEq(hexSw(await card.verifyPin(ctx.target.pin)), '9000', 'VERIFY PIN (reset)');
      },
    ),
    check(
      91,
      'pin.malformed',
      '6.4',
      'a malformed block answers 6A80 and costs no try',
      'shared',
      async (card, ctx) => {
        await secure(card, ctx);
        for (const [what, block] of [
          ['3 digits', pinBlock('123')],
          ['a letter', pinBlock('12a4')],
          ['digit after FF', new Uint8Array([0x31, 0x32, 0x33, 0x34, 0xff, 0x35, 0xff, 0xff])],
        ] as const)
          expectEq(hexSw(await card.verifyPin(block)), '6A80', what);
        expectEq(hexSw(await query(card)), '63C3', 'query: no try consumed');
      },
    ),
    check(
      92,
      'pin.change',
      '6.5',
      'CHANGE PIN: wrong old PIN 63C2; right one changes it and sets the token',
      'shared',
      async (card, ctx) => {
        const pin = ctx.target.pin;
        const other = pin === '4321' ? '8765' : '4321';
        await secure(card, ctx);
        expectEq(
          hexSw(await changePin(card, pinBlock(wrongPin(pin)), pinBlock(other))),
          '63C2',
          'wrong old PIN',
        );
        expectEq(hexSw(await changePin(card, pinBlock(pin), pinBlock(other))), '9000', 'CHANGE PIN');
        expectEq(hexSw(await query(card)), '9000', 'token set');
        await secure(card, ctx);
        expectEq(hexSw(await card.verifyPin(pin)), '63C2', 'the old PIN no longer verifies');
        expectEq(hexSw(await changePin(card, pinBlock(other), pinBlock(pin))), '9000', 'change back');
        expectEq((await card.readPurse()).pinStatus & 0x0f, 3, 'tries after the change');
      },
    ),
    check(
      93,
      'pin.block',
      '6.4',
      'three wrong PINs: 63C2, 63C1, 63C0, then 6983 even for the right PIN',
      'fresh',
      async (card, ctx) => {
        await secure(card, ctx);
        for (const sw of ['63C2', '63C1', '63C0'])
          expectEq(hexSw(await card.verifyPin(wrongPin(ctx.target.pin))), sw, 'wrong PIN');
        expectEq(hexSw(await card.verifyPin(ctx.target.pin)), '6983', 'right PIN when blocked');
        expectEq(hexSw(await query(card)), '6983', 'query when blocked');
      },
    ),
    check(
      94,
      'pin.ciphertext-fresh',
      '4.7.3',
      'the same PIN block in two sessions gives different ciphertexts; both verify',
      'shared',
      async (card, ctx) => {
        const wires: string[] = [];
        for (let i = 0; i < 2; i++) {
          await secure(card, ctx);
          const sm = card.sm!;
          wires.push(
            toHex(
              protectCommand(
                sm.keys,
                sm.ssc + 1,
                { cla: 0x0c, ins: Ins.VERIFY_PIN, p1: 0, p2: 0x81 },
                pinBlock(ctx.target.pin),
                true,
              ),
            ),
          );
          expectEq(hexSw(await card.verifyPin(ctx.target.pin)), '9000', `VERIFY PIN in session ${i + 1}`);
          expectTrue(
            card.raw.log.some((l) => l.includes(wires[i]!.slice(0, 32))),
            'the ciphertext sent is the one computed',
          );
        }
        expectTrue(wires[0]!.slice(0, 32) !== wires[1]!.slice(0, 32), 'same ciphertext in two sessions');
      },
    ),
    check(
      95,
      'puk.capability',
      '6.6',
      'UNBLOCK PIN without UNBLOCK_PIN answers 9F06 and consumes no PUK try',
      'shared',
      async (card, ctx) => {
        await secure(card, ctx, ALL_CAPS & ~Cap.UNBLOCK_PIN, 'NOPUK');
        for (let i = 0; i < 2; i++)
          expectEq(
            hexSw(await unblock(card, wrongPuk(ctx.target.puk), ctx.target.pin)),
            '9F06',
            'UNBLOCK PIN',
          );
        await secure(card, ctx);
        expectEq(
          hexSw(await unblock(card, wrongPuk(ctx.target.puk), ctx.target.pin)),
          '63C9',
          'wrong PUK with the capability: 10 tries were left',
        );
        expectEq(
          hexSw(await unblock(card, ctx.target.puk, ctx.target.pin)),
          '9000',
          'right PUK (resets the PUK tries)',
        );
      },
    ),
    check(
      96,
      'puk.plain-refused',
      '6.6',
      'UNBLOCK PIN with CLA 00 answers 6987',
      'shared',
      async (card, ctx) => {
        await card.select();
        expectSw(
          await card.send(
            0x00,
            Ins.UNBLOCK_PIN,
            0,
            0x81,
            concatBytes(pinBlock(ctx.target.puk), pinBlock(ctx.target.pin)),
          ),
          Sw.SM_MISSING,
          'clear UNBLOCK PIN',
        );
      },
    ),
    check(
      97,
      'puk.unblock',
      '6.6',
      'a wrong PUK answers 63C9; the right PUK sets the PIN, tries 3, no token',
      'shared',
      async (card, ctx) => {
        await secure(card, ctx);
        expectEq(hexSw(await card.verifyPin(wrongPin(ctx.target.pin))), '63C2', 'a wrong PIN first');
        expectEq(hexSw(await unblock(card, wrongPuk(ctx.target.puk), ctx.target.pin)), '63C9', 'wrong PUK');
        expectEq(hexSw(await unblock(card, ctx.target.puk, ctx.target.pin)), '9000', 'right PUK');
        expectEq(hexSw(await query(card)), '63C3', 'PIN tries 3 and no token');
      },
    ),
    check(
      98,
      'puk.exhaust-no-terminate',
      '2.4, 3',
      'ten wrong PUKs: 63C9..63C0 then 6983; card stays ACTIVE, no-CVM debit works',
      'fresh',
      async (card, ctx) => {
        await secure(card, ctx);
        for (let left = 9; left >= 0; left--)
          expectEq(
            hexSw(await unblock(card, wrongPuk(ctx.target.puk), ctx.target.pin)),
            `63C${left}`,
            'wrong PUK',
          );
        expectEq(
          hexSw(await unblock(card, ctx.target.puk, ctx.target.pin)),
          '6983',
          'right PUK when blocked',
        );
        const fci = await card.select();
        expectEq(fci.state, 2, 'life-cycle state');
        expectTrue((fci.purse.pinStatus & 0x80) !== 0, 'PUK-blocked bit in the purse');
        await card.ensureBalance(1000);
        await debitOk(card, await ctx.term('CONF-T1'), 10, 'no-CVM debit with the PUK blocked');
      },
    ),
    check(
      99,
      'identity.secure-only',
      '6.13',
      'READ IDENTITY in a TAP session answers 6982',
      'shared',
      async (card, ctx) => {
        await card.session(await ctx.term('CONF-S1'), 'tap');
        expectSw(
          await card.smSend(0x8c, Ins.READ_IDENTITY, 0, 0, new Uint8Array()),
          Sw.SECURITY,
          'READ IDENTITY in TAP',
        );
      },
    ),
    check(
      100,
      'identity.pin-required',
      '6.13',
      'without the token answers 9F0E',
      'shared',
      async (card, ctx) => {
        await secure(card, ctx);
        expectEq(hexSw((await readIdentity(card)).innerSw), '9F0E', 'READ IDENTITY without PIN');
      },
    ),
    check(
      101,
      'identity.capability',
      '6.13',
      'without IDENTITY_READ answers 9F06 even with the token',
      'shared',
      async (card, ctx) => {
        await secure(card, ctx, Cap.DEBIT, 'NOID');
        expectEq(hexSw(await card.verifyPin(ctx.target.pin)), '9000', 'VERIFY PIN');
        expectEq(hexSw((await readIdentity(card)).innerSw), '9F06', 'READ IDENTITY without IDENTITY_READ');
      },
    ),
    check(
      102,
      'identity.happy',
      '6.13',
      'after VERIFY PIN the decrypted response is the template, R-MAC valid, token kept',
      'shared',
      async (card, ctx) => {
        await secure(card, ctx);
        expectEq(hexSw(await card.verifyPin(ctx.target.pin)), '9000', 'VERIFY PIN');
        const r = await readIdentity(card);
        if (!ctx.target.hasIdentity) {
          expectEq(hexSw(r.innerSw), '6A88', 'READ IDENTITY on a card without identity');
          return 'no identity stored';
        }
        expectEq(hexSw(r.innerSw), '9000', 'READ IDENTITY');
        const t = r.payload;
        expectEq(t[0], 0xe1, 'template tag');
        const len = t[1] === 0x81 ? t[2]! : t[1]!;
        expectEq(t.length, len + (t[1] === 0x81 ? 3 : 2), 'template length');
        expectTrue(t.length <= 224, 'template at most 224 bytes');
        expectEq(hexSw(await query(card)), '9000', 'token still set');
        // The token also still authorises a value command: READ IDENTITY moved no value.
        const p = await card.readPurse();
        if (p.balance > p.cvmLimit && p.offlineLimit - p.offlineSpend > p.cvmLimit) {
          const o = await card.debit(
            card.debitRequest(p.cvmLimit + 1),
            'DEBIT above cvmLimit after READ IDENTITY',
          );
          card.expectOutcome(o, Outcome.EXECUTED, 0x9000, 'DEBIT after READ IDENTITY');
        }
      },
    ),
    check(
      103,
      'identity.encrypted',
      '6.13',
      'no 8-byte window of the template appears in the response bytes',
      'shared',
      async (card, ctx) => {
        if (!ctx.target.hasIdentity) return 'no identity stored';
        await secure(card, ctx);
        expectEq(hexSw(await card.verifyPin(ctx.target.pin)), '9000', 'VERIFY PIN');
        const r = await readIdentity(card);
        const plain = toHex(r.payload);
        const wire = toHex(r.wire);
        for (let i = 0; i + 16 <= plain.length; i += 2)
          expectTrue(
            !wire.includes(plain.slice(i, i + 16)),
            `template bytes ${i / 2}..${i / 2 + 7} in clear`,
          );
        expectTrue(
          r.wire.length % 16 === 0 && r.wire.length > r.payload.length,
          'response is padded AES blocks',
        );
      },
    ),
  ];
}
