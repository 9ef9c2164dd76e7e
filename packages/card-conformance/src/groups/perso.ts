/** §16.6 checks 111–121 (personalization of blank cards) and 56 (a card set up for the overflow). */
import { concatBytes } from '@huduma/card-applet-spec';
import {
  type Card,
  type CheckDef,
  CheckFailure,
  check,
  expectEq,
  expectSw,
  expectTrue,
  type GroupContext,
  NotRun,
} from '../check';
import {
  CONFORMANCE_PROFILE,
  PersoError,
  PersoSession,
  personalizeRaw,
  purseParameters,
  signCardCertificate,
} from '../perso';
import { AID_V2, bcd, Ins, Outcome, pinBlock, Sw } from '../wire';
import { debitOk } from './debit';

const hex = (n: number) => n.toString(16).toUpperCase();

/** A blank card with an authenticated PERSO session. */
async function perso(card: Card, ctx: GroupContext): Promise<PersoSession> {
  if (!ctx.keys.installKeys)
    throw new NotRun('the target gives no install keys (keys.installKeys) for its blank cards');
  expectSw(await card.send(0x00, Ins.SELECT, 0x04, 0x00, AID_V2, 0), 0x9000, 'SELECT blank card');
  const s = new PersoSession(card.raw, ctx.keys);
  expectEq(hex(await s.initialize(crypto.getRandomValues(new Uint8Array(16)))), '9000', 'INITIALIZE PERSO');
  const a = await s.authenticate();
  expectEq(hex(a.inner), '9000', 'EXTERNAL AUTHENTICATE PERSO');
  return s;
}

async function personalize(card: Card, ctx: GroupContext, profile = CONFORMANCE_PROFILE) {
  if (!ctx.keys.installKeys)
    throw new NotRun('the target gives no install keys (keys.installKeys) for its blank cards');
  try {
    await personalizeRaw(card.raw, ctx.keys, profile);
  } catch (err) {
    if (err instanceof PersoError) throw new CheckFailure(err.message);
    throw err;
  }
}

export function persoChecks(): CheckDef[] {
  return [
    check(
      56,
      'debit.offline-overflow',
      '6.8, 1',
      'a 33-bit limit sum ≥ 2³² (limits FFFFFFFF) is REFUSED, never EXECUTED',
      'blank',
      async (card, ctx) => {
        // offlineSpend + balance never exceeds the balance at the last RELOAD (< 2³²), and §6.8
        // checks the balance (step 8) before the offline limit (step 9): the offline sum cannot
        // reach 2³² through any command sequence. noCvmSpend survives RELOADs, so its sum (step 10)
        // can: that is the 33-bit rule a card can be caught breaking.
        const max = 0xffffffff;
        const half = 0x80000000;
        await personalize(card, ctx, {
          ...CONFORMANCE_PROFILE,
          maxBalance: max,
          offlineLimit: max,
          cvmLimit: max,
          noCvmLimit: max,
        });
        await card.select();
        await card.readCert();
        expectSw(await card.reload(max), 0x9000, 'RELOAD FFFFFFFF');
        const t = await ctx.term('CONF-T1');
        await debitOk(card, t, half, 'DEBIT 80000000 without PIN');
        expectSw(await card.reload(half), 0x9000, 'RELOAD 80000000 (offlineSpend 0, noCvmSpend kept)');
        await card.session(t);
        const before = await card.readPurse();
        expectEq(before.noCvmSpend, half, 'noCvmSpend');
        const o = await card.debit(card.debitRequest(half), 'DEBIT 80000000 again');
        card.expectOutcome(o, Outcome.REFUSED, Sw.CVM_REQUIRED, 'noCvmSpend + amount = 2³²');
        await card.unchanged(before, 'overflowing DEBIT');
        return 'the offlineSpend sum cannot reach 2³² (balance is checked first): the noCvmSpend sum is tested';
      },
    ),
    check(
      111,
      'perso.select-blank',
      '6.1',
      'a blank card answers SELECT 9000 in PERSONALIZATION with a zero card number',
      'blank',
      async (card) => {
        const fci = await card.select();
        expectEq(fci.state, 1, 'state');
        expectEq(
          fci.cardNumber.every((b) => b === 0),
          true,
          'card number zeros',
        );
        expectSw(
          await card.send(0x80, Ins.READ_PURSE, 0, 0, undefined, 0),
          0x9000,
          'READ PURSE in PERSONALIZATION',
        );
        expectSw(
          await card.send(0x00, Ins.GET_DATA, 0x7f, 0x21, undefined, 0),
          Sw.NOT_FOUND,
          'GET DATA without a certificate',
        );
      },
    ),
    check(
      112,
      'perso.unauthenticated',
      '7',
      'perso commands with a plain CLA answer 6987; with SM and no session 6982',
      'blank',
      async (card, ctx) => {
        await card.select();
        expectSw(
          await card.send(0x80, Ins.STORE_DATA, 1, 0, new Uint8Array(8)),
          Sw.SM_MISSING,
          'STORE DATA CLA 80',
        );
        expectSw(
          await card.send(0x80, Ins.GENERATE_KEY_PAIR, 1, 0, new Uint8Array(16), 0),
          Sw.SM_MISSING,
          'GENERATE KEY PAIR CLA 80',
        );
        expectSw(await card.send(0x80, Ins.FINALIZE, 0, 0, undefined, 0), Sw.SM_MISSING, 'FINALIZE CLA 80');
        expectSw(
          await card.send(0x8c, Ins.STORE_DATA, 1, 0, new Uint8Array(24)),
          Sw.SECURITY,
          'STORE DATA CLA 8C, no session',
        );
        expectSw(
          await card.send(0x8c, Ins.GENERATE_KEY_PAIR, 1, 0, new Uint8Array(24), 0),
          Sw.SECURITY,
          'GENERATE KEY PAIR CLA 8C, no session',
        );
        expectSw(
          await card.send(0x8c, Ins.FINALIZE, 0, 0, new Uint8Array(8), 0),
          Sw.SECURITY,
          'FINALIZE CLA 8C, no session',
        );
        if (!ctx.keys.installKeys) return 'not-authenticated session case not run: no install keys';
        const s = new PersoSession(card.raw, ctx.keys);
        expectEq(hex(await s.initialize(new Uint8Array(16).fill(1))), '9000', 'INITIALIZE PERSO');
        expectSw(
          await s.storeData(1, bcd(CONFORMANCE_PROFILE.cardNumber)),
          Sw.SECURITY,
          'STORE DATA before EXTERNAL AUTHENTICATE',
        );
      },
    ),
    check(
      113,
      'perso.card-cryptogram',
      '7.2',
      "INITIALIZE PERSO's card cryptogram verifies with K.perso of the chipSerial",
      'blank',
      async (card, ctx) => {
        const s = await perso(card, ctx); // initialize() verifies the cryptogram
        return `chipSerial ${Array.from(s.chipSerial, (b) => b.toString(16).padStart(2, '0')).join('')}`;
      },
    ),
    check(
      114,
      'perso.bad-host-cryptogram',
      '7.3',
      'a wrong host cryptogram answers inner 6982 and destroys the session',
      'blank',
      async (card, ctx) => {
        if (!ctx.keys.installKeys) throw new NotRun('no install keys');
        await card.select();
        const s = new PersoSession(card.raw, ctx.keys);
        expectEq(hex(await s.initialize(new Uint8Array(16).fill(2))), '9000', 'INITIALIZE PERSO');
        expectEq(
          hex((await s.authenticate(true)).inner),
          '6982',
          'EXTERNAL AUTHENTICATE with a wrong host cryptogram',
        );
        expectSw(
          await s.storeData(1, bcd(CONFORMANCE_PROFILE.cardNumber)),
          Sw.SECURITY,
          'STORE DATA after the failure',
        );
        await perso(card, ctx);
      },
    ),
    check(
      115,
      'perso.tries',
      '7.2',
      'after 10 failed authentications INITIALIZE PERSO answers 6983',
      'blank',
      async (card, ctx) => {
        if (!ctx.keys.installKeys) throw new NotRun('no install keys');
        await card.select();
        const s = new PersoSession(card.raw, ctx.keys);
        for (let i = 0; i < 10; i++) {
          expectEq(hex(await s.initialize(new Uint8Array(16).fill(i))), '9000', `INITIALIZE PERSO ${i + 1}`);
          expectEq(hex((await s.authenticate(true)).inner), '6982', `failed authentication ${i + 1}`);
        }
        expectSw(
          await card.send(0x80, Ins.INITIALIZE_PERSO, 0, 0, new Uint8Array(16), 0),
          Sw.BLOCKED_AUTH,
          'INITIALIZE PERSO after 10 failures',
        );
      },
    ),
    check(
      116,
      'perso.store-data-errors',
      '7.4',
      '6A86 unknown object, 6700 wrong length, inner 6700 / 6A80 bad content',
      'blank',
      async (card, ctx) => {
        const s = await perso(card, ctx);
        expectSw(await s.storeData(0x09, new Uint8Array(8)), Sw.WRONG_P1P2, 'STORE DATA object 09');
        expectSw(
          await s.storeData(0x03, new Uint8Array(8)),
          Sw.WRONG_LENGTH,
          'purse parameters of 8 bytes (Lc 24)',
        );
        expectEq(
          hex((await s.storeData(0x01, new Uint8Array(9))).inner),
          '6700',
          'card number of 9 bytes (inner)',
        );
        expectEq(
          hex((await s.storeData(0x01, bcd('8404000123456788'))).inner),
          '6A80',
          'card number failing Luhn',
        );
        const bad = purseParameters({
          ...CONFORMANCE_PROFILE,
          offlineLimit: CONFORMANCE_PROFILE.maxBalance + 1,
        });
        expectEq(hex((await s.storeData(0x03, bad)).inner), '6A80', 'offlineLimit > maxBalance');
        expectEq(hex((await s.storeData(0x04, pinBlock('12'))).inner), '6A80', 'PIN of 2 digits');
        expectEq(hex((await s.storeData(0x05, pinBlock('1234'))).inner), '6A80', 'PUK of 4 digits');
      },
    ),
    check(
      117,
      'perso.attestation',
      '7.5, 7.6',
      'both GENERATE KEY PAIR answers carry valid attMac (K.att) and attSig (PK.card)',
      'blank',
      async (card, ctx) => {
        const s = await perso(card, ctx);
        const sk = await s.generate(1);
        expectEq(hex(sk.inner), '9000', 'GENERATE KEY PAIR 01');
        expectTrue(sk.macOk === true, 'attMac of the signing key');
        expectTrue(sk.sigOk === true, 'attSig of the signing key (self-signed)');
        const ka = await s.generate(2, sk.publicKey);
        expectEq(hex(ka.inner), '9000', 'GENERATE KEY PAIR 02');
        expectTrue(ka.macOk === true, 'attMac of the key-agreement key');
        expectTrue(ka.sigOk === true, 'attSig of the key-agreement key under PK.card');
      },
    ),
    check(
      118,
      'perso.ka-needs-signing-key',
      '7.5',
      'GENERATE KEY PAIR 02 before 01 answers inner 6985',
      'blank',
      async (card, ctx) => {
        const s = await perso(card, ctx);
        expectEq(hex((await s.generate(2)).inner), '6985', 'GENERATE KEY PAIR 02 first');
      },
    ),
    check(
      119,
      'perso.order',
      '7.7',
      'FINALIZE of an incomplete card and a certificate before the key pairs answer inner 6985',
      'blank',
      async (card, ctx) => {
        const s = await perso(card, ctx);
        expectEq(
          hex((await s.send(Ins.FINALIZE, 0, new Uint8Array())).inner),
          '6985',
          'FINALIZE of an empty card',
        );
        const cn = bcd(CONFORMANCE_PROFILE.cardNumber);
        expectEq(hex((await s.storeData(1, cn)).inner), '9000', 'STORE DATA card number');
        const dummy = concatBytes(new Uint8Array([4]), new Uint8Array(64));
        const cert = await signCardCertificate(ctx.keys, cn, dummy, dummy, 0, 1);
        expectEq(hex((await s.storeData(7, cert)).inner), '6985', 'certificate before the key pairs');
      },
    ),
    check(
      120,
      'perso.complete',
      '7',
      'raw §7 personalization gives an ACTIVE card with balance 0 and syncedThrough 0',
      'blank',
      async (card, ctx) => {
        await personalize(card, ctx);
        const fci = await card.select();
        expectEq(fci.state, 2, 'state');
        expectEq(fci.purse.balance, 0, 'balance');
        expectEq(fci.purse.counter, 0, 'counter');
        expectEq(fci.purse.syncedThrough, 0, 'syncedThrough');
        expectEq(fci.purse.pinStatus & 0x0f, 3, 'PIN tries');
        await card.readCert();
        expectSw(await card.reload(1000), 0x9000, 'first RELOAD');
      },
    ),
    check(
      121,
      'perso.closed-after-finalize',
      '7.7',
      'after FINALIZE, INITIALIZE PERSO answers 6985',
      'blank',
      async (card, ctx) => {
        await personalize(card, ctx);
        await card.select();
        expectSw(
          await card.send(0x80, Ins.INITIALIZE_PERSO, 0, 0, new Uint8Array(16), 0),
          Sw.CONDITIONS,
          'INITIALIZE PERSO on an ACTIVE card',
        );
      },
    ),
  ];
}

export { signCardCertificate };
