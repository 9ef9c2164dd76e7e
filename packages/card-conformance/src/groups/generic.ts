/** §16.1 checks 1–21: SELECT, GET CHALLENGE, GET DATA, READ PURSE, generic processing, chaining. */
import { isValidPublicKey, toHex } from '@huduma/card-applet-spec';
import { type Card, type CheckDef, check, expectEq, expectSw, expectTrue, type GroupContext } from '../check';
import { AID_V2, encodeDebitRequest, Ins, KES, Sw, verifyCardCert } from '../wire';

/** A harmless SM probe: DEBIT of amount 0 is REFUSED 6A80 by every card (§6.8 step 2). */
export async function probe(card: Card) {
  return card.smSend(0x8c, Ins.DEBIT, 0, 0, encodeDebitRequest(card.debitRequest(0)));
}

/** The first 100 bytes of a REGISTER TERMINAL chain (a chain in progress). */
async function startChain(card: Card, ctx: GroupContext) {
  const t = await ctx.term('CONF-CH1');
  expectSw(
    await card.send(0x90, Ins.REGISTER_TERMINAL, 0, 0, t.certificate.subarray(0, 100)),
    0x9000,
    'first chain segment',
  );
  return t;
}

export function genericChecks(): CheckDef[] {
  return [
    check(
      1,
      'select.fci',
      '6.1',
      'SELECT returns the 96-byte FCI, version 02, purse, profile, 9000 when ACTIVE',
      'shared',
      async (card) => {
        const fci = await card.select();
        expectEq(fci.version, 2, 'applet version');
        expectEq(fci.state, 2, 'life-cycle state');
        expectEq(fci.purse.state, 2, 'purse life-cycle byte');
        expectEq(fci.purse.currency, KES, 'currency');
        expectTrue(
          fci.profile === 0 || fci.profile === 1,
          `crypto profile ${fci.profile} is neither 00 nor 01`,
        );
        return `card ${toHex(fci.cardNumber)}, balance ${fci.purse.balance}, counter ${fci.purse.counter}, profile ${fci.profile}`;
      },
    ),
    check(2, 'select.fresh-challenge', '6.1', 'each SELECT gives a fresh RND.C', 'shared', async (card) => {
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add(toHex((await card.select()).challenge));
      expectEq(seen.size, 4, 'distinct challenges from 4 SELECTs');
    }),
    check(
      3,
      'select.foreign-aid-any-length',
      '6.1',
      'foreign AIDs of 5, 11 (v1), 16 bytes and no data answer 6A82',
      'shared',
      async (card) => {
        const v1 = new Uint8Array([0xf0, 0x48, 0x55, 0x44, 0x55, 0x4d, 0x41, 0x50, 0x41, 0x59, 0x01]);
        for (const [what, aid] of [
          ['5-byte AID', v1.subarray(0, 5)],
          ['v1 AID', v1],
          ['16-byte AID', new Uint8Array(16).fill(0xa0)],
        ] as const)
          expectSw(
            await card.send(0x00, Ins.SELECT, 0x04, 0x00, aid, 0),
            Sw.APPLET_NOT_FOUND,
            `SELECT ${what}`,
          );
        expectSw(
          await card.send(0x00, Ins.SELECT, 0x04, 0x00, undefined, 0),
          Sw.APPLET_NOT_FOUND,
          'SELECT without data',
        );
        await card.select();
      },
    ),
    check(
      4,
      'select.destroys-session',
      '2.10',
      'after SELECT an SM command of the previous session answers 6982',
      'shared',
      async (card, ctx) => {
        await card.session(await ctx.term('CONF-T1'));
        const sm = card.sm!;
        await card.select();
        card.sm = sm;
        expectSw(await probe(card), Sw.SECURITY, 'SM command after SELECT');
      },
    ),
    check(
      5,
      'get-challenge.fresh',
      '6.2',
      'GET CHALLENGE returns 16 fresh bytes and destroys the session',
      'shared',
      async (card, ctx) => {
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) seen.add(toHex(await card.getChallenge()));
        expectEq(seen.size, 4, 'distinct challenges');
        await card.session(await ctx.term('CONF-T1'));
        const sm = card.sm!;
        await card.getChallenge();
        card.sm = sm;
        expectSw(await probe(card), Sw.SECURITY, 'SM command after GET CHALLENGE');
      },
    ),
    check(
      6,
      'get-data.certificate',
      '6.3, 5',
      'GET DATA 7F21: 230 bytes, v02 type 01, keys on P-256, verifies, names the card',
      'shared',
      async (card, ctx) => {
        await card.select();
        const cert = await card.readCert();
        expectEq(cert.version, 2, 'certificate version');
        expectEq(cert.type, 1, 'certificate type');
        expectTrue(verifyCardCert(cert, ctx.keys.issuerCaPublicKey), 'issuer CA signature');
        expectEq(toHex(cert.cardNumber), toHex(card.cardNumber), 'certificate card number = FCI card number');
        expectEq(toHex(cert.merchantId), '0000000000000000', 'merchantId');
        expectEq(cert.capabilities, 0, 'capabilities');
        expectTrue(cert.notAfter >= cert.notBefore, 'notAfter >= notBefore');
        for (const [what, key] of [
          ['PK.card', cert.pkCard],
          ['QA.card', cert.qaCard],
        ] as const) {
          expectTrue(isValidPublicKey(key), `${what} is not a P-256 point`);
          expectEq(key[0], 4, `${what} uncompressed`);
        }
        expectTrue(
          toHex(cert.pkCard) !== toHex(cert.qaCard),
          'PK.card and QA.card are one key (§2.5: two key pairs)',
        );
      },
    ),
    check(
      7,
      'read-purse',
      '6.7',
      'READ PURSE returns 40 bytes equal to the FCI purse',
      'shared',
      async (card) => {
        const fci = await card.select();
        const purse = await card.readPurse();
        expectEq(toHex(purse.bytes), toHex(fci.purse.bytes), 'READ PURSE = FCI purse');
      },
    ),
    check(8, 'generic.cla', '6.0.3', 'unknown CLA answers 6E00', 'shared', async (card) => {
      for (const cla of [0xa0, 0x84, 0x04, 0xe0])
        expectSw(
          await card.send(cla, Ins.READ_PURSE, 0, 0, undefined, 0),
          Sw.CLA_NOT_SUPPORTED,
          `CLA ${cla.toString(16)}`,
        );
    }),
    check(9, 'generic.ins', '6.0.3', 'unknown INS for the class answers 6D00', 'shared', async (card) => {
      expectSw(await card.send(0x80, 0x12, 0, 0, undefined, 0), Sw.INS_NOT_SUPPORTED, 'CLA 80 INS 12');
      expectSw(
        await card.send(0x00, Ins.READ_PURSE, 0, 0, undefined, 0),
        Sw.INS_NOT_SUPPORTED,
        'READ PURSE with CLA 00',
      );
      expectSw(
        await card.send(0x80, Ins.GET_CHALLENGE, 0, 0, undefined, 0),
        Sw.INS_NOT_SUPPORTED,
        'GET CHALLENGE with CLA 80',
      );
    }),
    check(
      10,
      'generic.logical-channel',
      '6.0.3',
      'a logical channel other than 0 answers 6881',
      'shared',
      async (card) => {
        for (const cla of [0x01, 0x03, 0x0d, 0x40, 0x7f])
          expectSw(
            await card.send(cla, Ins.GET_CHALLENGE, 0, 0, undefined, 16),
            Sw.LOGICAL_CHANNEL,
            `CLA ${cla.toString(16)}`,
          );
      },
    ),
    check(11, 'generic.p1p2', '6.0.3', 'wrong P1-P2 answers 6A86', 'shared', async (card) => {
      expectSw(await card.send(0x00, Ins.GET_DATA, 0x7f, 0x22, undefined, 0), Sw.WRONG_P1P2, 'GET DATA 7F22');
      expectSw(
        await card.send(0x80, Ins.READ_PURSE, 0x01, 0, undefined, 0),
        Sw.WRONG_P1P2,
        'READ PURSE P1 01',
      );
      expectSw(
        await card.send(0x00, Ins.GET_CHALLENGE, 0, 0x01, undefined, 16),
        Sw.WRONG_P1P2,
        'GET CHALLENGE P2 01',
      );
      expectSw(
        await card.send(0x80, Ins.OPEN_SESSION, 0x02, 0, new Uint8Array(24), 8),
        Sw.WRONG_P1P2,
        'OPEN SESSION P1 02',
      );
    }),
    check(
      12,
      'generic.lc',
      '6.0.3',
      'wrong Lc answers 6700; for SM commands the session is kept',
      'shared',
      async (card, ctx) => {
        await card.select();
        expectSw(
          await card.send(0x80, Ins.READ_PURSE, 0, 0, new Uint8Array(1), 0),
          Sw.WRONG_LENGTH,
          'READ PURSE with data',
        );
        expectSw(
          await card.send(0x80, Ins.GET_TRANSACTION, 0, 0, new Uint8Array(11), 0),
          Sw.WRONG_LENGTH,
          'GET TRANSACTION Lc 0B',
        );
        await card.session(await ctx.term('CONF-T1'));
        const before = await card.readPurse();
        const r = await card.smSend(0x8c, Ins.DEBIT, 0, 0, encodeDebitRequest(card.debitRequest(1)), {
          extra: 1,
        });
        expectSw(r, Sw.WRONG_LENGTH, 'DEBIT with a wrapped length of 53');
        await card.unchanged(before, 'after 6700');
        const probeR = await probe(card);
        expectSw(probeR, 0x9000, 'the next SM command (session kept, SSC not incremented)');
      },
    ),
    check(
      13,
      'generic.le-ignored',
      '6.0.1',
      'no Le, Le 00 and an exact Le all work',
      'shared',
      async (card) => {
        for (const le of [undefined, 0, 40]) {
          const r = await card.send(0x80, Ins.READ_PURSE, 0, 0, undefined, le);
          expectSw(r, 0x9000, `READ PURSE Le ${le ?? 'absent'}`);
          expectEq(r.data.length, 40, 'purse length');
        }
      },
    ),
    check(
      14,
      'generic.sm-missing',
      '4.7.5',
      'DEBIT, VERIFY PIN, STORE DATA with a plain CLA answer 6987',
      'shared',
      async (card) => {
        await card.select();
        expectSw(
          await card.send(0x80, Ins.DEBIT, 0, 0, encodeDebitRequest(card.debitRequest(1)), 0),
          Sw.SM_MISSING,
          'DEBIT CLA 80',
        );
        expectSw(
          await card.send(0x00, Ins.VERIFY_PIN, 0, 0x81, new Uint8Array(8).fill(0xff), 0),
          Sw.SM_MISSING,
          'VERIFY PIN CLA 00',
        );
        expectSw(
          await card.send(0x80, Ins.STORE_DATA, 1, 0, new Uint8Array(8)),
          Sw.SM_MISSING,
          'STORE DATA CLA 80',
        );
      },
    ),
    check(
      15,
      'generic.sm-unexpected',
      '6.0.3',
      'READ PURSE with CLA 8C answers 6E00',
      'shared',
      async (card) => {
        expectSw(
          await card.send(0x8c, Ins.READ_PURSE, 0, 0, undefined, 0),
          Sw.CLA_NOT_SUPPORTED,
          'READ PURSE CLA 8C',
        );
      },
    ),
    check(
      16,
      'chaining.not-chainable',
      '6.0.2',
      'a chained segment of a non-chainable command answers 6884',
      'shared',
      async (card) => {
        expectSw(
          await card.send(0x90, Ins.GET_TRANSACTION, 0, 0, new Uint8Array(6)),
          Sw.CHAINING_NOT_SUPPORTED,
          'GET TRANSACTION CLA 90',
        );
        expectSw(
          await card.send(0x10, Ins.GET_DATA, 0x7f, 0x21, undefined),
          Sw.CHAINING_NOT_SUPPORTED,
          'GET DATA CLA 10',
        );
        await card.readPurse();
      },
    ),
    check(
      17,
      'chaining.interrupted',
      '6.0.2',
      'another valid command in a chain answers 6883 and aborts the chain',
      'shared',
      async (card, ctx) => {
        const t = await startChain(card, ctx);
        expectSw(
          await card.send(0x80, Ins.READ_PURSE, 0, 0, undefined, 0),
          Sw.CHAIN_EXPECTED,
          'READ PURSE inside a chain',
        );
        await card.readPurse();
        // The chain is gone: the last segment alone is a REGISTER TERMINAL of 65 bytes.
        expectSw(
          await card.send(0x80, Ins.REGISTER_TERMINAL, 0, 0, t.certificate.subarray(100), 0),
          Sw.WRONG_LENGTH,
          'the rest of the aborted chain',
        );
        const sel = await card.send(0x90, Ins.REGISTER_TERMINAL, 0, 0, t.certificate.subarray(0, 100));
        expectSw(sel, 0x9000, 'new chain');
        expectSw(
          await card.send(0x00, Ins.SELECT, 0x04, 0x00, AID_V2, 0),
          Sw.CHAIN_EXPECTED,
          'SELECT inside a chain',
        );
        await card.select();
      },
    ),
    check(
      18,
      'chaining.interrupted-bad-cla',
      '6.0.2',
      'an unsupported CLA inside a chain answers 6883, not 6E00',
      'shared',
      async (card, ctx) => {
        await startChain(card, ctx);
        expectSw(
          await card.send(0xa0, Ins.READ_PURSE, 0, 0, undefined, 0),
          Sw.CHAIN_EXPECTED,
          'CLA A0 inside a chain',
        );
        await card.readPurse();
      },
    ),
    check(
      19,
      'chaining.interrupted-bad-ins',
      '6.0.2',
      'an unknown INS inside a chain answers 6883, not 6D00',
      'shared',
      async (card, ctx) => {
        await startChain(card, ctx);
        expectSw(await card.send(0x80, 0x12, 0, 0, undefined, 0), Sw.CHAIN_EXPECTED, 'INS 12 inside a chain');
        await card.readPurse();
      },
    ),
    check(
      20,
      'chaining.too-long',
      '6.0.2',
      'a chain longer than 255 bytes answers 6884',
      'shared',
      async (card) => {
        expectSw(
          await card.send(0x90, Ins.REGISTER_TERMINAL, 0, 0, new Uint8Array(200)),
          0x9000,
          'segment 1 (200)',
        );
        const r = await card.send(0x90, Ins.REGISTER_TERMINAL, 0, 0, new Uint8Array(100));
        if (r.sw === 0x9000)
          expectSw(
            await card.send(0x80, Ins.REGISTER_TERMINAL, 0, 0, new Uint8Array(10), 0),
            Sw.CHAINING_NOT_SUPPORTED,
            'last segment (310 bytes assembled)',
          );
        else expectSw(r, Sw.CHAINING_NOT_SUPPORTED, 'segment 2 (300 bytes assembled)');
        await card.readPurse();
      },
    ),
    check(
      21,
      'chaining.small-segments',
      '6.0.2',
      'REGISTER TERMINAL and RELOAD chained in 100-byte segments work',
      'shared',
      async (card, ctx) => {
        await card.select();
        const t = await ctx.term('CONF-CH2');
        const r = await card.raw.sendChained(0x80, Ins.REGISTER_TERMINAL, 0, 0, t.certificate, 0, 100);
        expectSw(r, 0x9000, 'chained REGISTER TERMINAL');
        expectEq(toHex(r.data), toHex(t.certId), 'termCertId');
        await card.open(t, 'tap');
        const reload = await card.reload(0, {}, 100);
        expectSw(reload, 0x9000, 'chained RELOAD');
      },
    ),
  ];
}
