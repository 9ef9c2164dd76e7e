/** Conformance checks: DEBIT (§6.8): the tap, its proof and every refusal. */
import {
  Capability,
  encodeIdentityReadRequest,
  INS,
  SW,
  signMessage,
  TxType,
  terminalAuthMessage,
  toHex,
} from '@huduma/card-applet-spec';
import { c, expectEq, expectSw, fail, type Group, type GroupContext, keyFrom, now } from '../check';
import { softwareSigner } from '../target';

export function debitGroup({ target, keys, ALL, term, shared }: GroupContext): Group {
  const debit: Group = {
    name: 'debit',
    checks: [
      c(
        'debit.happy',
        '6.8',
        'DEBIT (SELECT + chained DEBIT) debits and returns a verifiable proof',
        async (s) => {
          shared.shop = await term('CONF-T1');
          await s.select();
          await s.loadCardKey();
          await s.ensureBalance(50_000);
          await s.select();
          const before = s.purse;
          const seq = s.nextSeq();
          const amount = 1_234;
          const time = now();
          const body = s.debitBody(amount, seq, { time });
          const r = await s.auth(INS.DEBIT, shared.shop, body);
          expectSw(r, 0x9000, 'DEBIT');
          const rec = s.checkProof(r.data, 'debit proof');
          expectEq(rec.type, TxType.DEBIT, 'type');
          expectEq(rec.amount, amount, 'amount');
          expectEq(rec.counter, before.counter + 1, 'counter');
          expectEq(rec.balanceAfter, before.balance - amount, 'balance after');
          expectEq(rec.offlineSpendAfter, before.offlineSpend + amount, 'offline spend after');
          expectEq(rec.terminalId, 'CONF-T1', 'terminal id from the certificate');
          expectEq(rec.terminalSeq, seq, 'terminal seq');
          expectEq(rec.billRef, `CONF-${seq}`, 'bill ref');
          expectEq(rec.refCounter, 0, 'refCounter');
          await s.expectPurse(
            before,
            { balance: -amount, counter: 1, offlineSpend: amount },
            'purse after DEBIT',
          );
          shared.lastDebit = { seq, body, proof: r.data, amount, time };
        },
      ),
      c(
        'debit.idempotent',
        '6.8',
        'the identical DEBIT repeated returns the identical proof and debits once',
        async (s) => {
          if (!shared.lastDebit) fail('needs debit.happy');
          await s.select();
          const before = s.purse;
          const r = await s.auth(INS.DEBIT, shared.shop, shared.lastDebit.body);
          expectSw(r, 0x9000, 'repeated DEBIT');
          expectEq(toHex(r.data), toHex(shared.lastDebit.proof), 'proof bytes');
          await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c('debit.seq-reused', '6.8', 'the same terminal seq with another amount answers 9F09', async (s) => {
        if (!shared.lastDebit) fail('needs debit.happy');
        await s.select();
        const before = s.purse;
        expectSw(
          await s.auth(
            INS.DEBIT,
            shared.shop,
            s.debitBody(shared.lastDebit.amount + 1, shared.lastDebit.seq),
          ),
          SW.SEQUENCE_REUSED,
          'DEBIT',
        );
        await s.select();
        expectSw(
          await s.auth(
            INS.DEBIT,
            shared.shop,
            s.debitBody(shared.lastDebit.amount, shared.lastDebit.seq, { billRef: 'OTHER' }),
          ),
          SW.SEQUENCE_REUSED,
          'DEBIT with another bill ref',
        );
        await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
      }),
      c(
        'debit.challenge-consumed',
        '6.8',
        'a DEBIT consumes the challenge: the next one without SELECT answers 6982',
        async (s) => {
          await s.select();
          expectSw(await s.auth(INS.DEBIT, shared.shop, s.debitBody(100, s.nextSeq())), 0x9000, 'DEBIT');
          expectSw(
            await s.auth(INS.DEBIT, shared.shop, s.debitBody(100, s.nextSeq())),
            SW.SECURITY_STATUS_NOT_SATISFIED,
            'second DEBIT',
          );
          await s.select();
          const body = s.debitBody(100, s.nextSeq());
          expectSw(
            await s.auth(INS.DEBIT, shared.shop, body, { signature: true }),
            SW.TERMINAL_SIGNATURE_INVALID,
            'forged',
          );
          expectSw(
            await s.auth(INS.DEBIT, shared.shop, body),
            SW.SECURITY_STATUS_NOT_SATISFIED,
            'after a failure',
          );
        },
      ),
      c(
        'debit.no-challenge',
        '6.8',
        'an authenticated command after the challenge was used up answers 6982',
        async (s) => {
          // Any authenticated command uses the challenge up, even one that fails (here 9F0E).
          await s.select();
          await s.auth(
            INS.READ_IDENTITY,
            shared.shop,
            encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: now() }),
          );
          expectSw(
            await s.auth(INS.DEBIT, shared.shop, s.debitBody(100, s.nextSeq())),
            SW.SECURITY_STATUS_NOT_SATISFIED,
            'DEBIT',
          );
        },
      ),
      c('debit.wrong-challenge', '4.4', 'a signature over another challenge answers 9F05', async (s) => {
        await s.select();
        const r = await s.auth(INS.DEBIT, shared.shop, s.debitBody(100, s.nextSeq()), {
          challenge: new Uint8Array(16),
        });
        expectSw(r, SW.TERMINAL_SIGNATURE_INVALID, 'DEBIT');
      }),
      c(
        'debit.forged-signature',
        '4.4',
        'a forged terminal signature answers 9F05 and changes nothing',
        async (s) => {
          await s.select();
          const before = s.purse;
          expectSw(
            await s.auth(INS.DEBIT, shared.shop, s.debitBody(100, s.nextSeq()), { signature: true }),
            SW.TERMINAL_SIGNATURE_INVALID,
            'DEBIT',
          );
          await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'debit.bad-cert-signature',
        '4.4',
        'a terminal certificate with a bad CA signature answers 9F04',
        async (s) => {
          const t = await term('CONF-T2');
          t.certificate[150]! ^= 0x01;
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())),
            SW.TERMINAL_CERT_INVALID,
            'DEBIT',
          );
        },
      ),
      c(
        'debit.tampered-cert',
        '4.4',
        'a certificate whose capabilities were raised after signing answers 9F04',
        async (s) => {
          const t = await term('CONF-T3', Capability.UNDEBIT);
          t.certificate[27]! |= Capability.DEBIT;
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())),
            SW.TERMINAL_CERT_INVALID,
            'DEBIT',
          );
        },
      ),
      c(
        'debit.malformed-cert',
        '4.4',
        'a certificate of the wrong version or type answers 9F04',
        async (s) => {
          const t = await term('CONF-T4');
          t.certificate[0] = 0x02;
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())),
            SW.TERMINAL_CERT_INVALID,
            'version 2',
          );
          const u = await term('CONF-T4');
          u.certificate[1] = 0x01;
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, u, s.debitBody(100, s.nextSeq())),
            SW.TERMINAL_CERT_INVALID,
            'type card',
          );
        },
      ),
      c('debit.unknown-ca', '4.4', 'a terminal certificate from an unknown CA answers 6A88', async (s) => {
        const t = await term('CONF-T5', ALL, { ca: softwareSigner(keyFrom('rogue-ca')) });
        await s.select();
        expectSw(
          await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())),
          SW.REFERENCED_DATA_NOT_FOUND,
          'DEBIT',
        );
        const u = await term('CONF-T5', ALL, { ca: keys.loadAuthority });
        await s.select();
        expectSw(
          await s.auth(INS.DEBIT, u, s.debitBody(100, s.nextSeq())),
          SW.REFERENCED_DATA_NOT_FOUND,
          'cert signed by the load authority',
        );
      }),
      c('debit.capability', '4.4', 'a terminal without the DEBIT capability answers 9F06', async (s) => {
        const t = await term('CONF-T6', ALL & ~Capability.DEBIT);
        await s.select();
        expectSw(await s.auth(INS.DEBIT, t, s.debitBody(100, s.nextSeq())), SW.CAPABILITY_MISSING, 'DEBIT');
      }),
      c('debit.wrong-length', '6.8', 'DEBIT with a wrong data length answers 6700', async (s) => {
        await s.select();
        expectSw(
          await s.auth(INS.DEBIT, shared.shop, s.debitBody(100, s.nextSeq()), { extra: 1 }),
          SW.WRONG_LENGTH,
          '268 bytes',
        );
        const r = await s.card.sendChained(0x80, 0x54, 0, 0, new Uint8Array(266));
        expectSw(r, SW.WRONG_LENGTH, '266 bytes');
      }),
      c('debit.chaining-small-chunks', '6.0.2', 'DEBIT chained in 100-byte segments works', async (s) => {
        await s.select();
        const body = s.debitBody(10, s.nextSeq());
        const message = terminalAuthMessage(INS.DEBIT, 0, 0, s.challenge, s.cardNumber, body);
        const data = new Uint8Array([
          ...shared.shop.certificate,
          ...body,
          ...signMessage(shared.shop.privateKey, message),
        ]);
        const r = await s.card.sendChained(0x80, 0x54, 0, 0, data, 0, 100);
        expectSw(r, 0x9000, 'DEBIT in 3 segments');
        s.checkProof(r.data, 'proof');
      }),
      c('debit.zero-amount', '6.8', 'a zero-amount DEBIT answers 6A80', async (s) => {
        await s.select();
        expectSw(await s.auth(INS.DEBIT, shared.shop, s.debitBody(0, s.nextSeq())), SW.WRONG_DATA, 'DEBIT 0');
      }),
      c('debit.bad-body', '4.4', 'a DEBIT body that does not decode answers 6A80', async (s) => {
        await s.select();
        const body = s.debitBody(10, s.nextSeq());
        body[20] = 0x01; // a control character in the bill reference
        expectSw(await s.auth(INS.DEBIT, shared.shop, body), SW.WRONG_DATA, 'DEBIT');
      }),
      c('debit.insufficient-funds', '6.8', 'a DEBIT above the balance answers 9F01', async (s) => {
        await s.select();
        const before = s.purse;
        if (before.balance + 1 > before.cvmLimit) expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
        expectSw(
          await s.auth(INS.DEBIT, shared.shop, s.debitBody(before.balance + 1, s.nextSeq())),
          SW.INSUFFICIENT_FUNDS,
          'DEBIT',
        );
        await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
      }),
      c(
        'debit.cvm',
        '6.8',
        'a DEBIT above the CVM limit answers 9F0E, then 9000 after VERIFY PIN',
        async (s) => {
          await s.select();
          const p = s.purse;
          const amount = p.cvmLimit + 1;
          if (amount > p.offlineLimit || amount > p.maxBalance)
            return 'CVM limit not below offline limit: not applicable';
          await s.ensureBalance(amount);
          await s.select();
          const body = s.debitBody(amount, s.nextSeq());
          expectSw(await s.auth(INS.DEBIT, shared.shop, body), SW.PIN_REQUIRED, 'DEBIT without PIN');
          await s.select();
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
          const before = await s.readPurse();
          const r = await s.auth(INS.DEBIT, shared.shop, body);
          expectSw(r, 0x9000, 'DEBIT after VERIFY (same seq: the refused attempt left no trace)');
          await s.expectPurse(before, { balance: -amount, counter: 1 }, 'purse');
        },
      ),
      c(
        'debit.offline-limit',
        '6.8',
        'a DEBIT beyond the offline limit answers 9F03; RELOAD resets it',
        async (s) => {
          await s.select();
          const p = s.purse;
          const amount = p.offlineLimit + 1;
          if (amount > p.maxBalance) return 'offline limit equals maxBalance: not applicable';
          await s.ensureBalance(amount);
          await s.select();
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
          const before = s.purse;
          expectSw(
            await s.auth(INS.DEBIT, shared.shop, s.debitBody(amount, s.nextSeq())),
            SW.OFFLINE_LIMIT_EXCEEDED,
            'DEBIT',
          );
          await s.expectPurse(before, { balance: 0, counter: 0 }, 'purse unchanged');
        },
      ),
      c(
        'debit.expired-cert',
        '4.4',
        'a terminal certificate that expired before lastTrustedTime answers 9F0A',
        async (s) => {
          const expiry = now() + 1000;
          const t = await term('CONF-T7', ALL, { notAfter: expiry });
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(10, s.nextSeq())),
            0x9000,
            'DEBIT before the card knows',
          );
          expectSw(await s.reload(0, expiry + 1), 0x9000, 'RELOAD of 0 at a later issuer time');
          await s.select();
          expectSw(
            await s.auth(INS.DEBIT, t, s.debitBody(10, s.nextSeq())),
            SW.TERMINAL_CERT_EXPIRED,
            'DEBIT after',
          );
        },
      ),
    ],
  };
  return debit;
}
