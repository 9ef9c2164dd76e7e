/** §16.3 checks 44–67: DEBIT (compare-and-swap, refusals, CVM, retention) and UNDEBIT. */
import { toHex } from '@huduma/card-applet-spec';
import {
  type Card,
  type CheckDef,
  check,
  expectEq,
  expectTrue,
  type GroupContext,
  NotRun,
  type TestTerminal,
} from '../check';
import { billRef, Cap, type DebitRequest, decodeRecord, encodeDebitRequest, Outcome, Sw } from '../wire';

const shop = (ctx: GroupContext) => ctx.term('CONF-T1');

/** The last executed debit of the group, reused by the repeat and UNDEBIT checks. */
let last: { req: DebitRequest; proof: Uint8Array } | undefined;

/** DEBIT in a TAP session by `t`; asserts EXECUTED and the purse movement (§6.8 effect). */
export async function debitOk(
  card: Card,
  t: TestTerminal,
  amount: number,
  what = 'DEBIT',
  type: 'tap' | 'secure' = 'tap',
  cvm = 0,
) {
  if (!card.sm || card.sm.terminal.id !== t.id || (type === 'secure' && card.sm.type !== 1))
    await card.session(t, type);
  const before = await card.readPurse();
  const req = card.debitRequest(amount);
  const o = await card.debit(req, what);
  card.expectOutcome(o, Outcome.EXECUTED, 0x9000, what);
  const rec = decodeRecord(o.proof!.subarray(0, 66));
  expectEq(rec.type, 1, `${what}: record type`);
  expectEq(rec.counter, before.counter + 1, `${what}: record counter`);
  expectEq(o.counter, before.counter + 1, `${what}: outcome counter`);
  expectEq(rec.amount, amount, `${what}: amount`);
  expectEq(rec.balanceAfter, before.balance - amount, `${what}: balanceAfter`);
  expectEq(rec.offlineSpendAfter, before.offlineSpend + amount, `${what}: offlineSpendAfter`);
  expectEq(rec.terminalId, t.id, `${what}: terminalId from the registration`);
  expectEq(rec.terminalSeq, req.terminalSeq, `${what}: terminalSeq`);
  expectEq(toHex(rec.terminalNonce), toHex(req.terminalNonce), `${what}: terminalNonce`);
  expectEq(rec.time, req.time, `${what}: time`);
  expectEq(toHex(rec.billRef), toHex(req.billRef), `${what}: billRef`);
  expectEq(rec.serviceCode, req.serviceCode, `${what}: serviceCode`);
  expectEq(rec.currency, 0x0404, `${what}: currency`);
  expectEq(rec.refCounter, 0, `${what}: refCounter`);
  expectEq(rec.cvm, cvm, `${what}: cvm`);
  const after = await card.readPurse();
  expectEq(after.balance, before.balance - amount, `${what}: balance`);
  expectEq(after.counter, before.counter + 1, `${what}: counter`);
  expectEq(after.offlineSpend, before.offlineSpend + amount, `${what}: offlineSpend`);
  expectEq(after.noCvmSpend, cvm ? before.noCvmSpend : before.noCvmSpend + amount, `${what}: noCvmSpend`);
  return { req, proof: o.proof!, before, after };
}

/** A DEBIT expected to be REFUSED (or STALE) with `reason`; asserts nothing changed. */
async function refused(
  card: Card,
  req: DebitRequest | Uint8Array,
  outcome: number,
  reason: number,
  what: string,
) {
  const before = await card.readPurse();
  const o = await card.debit(req, what);
  card.expectOutcome(o, outcome, reason, what);
  expectEq(o.counter, before.counter, `${what}: outcome counter`);
  await card.unchanged(before, what);
}

export function debitChecks(): CheckDef[] {
  return [
    check(
      44,
      'debit.happy',
      '6.8',
      'DEBIT in a TAP session: EXECUTED, verifiable proof, purse updated',
      'shared',
      async (card, ctx) => {
        await card.ensureBalance(200_000);
        const r = await debitOk(card, await shop(ctx), 1234);
        last = r;
        return `counter ${r.after.counter}`;
      },
    ),
    check(
      45,
      'debit.in-secure-session',
      '6.8',
      'DEBIT works in a SECURE session too',
      'shared',
      async (card, ctx) => {
        await debitOk(card, await shop(ctx), 321, 'DEBIT (SECURE)', 'secure');
      },
    ),
    check(
      46,
      'debit.already-applied',
      '6.8',
      'the identical request in a new session answers ALREADY_APPLIED with the identical proof',
      'shared',
      async (card, ctx) => {
        const t = await shop(ctx);
        await card.session(t);
        await card.ensureBalance(10_000);
        await card.session(t);
        const first = await debitOk(card, t, 777, 'first DEBIT');
        await card.session(t);
        const before = await card.readPurse();
        const o = await card.debit(first.req, 'repeated DEBIT');
        card.expectOutcome(o, Outcome.ALREADY_APPLIED, 0x9000, 'repeated DEBIT');
        expectEq(toHex(o.proof!), toHex(first.proof), 'the proof of the repeat');
        await card.unchanged(before, 'repeat');
      },
    ),
    check(
      47,
      'debit.stale',
      '6.8',
      'expectedCounter ≠ counter answers STALE 9F11, nothing changes',
      'shared',
      async (card, ctx) => {
        await card.session(await shop(ctx));
        const p = await card.readPurse();
        await refused(
          card,
          card.debitRequest(10, { expectedCounter: p.counter - 1 }),
          Outcome.STALE,
          Sw.STALE,
          'DEBIT counter - 1',
        );
        await refused(
          card,
          card.debitRequest(10, { expectedCounter: p.counter + 1 }),
          Outcome.STALE,
          Sw.STALE,
          'DEBIT counter + 1',
        );
      },
    ),
    check(
      48,
      'debit.no-double-charge-long-gap',
      '10.2',
      'a debit repeated after 31 + sync + 5 other transactions never executes again',
      'fresh',
      async (card, ctx) => {
        const t = await shop(ctx);
        const others = [await ctx.term('CONF-T2'), await ctx.term('CONF-T3')];
        await card.ensureBalance(100_000);
        await card.session(t);
        await card.readPurse();
        const req = card.debitRequest(500);
        await card.debit(req, 'the debit whose response is lost');
        const start = await card.readPurse();
        let spent = 0;
        for (let i = 0; i < 31; i++) {
          const o = others[i % 2]!;
          await debitOk(card, o, 10 + i, `other debit ${i + 1}`);
          spent += 10 + i;
        }
        expectTrue((await card.reload(0)).sw === 0x9000, 'RELOAD 0 (sync)');
        for (let i = 0; i < 5; i++) {
          await debitOk(card, others[i % 2]!, 7, `debit after sync ${i + 1}`);
          spent += 7;
        }
        await card.session(t);
        const before = await card.readPurse();
        const o = await card.debit(req, 'the identical request again');
        expectTrue(
          o.outcome === Outcome.STALE || o.outcome === Outcome.ALREADY_APPLIED,
          `outcome ${o.outcome}: executed again`,
        );
        await card.unchanged(before, 'repeat');
        expectEq(before.balance, start.balance - spent, 'balance: the first debit was charged once');
      },
    ),
    check(
      49,
      'debit.seq-reused',
      '6.8',
      'same (terminal, seq) with another amount answers REFUSED 9F09',
      'shared',
      async (card, ctx) => {
        if (!last) throw new NotRun('needs debit.happy');
        await card.session(await shop(ctx));
        await refused(
          card,
          { ...last.req, amount: last.req.amount + 1 },
          Outcome.REFUSED,
          Sw.SEQUENCE_REUSED,
          'DEBIT seq reused',
        );
      },
    ),
    check(
      50,
      'debit.capability',
      '6.8',
      'a registration without DEBIT gets REFUSED 9F06',
      'shared',
      async (card, ctx) => {
        await card.session(await ctx.term('NODEBIT', Cap.UNDEBIT | Cap.BLOCK));
        await card.readPurse();
        await refused(card, card.debitRequest(10), Outcome.REFUSED, Sw.CAPABILITY, 'DEBIT without DEBIT');
      },
    ),
    check(51, 'debit.zero-amount', '6.8', 'amount 0 answers REFUSED 6A80', 'shared', async (card, ctx) => {
      await card.session(await shop(ctx));
      await card.readPurse();
      await refused(card, card.debitRequest(0), Outcome.REFUSED, Sw.WRONG_DATA, 'DEBIT 0');
    }),
    check(
      52,
      'debit.bad-body',
      '6.8',
      'a bill reference with a non-printable byte answers REFUSED 6A80',
      'shared',
      async (card, ctx) => {
        await card.session(await shop(ctx));
        await card.readPurse();
        const bad = billRef('BAD\u0007REF');
        await refused(
          card,
          card.debitRequest(10, { billRef: bad }),
          Outcome.REFUSED,
          Sw.WRONG_DATA,
          'bill ref with 07',
        );
        const afterPad = billRef('AB');
        afterPad[5] = 0x41;
        await refused(
          card,
          card.debitRequest(10, { billRef: afterPad }),
          Outcome.REFUSED,
          Sw.WRONG_DATA,
          'bill ref byte after the padding',
        );
        await refused(
          card,
          card.debitRequest(10, { currency: 0x040a }),
          Outcome.REFUSED,
          Sw.WRONG_DATA,
          'currency not BCD',
        );
      },
    ),
    check(
      53,
      'debit.currency',
      '6.8',
      'a currency other than 0404 answers REFUSED 9F15',
      'shared',
      async (card, ctx) => {
        await card.session(await shop(ctx));
        await card.readPurse();
        await refused(
          card,
          card.debitRequest(10, { currency: 0x0840 }),
          Outcome.REFUSED,
          Sw.CURRENCY,
          'DEBIT in USD',
        );
      },
    ),
    check(
      54,
      'debit.insufficient-funds',
      '6.8',
      'amount > balance answers REFUSED 9F01',
      'shared',
      async (card, ctx) => {
        await card.session(await shop(ctx));
        const p = await card.readPurse();
        await refused(
          card,
          card.debitRequest(p.balance + 1),
          Outcome.REFUSED,
          Sw.INSUFFICIENT_FUNDS,
          'DEBIT balance + 1',
        );
      },
    ),
    check(
      55,
      'debit.offline-limit',
      '6.8',
      'beyond offlineLimit answers REFUSED 9F03; RELOAD resets offlineSpend',
      'shared',
      async (card, ctx) => {
        const t = await shop(ctx);
        await card.select();
        let p = await card.readPurse();
        if (p.maxBalance < p.offlineLimit + 1) throw new NotRun('maxBalance <= offlineLimit on this card');
        await card.ensureBalance(p.offlineLimit + 1);
        await debitOk(card, t, 5);
        p = await card.readPurse();
        await refused(
          card,
          card.debitRequest(p.offlineLimit - p.offlineSpend + 1),
          Outcome.REFUSED,
          Sw.OFFLINE_LIMIT,
          'DEBIT beyond offlineLimit',
        );
        expectTrue((await card.reload(0)).sw === 0x9000, 'RELOAD 0');
        expectEq((await card.readPurse()).offlineSpend, 0, 'offlineSpend after RELOAD');
      },
    ),
    check(
      57,
      'debit.cvm-single',
      '6.8',
      'amount > cvmLimit: 9F0E without PIN; EXECUTED with cvm 01 after VERIFY PIN',
      'shared',
      async (card, ctx) => {
        const t = await shop(ctx);
        await card.select();
        const p = await card.readPurse();
        await card.ensureBalance(p.cvmLimit + 10);
        await card.session(t);
        await card.readPurse();
        await refused(
          card,
          card.debitRequest(card.purse.cvmLimit + 1),
          Outcome.REFUSED,
          Sw.CVM_REQUIRED,
          'DEBIT above cvmLimit, no PIN',
        );
        await card.session(t, 'secure');
        expectEq(await card.verifyPin(ctx.target.pin), 0x9000, 'VERIFY PIN');
        await debitOk(card, t, card.purse.cvmLimit + 1, 'DEBIT above cvmLimit with PIN', 'secure', 1);
      },
    ),
    check(
      58,
      'debit.cvm-one-use',
      '2.11',
      'after one PIN-authorised debit, a second above cvmLimit in the session answers 9F0E',
      'shared',
      async (card, ctx) => {
        const t = await shop(ctx);
        const p = await card.readPurse();
        await card.ensureBalance(2 * p.cvmLimit + 10);
        await card.session(t, 'secure');
        expectEq(await card.verifyPin(ctx.target.pin), 0x9000, 'VERIFY PIN');
        await debitOk(card, t, p.cvmLimit + 1, 'first DEBIT with PIN', 'secure', 1);
        await refused(
          card,
          card.debitRequest(p.cvmLimit + 1),
          Outcome.REFUSED,
          Sw.CVM_REQUIRED,
          'second DEBIT above cvmLimit',
        );
        expectTrue((await card.reload(0)).sw === 0x9000, 'RELOAD 0 (reset offlineSpend)');
      },
    ),
    check(
      59,
      'debit.cvm-survives-refusal',
      '2.11',
      'a REFUSED debit does not consume the CVM token',
      'shared',
      async (card, ctx) => {
        const t = await shop(ctx);
        const p = await card.readPurse();
        await card.ensureBalance(p.cvmLimit + 10);
        await card.session(t, 'secure');
        expectEq(await card.verifyPin(ctx.target.pin), 0x9000, 'VERIFY PIN');
        const q = await card.readPurse();
        await refused(
          card,
          card.debitRequest(q.balance + 1),
          Outcome.REFUSED,
          Sw.INSUFFICIENT_FUNDS,
          'DEBIT above the balance',
        );
        await debitOk(card, t, p.cvmLimit + 1, 'DEBIT above cvmLimit after the refusal', 'secure', 1);
        expectTrue((await card.reload(0)).sw === 0x9000, 'RELOAD 0');
      },
    ),
    check(
      60,
      'debit.cvm-cleared',
      '2.10',
      'SELECT, GET CHALLENGE and a new OPEN SESSION clear the CVM token',
      'shared',
      async (card, ctx) => {
        const t = await shop(ctx);
        const p = await card.readPurse();
        await card.ensureBalance(p.cvmLimit + 10);
        for (const how of ['SELECT', 'GET CHALLENGE', 'OPEN SESSION'] as const) {
          await card.session(t, 'secure');
          expectEq(await card.verifyPin(ctx.target.pin), 0x9000, 'VERIFY PIN');
          if (how === 'SELECT') await card.select();
          else await card.getChallenge();
          if (how === 'OPEN SESSION') await card.open(t, 'secure');
          // For OPEN SESSION the GET CHALLENGE only supplies the challenge of a new session.
          if (how !== 'OPEN SESSION') await card.open(t, 'secure');
          await card.readPurse();
          await refused(
            card,
            card.debitRequest(p.cvmLimit + 1),
            Outcome.REFUSED,
            Sw.CVM_REQUIRED,
            `DEBIT above cvmLimit after ${how}`,
          );
        }
      },
    ),
    check(
      61,
      'debit.cvm-cumulative',
      '6.8, 2.3',
      'no-PIN debits are refused 9F0E once noCvmSpend + amount > noCvmLimit; VERIFY PIN resets',
      'shared',
      async (card, ctx) => {
        const t = await shop(ctx);
        const p = await card.readPurse();
        const amount = p.cvmLimit;
        if (amount === 0) throw new NotRun('cvmLimit is 0');
        await card.session(t, 'secure');
        expectEq(await card.verifyPin(ctx.target.pin), 0x9000, 'VERIFY PIN (resets noCvmSpend)');
        expectEq((await card.readPurse()).noCvmSpend, 0, 'noCvmSpend after VERIFY PIN');
        const n = Math.floor(p.noCvmLimit / amount);
        await card.ensureBalance((n + 1) * amount + 10);
        if ((n + 1) * amount > p.offlineLimit)
          throw new NotRun('offlineLimit below the cumulative no-CVM limit on this card');
        await card.session(t);
        for (let i = 0; i < n; i++) await debitOk(card, t, amount, `no-PIN debit ${i + 1} of ${amount}`);
        await card.readPurse();
        await refused(
          card,
          card.debitRequest(amount),
          Outcome.REFUSED,
          Sw.CVM_REQUIRED,
          'the debit beyond noCvmLimit',
        );
        await card.session(t, 'secure');
        expectEq(await card.verifyPin(ctx.target.pin), 0x9000, 'VERIFY PIN');
        expectEq((await card.readPurse()).noCvmSpend, 0, 'noCvmSpend reset by VERIFY PIN');
        await card.session(t);
        await debitOk(card, t, amount, 'no-PIN debit after the reset');
        expectTrue((await card.reload(0)).sw === 0x9000, 'RELOAD 0');
      },
    ),
    check(
      62,
      'debit.sync-required',
      '2.12',
      'with 32 unsynced records DEBIT answers 9F14; RELOAD 0 makes it work again',
      'fresh',
      async (card, ctx) => {
        const t = await shop(ctx);
        await card.ensureBalance(10_000);
        for (let i = 0; i < 32; i++) await debitOk(card, t, 3, `debit ${i + 1}`);
        const p = await card.readPurse();
        expectEq(p.counter - p.syncedThrough, 32, 'unsynced records');
        await refused(
          card,
          card.debitRequest(3),
          Outcome.REFUSED,
          Sw.SYNC_REQUIRED,
          'DEBIT with 32 unsynced',
        );
        expectTrue((await card.reload(0)).sw === 0x9000, 'RELOAD 0');
        await debitOk(card, t, 3, 'DEBIT after the sync');
      },
    ),
    check(
      63,
      'debit.counter-exhausted',
      '6.8',
      'counter FFFFFFFF answers REFUSED 9F0C',
      'fresh',
      async () => {
        throw new NotRun('needs a card whose counter reached FFFFFFFF: no interface can set it');
      },
    ),
    // --- UNDEBIT (§6.9)
    check(
      64,
      'undebit.happy',
      '6.9',
      'UNDEBIT of the last debit restores the purse; repeat ALREADY_APPLIED; not twice',
      'shared',
      async (card, ctx) => {
        const t = await shop(ctx);
        await card.ensureBalance(10_000);
        const d = await debitOk(card, t, 250, 'DEBIT to cancel');
        const req = {
          refCounter: d.after.counter,
          amount: 250,
          terminalSeq: card.nextSeq(),
          terminalNonce: new Uint8Array(8).fill(7),
          time: d.req.time + 10,
        };
        const o = await card.undebit(req);
        card.expectOutcome(o, Outcome.EXECUTED, 0x9000, 'UNDEBIT');
        const rec = decodeRecord(o.proof!.subarray(0, 66));
        expectEq(rec.type, 2, 'record type');
        expectEq(rec.refCounter, d.after.counter, 'refCounter');
        expectEq(toHex(rec.billRef), toHex(d.req.billRef), 'billRef copied from the debit');
        expectEq(rec.serviceCode, d.req.serviceCode, 'serviceCode copied');
        const p = await card.readPurse();
        expectEq(p.balance, d.before.balance, 'balance restored');
        expectEq(p.offlineSpend, d.before.offlineSpend, 'offlineSpend restored');
        expectEq(p.noCvmSpend, d.before.noCvmSpend, 'noCvmSpend restored');
        expectEq(p.counter, d.after.counter + 1, 'counter');
        await card.session(t);
        const again = await card.undebit(req, 'identical UNDEBIT');
        card.expectOutcome(again, Outcome.ALREADY_APPLIED, 0x9000, 'identical UNDEBIT');
        expectEq(toHex(again.proof!), toHex(o.proof!), 'proof of the repeat');
        const twice = await card.undebit(
          { ...req, refCounter: p.counter, terminalSeq: card.nextSeq() },
          'second UNDEBIT',
        );
        card.expectOutcome(twice, Outcome.REFUSED, Sw.UNDEBIT_REFUSED, 'second UNDEBIT');
        await card.unchanged(p, 'after the refusals');
      },
    ),
    check(
      65,
      'undebit.refusals',
      '6.9',
      'another terminal, amount, currency or outside 900 s answers REFUSED 9F07',
      'shared',
      async (card, ctx) => {
        const t = await shop(ctx);
        const other = await ctx.term('CONF-T2');
        await card.ensureBalance(10_000);
        const d = await debitOk(card, t, 300, 'DEBIT');
        const base = {
          refCounter: d.after.counter,
          amount: 300,
          terminalNonce: new Uint8Array(8),
          time: d.req.time,
        };
        const cases: Array<[string, Partial<typeof base> & { currency?: number }, TestTerminal]> = [
          ['another terminal', {}, other],
          ['another amount', { amount: 301 }, t],
          ['another currency', { currency: 0x0840 }, t],
          ['901 s later', { time: d.req.time + 901 }, t],
          ['before the debit', { time: d.req.time - 1 }, t],
        ];
        for (const [what, o, term] of cases) {
          if (card.sm?.terminal.id !== term.id) await card.session(term);
          const before = await card.readPurse();
          const r = await card.undebit({ ...base, ...o, terminalSeq: card.nextSeq() }, `UNDEBIT ${what}`);
          card.expectOutcome(r, Outcome.REFUSED, Sw.UNDEBIT_REFUSED, `UNDEBIT ${what}`);
          await card.unchanged(before, what);
        }
      },
    ),
    check(66, 'undebit.stale', '6.9', 'refCounter ≠ counter answers STALE', 'shared', async (card, ctx) => {
      const t = await shop(ctx);
      await card.ensureBalance(1000);
      const d = await debitOk(card, t, 20);
      const before = await card.readPurse();
      const o = await card.undebit({
        refCounter: d.after.counter - 1,
        amount: 20,
        terminalSeq: card.nextSeq(),
        terminalNonce: new Uint8Array(8),
        time: d.req.time,
      });
      card.expectOutcome(o, Outcome.STALE, Sw.STALE, 'UNDEBIT refCounter - 1');
      await card.unchanged(before, 'stale UNDEBIT');
    }),
    check(
      67,
      'undebit.capability',
      '6.9',
      'a registration without UNDEBIT gets REFUSED 9F06',
      'shared',
      async (card, ctx) => {
        const t = await ctx.term('NOUNDO', Cap.DEBIT);
        await card.ensureBalance(1000);
        const d = await debitOk(card, t, 20);
        const o = await card.undebit({
          refCounter: d.after.counter,
          amount: 20,
          terminalSeq: card.nextSeq(),
          terminalNonce: new Uint8Array(8),
          time: d.req.time,
        });
        card.expectOutcome(o, Outcome.REFUSED, Sw.CAPABILITY, 'UNDEBIT without UNDEBIT');
      },
    ),
  ];
}

export { encodeDebitRequest };
