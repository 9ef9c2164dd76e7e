/** §16.3 checks 78–86: the ring, READ RECORD, GET TRANSACTION and the exactly-once guarantee. */
import { concatBytes, toHex, u32 } from '@huduma/card-applet-spec';
import {
  type Card,
  type CheckDef,
  check,
  expectEq,
  expectSw,
  expectTrue,
  keyFrom,
  type TestTerminal,
} from '../check';
import {
  decodeRecord,
  decodeTxAnswer,
  Ins,
  Outcome,
  Sw,
  TxStatus,
  verifyAttestation,
  verifyProof,
} from '../wire';
import { debitOk } from './debit';

/** GET TRANSACTION (k) with a fresh nonce; verifies the attestation (§8.5). */
export async function getTransaction(card: Card, k: number) {
  const request = concatBytes(u32(k), keyFrom(`gt:${k}:${Math.random()}`).slice(0, 8));
  const r = await card.send(0x80, Ins.GET_TRANSACTION, 0, 0, request, 0);
  expectSw(r, 0x9000, `GET TRANSACTION ${k}`);
  const a = decodeTxAnswer(r.data);
  expectTrue(
    verifyAttestation(card.cardNumber, request, a, card.cert.pkCard),
    `GET TRANSACTION ${k}: attestation does not verify`,
  );
  return a;
}

async function readRecord(card: Card, n: number) {
  return card.send(0x00, Ins.READ_RECORD, n, 0x04, undefined, 0);
}

/** A small deterministic PRNG (mulberry32) for the seeded checks. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function recoveryChecks(): CheckDef[] {
  return [
    check(
      78,
      'ring.retention',
      '2.12',
      'after 32 unsynced + RELOAD, READ RECORD 1..32 are the RELOAD and the 31 newest',
      'fresh',
      async (card, ctx) => {
        const t = await ctx.term('CONF-T1');
        await card.ensureBalance(10_000);
        for (let i = 0; i < 32; i++) await debitOk(card, t, 2, `debit ${i + 1}`);
        expectSw(await card.reload(0), 0x9000, 'RELOAD 0');
        const p = await card.readPurse();
        for (let n = 1; n <= 32; n++) {
          const r = await readRecord(card, n);
          expectSw(r, 0x9000, `READ RECORD ${n}`);
          const rec = decodeRecord(r.data.subarray(0, 66));
          expectEq(rec.counter, p.counter - n + 1, `READ RECORD ${n}: counter`);
          expectEq(rec.type, n === 1 ? 3 : 1, `READ RECORD ${n}: type`);
        }
      },
    ),
    check(
      79,
      'read-record.order',
      '6.11',
      'READ RECORD 1..n returns the ring newest first, each proof verifying',
      'shared',
      async (card, ctx) => {
        await card.ensureBalance(1000);
        for (let i = 0; i < 3; i++) await debitOk(card, await ctx.term('CONF-T1'), 5 + i, `debit ${i + 1}`);
        const p = await card.readPurse();
        const n = Math.min(32, p.counter);
        for (let i = 1; i <= n; i++) {
          const r = await readRecord(card, i);
          expectSw(r, 0x9000, `READ RECORD ${i}`);
          expectEq(r.data.length, 130, 'record ‖ signature');
          expectTrue(verifyProof(card.cardNumber, r.data, card.cert.pkCard), `READ RECORD ${i}: signature`);
          expectEq(
            decodeRecord(r.data.subarray(0, 66)).counter,
            p.counter - i + 1,
            `READ RECORD ${i}: counter`,
          );
        }
        return `${n} records`;
      },
    ),
    check(
      80,
      'read-record.errors',
      '6.11',
      'P1 0, 33 or P2 ≠ 04 answer 6A86; an empty slot 6A83',
      'shared',
      async (card) => {
        expectSw(await readRecord(card, 0), Sw.WRONG_P1P2, 'READ RECORD 0');
        expectSw(await readRecord(card, 33), Sw.WRONG_P1P2, 'READ RECORD 33');
        expectSw(
          await card.send(0x00, Ins.READ_RECORD, 1, 0x0c, undefined, 0),
          Sw.WRONG_P1P2,
          'READ RECORD P2 0C',
        );
        const p = await card.readPurse();
        if (p.counter < 32)
          expectSw(
            await readRecord(card, p.counter + 1),
            Sw.RECORD_NOT_FOUND,
            `READ RECORD ${p.counter + 1} (empty)`,
          );
        else return 'ring full: the empty-slot case is covered only on cards with fewer than 32 records';
      },
    ),
    check(
      81,
      'recovery.found',
      '6.12',
      'GET TRANSACTION (c+1) after a debit answers FOUND with record, signature, attestation',
      'shared',
      async (card, ctx) => {
        await card.ensureBalance(1000);
        const d = await debitOk(card, await ctx.term('CONF-T1'), 15);
        const a = await getTransaction(card, d.before.counter + 1);
        expectEq(a.status, TxStatus.FOUND, 'status');
        expectEq(toHex(concatBytes(a.record, a.signature)), toHex(d.proof), 'record ‖ signature = the proof');
        expectEq(a.counter, d.after.counter, 'current counter');
        expectEq(a.balance, d.after.balance, 'current balance');
        expectEq(a.syncedThrough, d.after.syncedThrough, 'syncedThrough');
      },
    ),
    check(
      82,
      'recovery.not-executed',
      '6.12',
      'GET TRANSACTION (counter + 1) answers NOT_EXECUTED, attested',
      'shared',
      async (card) => {
        const p = await card.readPurse();
        const a = await getTransaction(card, p.counter + 1);
        expectEq(a.status, TxStatus.NOT_EXECUTED, 'status');
        expectEq(toHex(a.record), '00'.repeat(66), 'record zeros');
        expectEq(toHex(a.signature), '00'.repeat(64), 'signature zeros');
      },
    ),
    check(
      83,
      'recovery.synced',
      '6.12',
      'a counter evicted after sync answers SYNCED',
      'fresh',
      async (card, ctx) => {
        const t = await ctx.term('CONF-T1');
        await card.ensureBalance(10_000);
        const first = (await card.readPurse()).counter;
        for (let i = 0; i < 31; i++) await debitOk(card, t, 1, `debit ${i + 1}`);
        expectSw(await card.reload(0), 0x9000, 'RELOAD 0');
        await debitOk(card, t, 1, 'one more debit');
        await debitOk(card, t, 1, 'and another');
        const a = await getTransaction(card, first);
        expectEq(a.status, TxStatus.SYNCED, `GET TRANSACTION ${first}`);
      },
    ),
    check(
      84,
      'recovery.never-unknown',
      '6.12, 10.2',
      'for every k in 1..counter the answer is FOUND or SYNCED (seeded)',
      'fresh',
      async (card, ctx) => {
        const next = rng(ctx.seed);
        const ts = [await ctx.term('CONF-T1'), await ctx.term('CONF-T2')];
        await card.ensureBalance(50_000);
        for (let i = 0; i < 45; i++) {
          const p = await card.readPurse();
          if (p.counter - p.syncedThrough >= 31 || next() < 0.1)
            expectSw(await card.reload(0), 0x9000, 'RELOAD 0');
          else await debitOk(card, ts[Math.floor(next() * 2)]!, 1 + Math.floor(next() * 50), `debit ${i}`);
        }
        const p = await card.readPurse();
        for (let k = 1; k <= p.counter; k++) {
          const a = await getTransaction(card, k);
          expectTrue(
            a.status === TxStatus.FOUND || a.status === TxStatus.SYNCED,
            `k ${k}: status ${a.status} (seed ${ctx.seed})`,
          );
          if (a.status === TxStatus.FOUND)
            expectEq(decodeRecord(a.record).counter, k, `k ${k}: record counter (seed ${ctx.seed})`);
          else expectTrue(k <= a.syncedThrough, `k ${k}: SYNCED above syncedThrough (seed ${ctx.seed})`);
        }
        return `seed ${ctx.seed}, ${p.counter} transactions`;
      },
    ),
    check(85, 'recovery.zero', '6.12', 'k = 0 answers 6A80', 'shared', async (card) => {
      expectSw(
        await card.send(0x80, Ins.GET_TRANSACTION, 0, 0, new Uint8Array(12), 0),
        Sw.WRONG_DATA,
        'GET TRANSACTION 0',
      );
    }),
    check(
      86,
      'exactly-once.random',
      '10.2, 10.4',
      'seeded schedules with lost responses and repeats: each request executes at most once, §10.4 resolves all',
      'fresh',
      async (card, ctx) => {
        const next = rng(ctx.seed ^ 0x5eed);
        const ts = [await ctx.term('CONF-T1'), await ctx.term('CONF-T2'), await ctx.term('CONF-T3')];
        await card.ensureBalance(100_000);
        const start = await card.readPurse();
        type Intent = { t: TestTerminal; req: ReturnType<Card['debitRequest']>; executed?: boolean };
        const intents: Intent[] = [];
        let reloads = 0;
        for (let i = 0; i < 40; i++) {
          const roll = next();
          const p = await card.readPurse();
          if (p.counter - p.syncedThrough >= 30 || roll < 0.1) {
            expectSw(await card.reload(0), 0x9000, 'RELOAD 0');
            reloads++;
            continue;
          }
          const unresolved = intents.filter((x) => x.executed === undefined);
          const repeat = roll < 0.35 && unresolved.length > 0;
          const intent = repeat ? unresolved[Math.floor(next() * unresolved.length)]! : undefined;
          const t = intent?.t ?? ts[Math.floor(next() * 3)]!;
          await card.session(t);
          await card.readPurse();
          const it: Intent = intent ?? { t, req: card.debitRequest(1 + Math.floor(next() * 100)) };
          if (!intent) intents.push(it);
          // Journaled, then the command never reached the card (card pulled before sending).
          if (next() < 0.15) continue;
          const o = await card.debit(it.req, `debit ${i}`);
          const lost = next() < 0.4;
          if (lost) continue; // the terminal never saw the answer
          if (o.outcome === Outcome.EXECUTED || o.outcome === Outcome.ALREADY_APPLIED) {
            expectTrue(
              it.executed !== false,
              `request ${it.req.terminalSeq} executed after being resolved as not executed (seed ${ctx.seed})`,
            );
            it.executed = true;
          }
        }
        // §10.4 resolution for every intent whose outcome the terminal does not know.
        await card.select();
        for (const it of intents) {
          const c = it.req.expectedCounter;
          if (card.fci.purse.counter === c) {
            expectTrue(it.executed !== true, 'counter = c but the request executed');
            it.executed = false;
            continue;
          }
          const a = await getTransaction(card, c + 1);
          expectTrue(
            a.status === TxStatus.FOUND || a.status === TxStatus.SYNCED,
            `GET TRANSACTION ${c + 1}: status ${a.status} (seed ${ctx.seed})`,
          );
          if (a.status === TxStatus.SYNCED) continue; // the clearing service would answer; the balance check below still holds
          const rec = decodeRecord(a.record);
          const mine =
            rec.terminalId === it.t.id &&
            rec.terminalSeq === it.req.terminalSeq &&
            rec.amount === it.req.amount;
          if (it.executed === true)
            expectTrue(
              mine,
              `request ${it.req.terminalSeq} executed but the record at ${c + 1} is another (seed ${ctx.seed})`,
            );
          it.executed = mine;
        }
        // At most once: the balance moved by exactly the debits resolved as executed.
        const p = await card.readPurse();
        const spent = intents.filter((x) => x.executed).reduce((s, x) => s + x.req.amount, 0);
        const synced = intents.filter((x) => x.executed === undefined).length;
        if (synced === 0) expectEq(p.balance, start.balance - spent, `balance (seed ${ctx.seed})`);
        const executed = intents.filter((x) => x.executed).length;
        const never = intents.filter((x) => x.executed === false).length;
        return `seed ${ctx.seed}: ${intents.length} requests, ${executed} executed, ${never} never executed, ${reloads} reloads`;
      },
    ),
  ];
}
