/** §16.2 checks 22–43: REGISTER TERMINAL, OPEN SESSION, secure messaging. */
import { concatBytes, keyIdOf, publicKeyOf, toHex } from '@huduma/card-applet-spec';
import { type CheckDef, check, expectEq, expectSw, expectTrue, keyFrom, now } from '../check';
import { ecdh, linkKey, protectCommand, sessionKeys } from '../sm';
import { softwareSigner } from '../target';
import { Cap, certId, encodeDebitRequest, Ins, Sw } from '../wire';
import { probe } from './generic';

export function sessionChecks(): CheckDef[] {
  return [
    check(
      22,
      'register.happy',
      '6.15',
      'REGISTER TERMINAL returns termCertId; OPEN SESSION with it succeeds',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term('CONF-R22');
        await card.select();
        await card.register(t);
        await card.open(t, 'tap');
      },
    ),
    check(
      23,
      'register.no-challenge-used',
      '6.15',
      'REGISTER works without a challenge and does not consume the current one',
      'shared',
      async (card, ctx) => {
        const a = await ctx.term('R23A');
        const b = await ctx.term('R23B');
        await card.select();
        await card.register(a);
        await card.open(a, 'tap'); // consumes the challenge
        await card.register(b); // no challenge now
        await card.select();
        await card.register(b);
        await card.open(b, 'tap'); // the SELECT challenge is still there
      },
    ),
    check(
      24,
      'register.bad-version',
      '4.8.1',
      'a certificate of version 01 or type 01 answers 9F04',
      'shared',
      async (card, ctx) => {
        await card.select();
        await card.register(await ctx.term('R24A', undefined, { version: 1 }), Sw.CERT_INVALID);
        await card.register(await ctx.term('R24B', undefined, { type: 1 }), Sw.CERT_INVALID);
      },
    ),
    check(
      25,
      'register.not-after-before-not-before',
      '4.8.1, 5',
      'notAfter < notBefore answers 9F04',
      'shared',
      async (card, ctx) => {
        const t = now();
        await card.register(
          await ctx.term('CONF-R25', undefined, { notBefore: t + 86_400, notAfter: t + 3600 }),
          Sw.CERT_INVALID,
        );
      },
    ),
    check(
      26,
      'register.undefined-capability',
      '4.3',
      'any of bits 0xFFC0 set answers 9F04',
      'shared',
      async (card, ctx) => {
        for (const bit of [0x0040, 0x0100, 0x8000])
          await card.register(await ctx.term(`R26-${bit.toString(16)}`, Cap.DEBIT | bit), Sw.CERT_INVALID);
      },
    ),
    check(
      27,
      'register.bad-ca-signature',
      '4.8.1',
      'a bad CA signature answers 9F04',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term('CONF-R27');
        t.certificate = t.certificate.slice();
        t.certificate[130]! ^= 0x01;
        t.certId = certId(t.certificate);
        await card.register(t, Sw.CERT_INVALID);
      },
    ),
    check(
      28,
      'register.tampered',
      '4.8.1',
      'capabilities raised after signing answer 9F04',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term('CONF-R28', Cap.DEBIT);
        t.certificate = t.certificate.slice();
        t.certificate[27] = 0x3f;
        t.certId = certId(t.certificate);
        await card.register(t, Sw.CERT_INVALID);
      },
    ),
    check(
      29,
      'register.unknown-ca',
      '4.8.1',
      'an unknown or load-authority issuerKeyId answers 6A88',
      'shared',
      async (card, ctx) => {
        const rogue = softwareSigner(keyFrom('rogue-ca'));
        await card.register(await ctx.term('R29A', undefined, { ca: rogue }), Sw.NOT_FOUND);
        await card.register(await ctx.term('R29B', undefined, { ca: ctx.keys.loadAuthority }), Sw.NOT_FOUND);
      },
    ),
    check(
      30,
      'register.expired',
      '4.8.1, 2.8',
      'after a RELOAD raised lastTrustedTime above notAfter, REGISTER answers 9F0A',
      'shared',
      async (card, ctx) => {
        const t = now();
        await card.select();
        expectSw(await card.reload(0, { time: t }), 0x9000, 'RELOAD 0 at the current time');
        await card.register(
          await ctx.term('CONF-R30', undefined, { notBefore: t - 7200, notAfter: t - 60 }),
          Sw.CERT_EXPIRED,
        );
      },
    ),
    check(
      31,
      'register.off-curve',
      '4.8.1, 11.9',
      'a CA-signed certificate whose QT is not on P-256 answers 9F04',
      'shared',
      async (card, ctx) => {
        const qt = publicKeyOf(keyFrom('off-curve')).slice();
        qt[64]! ^= 0x01;
        await card.register(await ctx.term('CONF-R31', undefined, { qt }), Sw.CERT_INVALID);
      },
    ),
    check(
      32,
      'register.lru',
      '2.9',
      'after 9 registrations the least recently used answers 9F12, the 8 others open',
      'shared',
      async (card, ctx) => {
        const ts = await Promise.all(Array.from({ length: 9 }, (_, i) => ctx.term(`CONF-L${i + 1}`)));
        for (const t of ts) {
          await card.select();
          await card.register(t);
          await card.open(t, 'tap');
        }
        await card.select();
        await card.open(ts[0]!, 'tap', { sw: Sw.NOT_REGISTERED });
        for (const t of ts.slice(1)) {
          await card.select();
          await card.open(t, 'tap');
        }
      },
    ),
    check(
      33,
      'session.unregistered',
      '6.16',
      'an unknown termCertId answers 9F12 and keeps the challenge',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term(`U${now() % 100_000}`, undefined, {
          privateKey: keyFrom(`unreg:${Math.random()}`),
        });
        await card.select();
        await card.open(t, 'tap', { sw: Sw.NOT_REGISTERED });
        await card.register(t);
        await card.open(t, 'tap');
      },
    ),
    check(
      34,
      'session.no-challenge',
      '6.16',
      'OPEN SESSION without a challenge answers 6982',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term('CONF-T1');
        await card.session(t);
        expectSw(await card.reload(0), 0x9000, 'RELOAD 0 (consumes the challenge)');
        await card.open(t, 'tap', { sw: Sw.SECURITY });
      },
    ),
    check(
      35,
      'session.challenge-consumed',
      '6.16',
      'a second OPEN SESSION without SELECT / GET CHALLENGE answers 6982',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term('CONF-T1');
        await card.session(t);
        await card.open(t, 'tap', { sw: Sw.SECURITY });
        await card.open(t, 'secure', { sw: Sw.SECURITY });
      },
    ),
    check(
      36,
      'session.card-cryptogram',
      '4.5',
      'the card cryptogram verifies for TAP and SECURE and differs between sessions',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term('CONF-T1');
        const seen = new Set<string>();
        for (const type of ['tap', 'secure', 'tap', 'secure'] as const) {
          await card.session(t, type); // verifies the cryptogram
          seen.add(card.raw.log[card.raw.log.length - 1]!);
        }
        expectEq(seen.size, 4, 'distinct cryptograms over 4 sessions');
      },
    ),
    check(
      37,
      'session.bad-cmac',
      '4.7.5',
      'a wrong C-MAC answers 6988, changes nothing, and the session is gone',
      'shared',
      async (card, ctx) => {
        await card.session(await ctx.term('CONF-T1'));
        const before = await card.readPurse();
        const sm = card.sm!;
        const r = await card.smSend(0x8c, Ins.DEBIT, 0, 0, encodeDebitRequest(card.debitRequest(1)), {
          tamper: true,
        });
        expectSw(r, Sw.SM_INCORRECT, 'DEBIT with a wrong C-MAC');
        await card.unchanged(before, 'after 6988');
        card.sm = { ...sm, ssc: sm.ssc + 1 };
        expectSw(await probe(card), Sw.SECURITY, 'next SM command (SSC 2)');
        card.sm = { ...sm };
        expectSw(await probe(card), Sw.SECURITY, 'next SM command (SSC 1)');
      },
    ),
    check(
      38,
      'session.replay',
      '4.7.2',
      'replaying an earlier valid SM command (old SSC) answers 6988',
      'shared',
      async (card, ctx) => {
        await card.session(await ctx.term('CONF-T1'));
        const body = encodeDebitRequest(card.debitRequest(0));
        const data = protectCommand(
          card.sm!.keys,
          1,
          { cla: 0x8c, ins: Ins.DEBIT, p1: 0, p2: 0 },
          body,
          false,
        );
        const first = await card.send(0x8c, Ins.DEBIT, 0, 0, data, 0);
        expectSw(first, 0x9000, 'first DEBIT (amount 0, refused inside)');
        expectSw(await card.send(0x8c, Ins.DEBIT, 0, 0, data, 0), Sw.SM_INCORRECT, 'the same bytes again');
      },
    ),
    check(
      39,
      'session.rmac',
      '4.7.4',
      'every SM response carries a valid R-MAC over SSC ‖ inner SW ‖ payload',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term('CONF-T1');
        await card.session(t, 'secure');
        // smSend checks every R-MAC; these cover outcome bodies, inner errors and empty payloads.
        for (let i = 0; i < 3; i++) expectSw(await probe(card), 0x9000, 'DEBIT amount 0');
        const q = await card.smSend(0x0c, Ins.VERIFY_PIN, 0, 0x81, new Uint8Array());
        expectSw(q, 0x9000, 'VERIFY PIN query');
        expectEq(card.sm!.ssc, 4, 'SSC after 4 commands');
      },
    ),
    check(
      40,
      'session.wrong-type',
      '4.5',
      'VERIFY PIN and READ IDENTITY in a TAP session answer 6982',
      'shared',
      async (card, ctx) => {
        await card.session(await ctx.term('CONF-T1'), 'tap');
        expectSw(
          await card.smSend(0x0c, Ins.VERIFY_PIN, 0, 0x81, new Uint8Array()),
          Sw.SECURITY,
          'VERIFY PIN query in TAP',
        );
        expectSw(
          await card.smSend(0x8c, Ins.READ_IDENTITY, 0, 0, new Uint8Array()),
          Sw.SECURITY,
          'READ IDENTITY in TAP',
        );
        expectSw(await probe(card), 0x9000, 'the TAP session is kept');
      },
    ),
    check(
      41,
      'session.registration-expired',
      '4.4',
      'a registration whose notAfter fell below lastTrustedTime answers 9F0A',
      'shared',
      async (card, ctx) => {
        const t0 = now();
        const t = await ctx.term('CONF-R41', undefined, { notBefore: t0 - 3600, notAfter: t0 + 120 });
        await card.select();
        await card.register(t);
        await card.open(t, 'tap');
        expectSw(await card.reload(0, { time: t0 + 180 }), 0x9000, 'RELOAD 0 with time after notAfter');
        await card.select();
        await card.open(t, 'tap', { sw: Sw.CERT_EXPIRED });
        await card.select();
        await card.open(t, 'tap', { sw: Sw.NOT_REGISTERED });
      },
    ),
    check(
      42,
      'session.bad-ephemeral',
      '6.16, 11.9',
      'SECURE with a QE not on the curve answers 6A80',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term('CONF-T1');
        await card.session(t);
        const qe = publicKeyOf(keyFrom('eph-bad')).slice();
        qe[40]! ^= 0x01;
        await card.select();
        await card.open(t, 'secure', { qe, sw: Sw.WRONG_DATA });
        await card.select();
        qe[0] = 0x05;
        await card.open(t, 'secure', { qe, sw: Sw.WRONG_DATA });
      },
    ),
    check(
      43,
      'session.other-terminal-key',
      '4.4',
      "another terminal's termCertId without its key cannot produce a valid C-MAC",
      'shared',
      async (card, ctx) => {
        const victim = await ctx.term('CONF-T1');
        await card.session(victim);
        await card.select();
        // The attacker has the victim's public certificate, not its private key.
        const attacker = keyFrom('attacker');
        const rndT = keyFrom('attacker-rnd').slice(0, 16);
        const challenge = card.challenge;
        const r = await card.send(0x80, Ins.OPEN_SESSION, 0, 0, concatBytes(victim.certId, rndT), 8);
        expectSw(r, 0x9000, 'OPEN SESSION with the victim id');
        const guess = linkKey(
          ecdh(attacker, card.cert.qaCard, card.fci.profile),
          card.cardNumber,
          victim.certId,
        );
        const { keys, cryptogram } = sessionKeys(guess, challenge, rndT, 0);
        expectTrue(toHex(cryptogram) !== toHex(r.data), 'the attacker could compute the card cryptogram');
        const before = await card.readPurse();
        const body = encodeDebitRequest(card.debitRequest(1));
        const data = protectCommand(keys, 1, { cla: 0x8c, ins: Ins.DEBIT, p1: 0, p2: 0 }, body, false);
        expectSw(
          await card.send(0x8c, Ins.DEBIT, 0, 0, data, 0),
          Sw.SM_INCORRECT,
          'DEBIT under guessed keys',
        );
        await card.unchanged(before, 'after the forged DEBIT');
        return `keyId of the attacker ${toHex(keyIdOf(publicKeyOf(attacker)))}`;
      },
    ),
  ];
}
