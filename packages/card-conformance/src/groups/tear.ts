/**
 * §16.7 checks 122–126 (power cut at the named tear points of §10; targets with `openTearableCard`)
 * and §16.8 checks 127–128 (tooling: run where the repository checkout is at hand).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concatBytes, keyIdOf, sha256, toHex } from '@huduma/card-applet-spec';
import {
  type Card,
  type CheckDef,
  CheckFailure,
  check,
  expectEq,
  expectSw,
  expectTrue,
  NotRun,
} from '../check';
import type { TearableCard } from '../target';
import { encodeDebitRequest, Ins, Outcome, Sw } from '../wire';

/**
 * Tear point names a TearableCard understands: §10.3 T0–T4 for each value command, §10.5 for the
 * PIN (after the try decrement, before the compare), §10.6 the three REGISTER writes.
 */
export const TearPoint = {
  debit: (t: 0 | 1 | 2 | 3 | 4) => `debit:T${t}`,
  reload: (t: 0 | 1 | 2 | 3 | 4) => `reload:T${t}`,
  PIN_AFTER_DECREMENT: 'pin:after-decrement',
  register: (step: 1 | 2 | 3) => `register:${step}`,
} as const;

const tearable = (card: Card) => card.raw.transport as TearableCard;

/** Sends `send` with power cut at `point`; the card must not answer; then powers up and SELECTs. */
async function cut(card: Card, point: string, send: () => Promise<unknown>) {
  const t = tearable(card);
  t.armTear(point);
  let answered = false;
  try {
    await send();
    answered = true;
  } catch {
    // torn: no response
  }
  expectTrue(!answered, `the command torn at ${point} still answered (the target did not cut power)`);
  await t.powerUp();
  card.sm = undefined;
  await card.select();
}

async function ringHead(card: Card) {
  const r = await card.send(0x00, Ins.READ_RECORD, 1, 4, undefined, 0);
  return r.sw === 0x9000 ? toHex(r.data) : `sw ${r.sw.toString(16)}`;
}

function repoFile(rel: string): string | undefined {
  const path = fileURLToPath(new URL(`../../../../${rel}`, import.meta.url));
  return existsSync(path) ? path : undefined;
}

export function tearChecks(): CheckDef[] {
  return [
    check(
      122,
      'tear.debit-t0-t2',
      '10.3',
      'power cut at T0, T1, T2: purse and ring as before, counter = c',
      'tear',
      async (card, ctx) => {
        const t = await ctx.term('CONF-T1');
        await card.ensureBalance(1000);
        for (const p of [0, 1, 2] as const) {
          await card.session(t);
          const before = await card.readPurse();
          const head = await ringHead(card);
          const req = card.debitRequest(10);
          await cut(card, TearPoint.debit(p), () => card.debit(req));
          await card.unchanged(before, `tear at T${p}`);
          expectEq(await ringHead(card), head, `ring after the tear at T${p}`);
        }
      },
    ),
    check(
      123,
      'tear.debit-t3-t4',
      '10.3',
      'power cut at T3, T4: executed once; the identical repeat answers ALREADY_APPLIED',
      'tear',
      async (card, ctx) => {
        const t = await ctx.term('CONF-T1');
        await card.ensureBalance(1000);
        for (const p of [3, 4] as const) {
          await card.session(t);
          const before = await card.readPurse();
          const req = card.debitRequest(10);
          await cut(card, TearPoint.debit(p), () => card.debit(req));
          const after = await card.readPurse();
          expectEq(after.counter, before.counter + 1, `counter after the tear at T${p}`);
          expectEq(after.balance, before.balance - 10, `balance after the tear at T${p}`);
          await card.session(t);
          const o = await card.debit(req, 'repeat');
          card.expectOutcome(o, Outcome.ALREADY_APPLIED, 0x9000, `repeat after T${p}`);
          await card.unchanged(after, 'repeat');
        }
      },
    ),
    check(
      124,
      'tear.reload',
      '10.7',
      'RELOAD torn: before or after, never between; a used authorization cannot be reused',
      'tear',
      async (card) => {
        for (const p of [0, 1, 2, 3, 4] as const) {
          await card.getChallenge();
          const before = await card.readPurse();
          const auth = await card.loadAuthorization(5);
          await cut(card, TearPoint.reload(p), () =>
            card.send(0x80, Ins.RELOAD, 0, 0, auth, 0).then((r) => r),
          );
          const after = await card.readPurse();
          const applied = after.counter === before.counter + 1;
          if (applied) expectEq(after.balance, before.balance + 5, `balance after the tear at T${p}`);
          else await card.unchanged(before, `tear at T${p}`);
          await card.getChallenge();
          const before2 = await card.readPurse();
          expectSw(
            await card.send(0x80, Ins.RELOAD, 0, 0, auth, 0),
            Sw.LOAD_AUTH_INVALID,
            `the torn authorization again (T${p})`,
          );
          await card.unchanged(before2, 'reused authorization');
        }
      },
    ),
    check(
      125,
      'tear.pin',
      '10.5',
      'power cut after the try decrement: the try is lost, no free guess',
      'tear',
      async (card, ctx) => {
        await card.session(await ctx.term('CONF-S1'), 'secure');
        const before = (await card.readPurse()).pinStatus & 0x0f;
        await cut(card, TearPoint.PIN_AFTER_DECREMENT, () => card.verifyPin(ctx.target.pin));
        expectEq((await card.readPurse()).pinStatus & 0x0f, before - 1, 'PIN tries after the tear');
        await card.session(await ctx.term('CONF-S1'), 'secure');
        expectEq(await card.verifyPin(ctx.target.pin), 0x9000, 'VERIFY PIN after power-up');
      },
    ),
    check(
      126,
      'tear.register',
      '10.6',
      'power cut during REGISTER: the slot is invalid (9F12) or complete',
      'tear',
      async (card, ctx) => {
        for (const step of [1, 2, 3] as const) {
          const t = await ctx.term(`CONF-TR${step}`);
          await cut(card, TearPoint.register(step), () => card.register(t));
          const r = await card.open(t, 'tap', { sw: -1 }); // a 9000 has its cryptogram verified
          expectTrue(
            r.sw === 0x9000 || r.sw === Sw.NOT_REGISTERED,
            `OPEN SESSION after the tear at step ${step}: ${r.sw.toString(16)}`,
          );
          if (r.sw === 0x9000) {
            const o = await card.debit(encodeDebitRequest(card.debitRequest(0)), 'probe');
            expectEq(o.outcome, Outcome.REFUSED, 'probe outcome');
          }
        }
      },
    ),
    check(
      127,
      'tooling.terminal-key-id',
      '14',
      'a dev-PKI terminal key file carries SHA-256(QT)[0..7]; a mismatching file is refused',
      'repository',
      async () => {
        const { DevPki } = await import('@huduma/pki');
        const dir = mkdtempSync(join(tmpdir(), 'huduma-conformance-pki-'));
        try {
          const pki = DevPki.init(join(dir, 'pki'));
          const issued = await pki.issueTerminal({
            terminalId: 'CONF-KID',
            merchantId: 'CONFORM',
            capabilities: ['debit'],
          });
          const file = join(dir, 'pki', 'terminals', 'CONF-KID.key');
          const jwk = JSON.parse(readFileSync(file, 'utf8')) as { kid: string };
          expectEq(jwk.kid.toLowerCase(), toHex(sha256(issued.publicKey).slice(0, 8)), 'kid');
          expectEq(toHex(keyIdOf(issued.publicKey)), jwk.kid.toLowerCase(), 'keyIdOf(QT)');
          expectEq(toHex(issued.certificate.subarray(36, 101)), toHex(issued.publicKey), 'certificate QT');
          writeFileSync(file, JSON.stringify({ ...jwk, kid: toHex(keyIdOf(pki.acquirerCa.publicKey)) }));
          let refused = '';
          try {
            pki.loadTerminal('CONF-KID');
          } catch (err) {
            refused = (err as { code?: string }).code ?? 'error';
          }
          expectEq(refused, 'ERR_PKI_KEY_ID_MISMATCH', 'loading a key file with the CA key id');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    ),
    check(
      128,
      'tooling.vectors-example',
      '15',
      'vectors/v2.json reproduces every value of §15 byte for byte',
      'repository',
      async () => {
        const vectors = repoFile('card-applet-spec/vectors/v2.json');
        const spec = repoFile('card-applet-spec/SPEC.md');
        if (!spec) throw new NotRun('needs the repository checkout (SPEC text)');
        if (!vectors) throw new CheckFailure('card-applet-spec/vectors/v2.json does not exist yet');
        const text = readFileSync(spec, 'utf8');
        const example = text.slice(text.indexOf('## 15.'), text.indexOf('## 16.'));
        const json = readFileSync(vectors, 'utf8')
          .toUpperCase()
          .replace(/[^0-9A-F]/g, '');
        // Every hex value of 16+ digits, except the SSC constant (0…01), which is not a vector.
        const values = [...example.matchAll(/\b([0-9A-F]{16,})\b/g)]
          .map((m) => m[1]!)
          .filter((v) => !/^0+1$/.test(v));
        const missing = values.filter((v) => !json.includes(v));
        expectEq(
          missing.length,
          0,
          `§15 values missing from vectors/v2.json: ${missing.slice(0, 5).join(', ')}`,
        );
        return `${values.length} values of §15 found`;
      },
    ),
  ];
}

export { concatBytes };
