/** Conformance checks: UNDEBIT (§6.10). */
import {
  Capability,
  decodeRecoveryResponse,
  decodeTransactionProof,
  encodeRecoveryRequest,
  encodeUndebitRequest,
  INS,
  Limits,
  SW,
  TxType,
  toHex,
  verifyRecoveryAttestation,
} from '@huduma/card-applet-spec';
import {
  c,
  expectEq,
  expectSw,
  expectTrue,
  fail,
  type Group,
  type GroupContext,
  keyFrom,
  now,
  type TestTerminal,
} from '../check';

export function undebitGroup({ term, shared }: GroupContext): Group {
  const undebit: Group = {
    name: 'undebit',
    checks: [
      c(
        'undebit.refusals',
        '6.9',
        'UNDEBIT refuses (9F07) another terminal, amount, counter, or outside the window',
        async (s) => {
          shared.shop = await term('CONF-U1');
          await s.select();
          await s.loadCardKey();
          await s.ensureBalance(10_000);
          await s.select();
          const time = now();
          const r = await s.auth(INS.DEBIT, shared.shop, s.debitBody(500, s.nextSeq(), { time }));
          expectSw(r, 0x9000, 'DEBIT');
          const rec = s.checkProof(r.data, 'debit');
          shared.lastDebit = {
            seq: rec.terminalSeq,
            body: new Uint8Array(),
            proof: r.data,
            amount: 500,
            time,
          };
          const undo = (t: TestTerminal, o: { ref?: number; amount?: number; time?: number }) =>
            s.select().then(() =>
              s.auth(
                INS.UNDEBIT,
                t,
                encodeUndebitRequest({
                  refCounter: o.ref ?? rec.counter,
                  amount: o.amount ?? 500,
                  terminalSeq: s.nextSeq(),
                  terminalNonce: new Uint8Array(8).fill(7),
                  time: o.time ?? time + 60,
                }),
              ),
            );
          expectSw(await undo(await term('CONF-U2'), {}), SW.UNDEBIT_REFUSED, 'another terminal');
          expectSw(await undo(shared.shop, { amount: 499 }), SW.UNDEBIT_REFUSED, 'another amount');
          expectSw(await undo(shared.shop, { ref: rec.counter - 1 }), SW.UNDEBIT_REFUSED, 'another counter');
          expectSw(
            await undo(shared.shop, { time: time + Limits.UNDEBIT_WINDOW_SECONDS + 1 }),
            SW.UNDEBIT_REFUSED,
            'after the window',
          );
          expectSw(await undo(shared.shop, { time: time - 1 }), SW.UNDEBIT_REFUSED, 'before the debit');
        },
      ),
      c(
        'undebit.happy',
        '6.9',
        'UNDEBIT of the last debit restores the balance; idempotent; not twice',
        async (s) => {
          if (!shared.lastDebit) fail('needs undebit.refusals');
          const rec = decodeTransactionProof(shared.lastDebit.proof).record;
          await s.select();
          const before = s.purse;
          const body = encodeUndebitRequest({
            refCounter: rec.counter,
            amount: rec.amount,
            terminalSeq: s.nextSeq(),
            terminalNonce: new Uint8Array(8).fill(9),
            time: shared.lastDebit.time + Limits.UNDEBIT_WINDOW_SECONDS,
          });
          const r = await s.auth(INS.UNDEBIT, shared.shop, body);
          expectSw(r, 0x9000, 'UNDEBIT');
          const u = s.checkProof(r.data, 'undebit proof');
          expectEq(u.type, TxType.UNDEBIT, 'type');
          expectEq(u.refCounter, rec.counter, 'refCounter');
          expectEq(u.billRef, rec.billRef, 'bill ref copied');
          expectEq(u.balanceAfter, before.balance + rec.amount, 'balance after');
          await s.expectPurse(
            before,
            { balance: rec.amount, counter: 1, offlineSpend: -rec.amount },
            'purse',
          );
          await s.select();
          const again = await s.auth(INS.UNDEBIT, shared.shop, body);
          expectSw(again, 0x9000, 'identical UNDEBIT repeated');
          expectEq(toHex(again.data), toHex(r.data), 'same proof');
          await s.select();
          const second = encodeUndebitRequest({ ...decodeUndebitBody(body), terminalSeq: s.nextSeq() });
          expectSw(
            await s.auth(INS.UNDEBIT, shared.shop, second),
            SW.UNDEBIT_REFUSED,
            'second UNDEBIT (not the last debit)',
          );
        },
      ),
      c(
        'undebit.capability',
        '6.9',
        'UNDEBIT by a terminal without the capability answers 9F06',
        async (s) => {
          await s.select();
          const t = await term('CONF-U4', Capability.DEBIT);
          const body = encodeUndebitRequest({
            refCounter: 1,
            amount: 1,
            terminalSeq: s.nextSeq(),
            terminalNonce: new Uint8Array(8),
            time: now(),
          });
          expectSw(await s.auth(INS.UNDEBIT, t, body), SW.CAPABILITY_MISSING, 'UNDEBIT');
        },
      ),
      c(
        'read-record.order',
        '6.11',
        'READ RECORD 1..n returns the ring newest first, each proof verifying',
        async (s) => {
          const p = await s.readPurse();
          const n = Math.min(p.counter, Limits.RING_SIZE);
          let previous = Number.POSITIVE_INFINITY;
          for (let i = 1; i <= n; i++) {
            const r = await s.card.send(0x00, 0xb2, i, 0x04, undefined, 0);
            expectSw(r, 0x9000, `READ RECORD ${i}`);
            const rec = s.checkProof(r.data, `record ${i}`);
            if (i === 1) expectEq(rec.counter, p.counter, 'newest record counter');
            expectTrue(rec.counter < previous, `record ${i} is older than record ${i - 1}`);
            previous = rec.counter;
          }
          return `${n} records`;
        },
      ),
      c(
        'read-record.errors',
        '6.11',
        'READ RECORD: 6A86 for P1 0, 17 or P2 not 04; 6A83 for an empty slot',
        async (s) => {
          expectSw(await s.card.send(0x00, 0xb2, 0, 4), SW.WRONG_P1P2, 'P1 0');
          expectSw(await s.card.send(0x00, 0xb2, 17, 4), SW.WRONG_P1P2, 'P1 17');
          expectSw(await s.card.send(0x00, 0xb2, 1, 0x0c), SW.WRONG_P1P2, 'P2 0C');
          const p = await s.readPurse();
          if (p.counter >= Limits.RING_SIZE) return 'ring full: 6A83 not observable on this card';
          expectSw(
            await s.card.send(0x00, 0xb2, p.counter + 1, 4),
            SW.RECORD_NOT_FOUND,
            `READ RECORD ${p.counter + 1}`,
          );
        },
      ),
      c('recovery.found', '6.12', 'GET LAST TRANSACTION finds a transaction and attests it', async (s) => {
        if (!shared.lastDebit) fail('needs undebit.refusals');
        const rec = decodeTransactionProof(shared.lastDebit.proof).record;
        const p = await s.readPurse();
        const request = encodeRecoveryRequest({
          terminalId: rec.terminalId,
          terminalSeq: rec.terminalSeq,
          terminalNonce: keyFrom('rcv1').slice(0, 8),
        });
        const r = await s.card.send(0x80, 0x5a, 0, 0, request, 0);
        expectSw(r, 0x9000, 'GET LAST TRANSACTION');
        const resp = decodeRecoveryResponse(r.data);
        expectTrue(resp.found, 'found');
        expectEq(toHex(resp.recordBytes!), toHex(shared.lastDebit.proof.subarray(0, 63)), 'record');
        expectEq(
          toHex(resp.recordSignature!),
          toHex(shared.lastDebit.proof.subarray(63)),
          'original signature',
        );
        expectEq(resp.counter, p.counter, 'counter');
        expectEq(resp.balance, p.balance, 'balance');
        expectTrue(
          verifyRecoveryAttestation(s.cardNumber, request, resp, s.cardPublicKey),
          'attestation verifies',
        );
        await s.expectPurse(p, { balance: 0, counter: 0 }, 'no state change');
      }),
      c(
        'recovery.not-found',
        '6.12',
        'GET LAST TRANSACTION of an unknown seq: not found, attested',
        async (s) => {
          const request = encodeRecoveryRequest({
            terminalId: 'CONF-NO',
            terminalSeq: 1,
            terminalNonce: keyFrom('rcv2').slice(0, 8),
          }).slice();
          const r = await s.card.send(0x80, 0x5a, 0, 0, request, 0);
          expectSw(r, 0x9000, 'GET LAST TRANSACTION');
          const resp = decodeRecoveryResponse(r.data);
          expectTrue(!resp.found, 'not found');
          expectTrue(
            r.data.subarray(9, 136).every((b) => b === 0),
            'zero record and signature',
          );
          expectTrue(
            verifyRecoveryAttestation(s.cardNumber, request, resp, s.cardPublicKey),
            'attestation verifies',
          );
          const bad = request.slice();
          bad[0] = 0x01;
          expectSw(await s.card.send(0x80, 0x5a, 0, 0, bad), SW.WRONG_DATA, 'undecodable terminal id');
        },
      ),
    ],
  };
  return undebit;
}

function decodeUndebitBody(body: Uint8Array) {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return {
    refCounter: v.getUint32(0),
    amount: v.getUint32(4),
    terminalSeq: v.getUint32(8),
    terminalNonce: body.slice(12, 20),
    time: v.getUint32(20),
  };
}
