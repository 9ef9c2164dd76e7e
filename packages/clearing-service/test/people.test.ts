/**
 * People and access: sign-in with argon2id hashes, session cookie attributes, CSRF, throttling,
 * the append-only audit trail, merchants seeing only their own data (and a statement that
 * reconciles to the cent), the receipt check verified with public keys, and the admin CLI.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReceiptCheckAnswer, verifyReceipt } from '../src/pages/verify-receipt';
import { findAccountForLogin } from '../src/people/accounts';
import { runUserCommand } from '../src/people/cli-user';
import { lastNairobiDays } from '../src/people/ranges';
import { lockMsAfter, MAX_LOCK_MS } from '../src/people/throttle';
import { PASSWORD, type PeopleWorld, startPeopleWorld } from './support/people-world';

let w: PeopleWorld;
beforeAll(async () => {
  w = await startPeopleWorld();
});
afterAll(async () => {
  await w?.close();
});

const count = async (table: string) =>
  (await w.db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n;

describe('accounts and sessions', () => {
  it('stores argon2id hashes, never the password', async () => {
    const a = await findAccountForLogin(w.db, 'ops.jane');
    expect(a?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a?.passwordHash).not.toContain(PASSWORD);
  });

  it('sets an HttpOnly, SameSite=Strict session cookie and hands the CSRF token to the page', async () => {
    const res = await w.call(undefined, 'POST', '/v1/session', { username: 'ops.jane', password: PASSWORD });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^huduma_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP here; Secure is set behind TLS
    const token = cookie.split(';')[0]!.split('=')[1]!;
    const rows = await w.db.query<{ token_hash: Uint8Array }>('SELECT token_hash FROM sessions');
    const stored = rows.map((r) => Buffer.from(r.token_hash).toString('hex'));
    expect(stored).toContain(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(token);
    const me = await w.call({ cookie: cookie.split(';')[0]!, csrf: '' }, 'GET', '/v1/session');
    expect(me.json()).toMatchObject({
      username: 'ops.jane',
      role: 'operator',
      csrfToken: res.json().csrfToken,
    });
  });

  it('refuses a state change without the CSRF token, and stores nothing', async () => {
    const op = await w.signIn('operator');
    const before = [await count('deny_list'), await count('audit_trail')];
    for (const csrf of ['', 'x'.repeat(43), (await w.signIn('operator')).csrf]) {
      const res = await w.call({ cookie: op.cookie, csrf }, 'POST', '/v1/console/deny-list', {
        cardNumber: '4000000000000002',
        action: 'add',
        reason: 'test',
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toBe('ERR_CSRF');
    }
    expect([await count('deny_list'), await count('audit_trail')]).toEqual(before);
  });

  it('signs out: the session row goes and the cookie no longer works', async () => {
    const m = await w.signIn('merchantA');
    expect((await w.call(m, 'POST', '/v1/session/logout', {})).statusCode).toBe(200);
    expect((await w.call(m, 'GET', '/v1/merchant/terminals')).statusCode).toBe(401);
  });

  it('throttles sign-in per account, exponentially, even for the right password while locked', async () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => lockMsAfter('account', n))).toEqual([0, 0, 0, 1000, 2000, 4000]);
    expect(lockMsAfter('account', 500)).toBe(MAX_LOCK_MS);
    expect(lockMsAfter('ip', 10)).toBe(0);
    const tries: number[] = [];
    for (let i = 0; i < 4; i++) {
      tries.push(
        (
          await w.call(undefined, 'POST', '/v1/session', {
            username: 'audit.sam',
            password: 'wrong password!!',
          })
        ).statusCode,
      );
    }
    expect(tries).toEqual([401, 401, 401, 401]);
    const locked = await w.call(undefined, 'POST', '/v1/session', {
      username: 'audit.sam',
      password: PASSWORD,
    });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error).toBe('ERR_LOGIN_THROTTLED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await w.db.query("UPDATE login_failures SET locked_until_ms = 0 WHERE subject LIKE 'account:audit.sam'");
    await w.db.query("DELETE FROM login_failures WHERE subject LIKE 'ip:%'");
    expect(
      (await w.call(undefined, 'POST', '/v1/session', { username: 'audit.sam', password: PASSWORD }))
        .statusCode,
    ).toBe(200);
  });

  it('answers an unknown username exactly like a wrong password', async () => {
    const res = await w.call(undefined, 'POST', '/v1/session', {
      username: 'nobody.here',
      password: PASSWORD,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('ERR_LOGIN');
    await w.db.query('DELETE FROM login_failures');
  });
});

describe('the audit trail', () => {
  it('records who, when and why for deny-list edits, triage and onboarding', async () => {
    const op = await w.signIn('operator');
    const add = await w.call(op, 'POST', '/v1/console/deny-list', {
      cardNumber: '4000000000000002',
      action: 'add',
      reason: 'cloned card',
    });
    expect(add.statusCode, add.body).toBe(200);
    const onboard = await w.call(op, 'POST', '/v1/console/merchants', {
      merchantId: 'KRA-01',
      name: 'KRA iTax',
      reason: 'signed contract 42',
    });
    expect(onboard.statusCode, onboard.body).toBe(200);
    await w.db.query(
      `INSERT INTO alerts (kind, severity, card_number) VALUES ('card-clone', 'critical', '4000000000000002')`,
    );
    const [alert] = await w.db.query<{ alert_id: number }>('SELECT max(alert_id) AS alert_id FROM alerts');
    const triage = await w.call(op, 'POST', `/v1/console/alerts/${alert!.alert_id}/triage`, {
      status: 'resolved',
      note: 'card denied',
    });
    expect(triage.statusCode, triage.body).toBe(200);
    const trail = (await w.call(op, 'GET', '/v1/console/audit')).json().entries as Array<
      Record<string, unknown>
    >;
    expect(trail.map((e) => [e.actor, e.action, e.subject, e.reason])).toEqual(
      expect.arrayContaining([
        ['operator:ops.jane', 'deny-list-add', 'card:4000000000000002', 'cloned card'],
        ['operator:ops.jane', 'merchant-onboard', 'merchant:KRA-01', 'signed contract 42'],
        ['operator:ops.jane', 'alert-triage', `alert:${alert!.alert_id}`, 'card denied'],
      ]),
    );
    expect(trail.every((e) => typeof e.createdAt === 'string')).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the audit trail', async () => {
    const before = await count('audit_trail');
    expect(before).toBeGreaterThan(0);
    await expect(w.db.query("UPDATE audit_trail SET reason = 'nothing happened'")).rejects.toThrow(
      /append-only/,
    );
    await expect(w.db.query('DELETE FROM audit_trail')).rejects.toThrow(/append-only/);
    await expect(w.db.exec('TRUNCATE audit_trail')).rejects.toThrow(/append-only/);
    expect(await count('audit_trail')).toBe(before);
    const reasons = await w.db.query<{ reason: string }>('SELECT reason FROM audit_trail');
    expect(reasons.map((r) => r.reason)).not.toContain('nothing happened');
  });

  it('lets an auditor read but not act', async () => {
    const au = await w.signIn('auditor');
    expect((await w.call(au, 'GET', '/v1/console/audit')).statusCode).toBe(200);
    const res = await w.call(au, 'POST', '/v1/console/deny-list', {
      cardNumber: '4000000000000002',
      action: 'remove',
      reason: 'x',
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('ERR_FORBIDDEN');
  });
});

describe('the merchant portal', () => {
  it('shows a merchant only its own terminals and sales', async () => {
    const a = await w.signIn('merchantA');
    const b = await w.signIn('merchantB');
    // Nairobi's today and yesterday: the fixture's sales are an hour old, so after 00:00 EAT
    // they belong to yesterday's business day.
    const day = new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() + 3 * 3600_000 - 86_400_000).toISOString().slice(0, 10);
    const range = `from=2020-01-01&to=${day}`;
    expect(
      (await w.call(a, 'GET', '/v1/merchant/terminals'))
        .json()
        .terminals.map((t: { terminalId: string }) => t.terminalId),
    ).toEqual(['TRM-A1']);
    expect(
      (await w.call(b, 'GET', '/v1/merchant/terminals'))
        .json()
        .terminals.map((t: { terminalId: string }) => t.terminalId),
    ).toEqual(['TRM-B1']);
    const salesB = (await w.call(b, 'GET', `/v1/merchant/sales?from=${yesterday}&to=${day}`)).json()
      .sales as Array<{ terminalId: string; card: string }>;
    expect(salesB.length).toBe(1);
    expect(salesB.every((s) => s.terminalId === 'TRM-B1' && /^\d{4} •••• •••• \d{4}$/.test(s.card))).toBe(
      true,
    );
    expect((await w.call(a, 'GET', `/v1/merchant/sales?${range}`)).statusCode).toBe(400); // more than 366 days
  });

  it('defaults to the last 7 Nairobi days, and the download honours the range asked for', async () => {
    const a = await w.signIn('merchantA');
    // The service clock is the real one here: the range is the one holding the request's instant.
    const before = lastNairobiDays(Date.now());
    const statement = (await w.call(a, 'GET', '/v1/merchant/statement')).json();
    const after = lastNairobiDays(Date.now());
    expect([before, after]).toContainEqual({ from: statement.from, to: statement.to });
    // The fixture's sales are an hour old: inside the default range at any hour.
    expect(statement.totalNetCents).toBe(170_50);
    const sales = (await w.call(a, 'GET', '/v1/merchant/sales')).json();
    expect(sales.sales.length).toBeGreaterThan(0);
    // A range before the sales: the CSV names it and holds none of them.
    const csv = await w.call(a, 'GET', '/v1/merchant/statement?from=2020-01-01&to=2020-01-07&format=csv');
    expect(csv.headers['content-disposition']).toContain('2020-01-01-2020-01-07');
    expect(csv.body.trim().split('\r\n')).toEqual([
      'date,sales,gross_kes,cancels,cancels_kes,net_kes',
      'total,,,,,0.00',
    ]);
    const bad = await w.call(a, 'GET', '/v1/merchant/statement?to=2026-02-31');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('query.to');
  });

  it('downloads a statement that reconciles to the cent with the accepted records', async () => {
    const a = await w.signIn('merchantA');
    const day = new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() + 3 * 3600_000 - 86_400_000).toISOString().slice(0, 10);
    const csv = await w.call(a, 'GET', `/v1/merchant/statement?from=${yesterday}&to=${day}&format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('date,sales,gross_kes,cancels,cancels_kes,net_kes');
    const total = lines.at(-1)!.split(',').at(-1)!;
    const [held] = await w.db.query<{ net: number }>(
      `SELECT coalesce(sum(CASE record_type WHEN 'debit' THEN amount_cents ELSE -amount_cents END), 0)::bigint AS net
       FROM accepted_records WHERE merchant_id = 'ECITIZEN' AND record_type IN ('debit', 'cancel')`,
    );
    expect(total).toBe('170.50');
    expect(Math.round(Number(total) * 100)).toBe(held!.net);
  });
});

describe('the public receipt check', () => {
  const ref = () => createHash('sha256').update(w.saleA.cardProof).digest('hex');
  const keys = () => ({
    servicePublicKey: w.signer.publicKey,
    issuerCaKeys: w.pki.trust.issuerCaKeys,
  });
  const fetchAnswer = async (proof: string) =>
    w.call(undefined, 'GET', `/v1/receipt-check?terminalId=TRM-A1&seq=${w.saleA.seq}&proof=${proof}`);

  it('verifies a receipt with public keys only, from the printed 8-digit reference or the QR hash', async () => {
    for (const proof of [ref().slice(0, 8).toUpperCase(), ref()]) {
      const res = await fetchAnswer(proof);
      expect(res.statusCode, res.body).toBe(200);
      const verdict = await verifyReceipt(res.json(), proof, keys());
      expect(verdict).toMatchObject({
        ok: true,
        terminalId: 'TRM-A1',
        kind: 'sale',
        amountCents: w.saleA.amountCents,
      });
    }
  });

  it('refuses a tampered answer at the step that catches it', async () => {
    const answer = (await fetchAnswer(ref())).json() as ReceiptCheckAnswer;
    const flip = (hex: string, at: number) =>
      hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1);
    const cases: Array<[string, ReceiptCheckAnswer, string]> = [
      [
        'checkpoint',
        { ...answer, checkpoint: { ...answer.checkpoint, treeSize: answer.checkpoint.treeSize + 1 } },
        ref(),
      ],
      ['inclusion', { ...answer, record: flip(answer.record, 40) }, ref()],
      ['inclusion', { ...answer, leafIndex: answer.leafIndex + 1 }, ref()],
      ['reference', answer, `${ref().slice(0, 7)}${ref()[7] === '0' ? '1' : '0'}`],
      ['record', { ...answer, cardProof: flip(answer.cardProof, 12) }, ref()],
    ];
    for (const [step, tampered, proof] of cases) {
      expect(await verifyReceipt(tampered, proof, keys())).toMatchObject({ ok: false, step });
    }
    const otherKey = { ...keys(), issuerCaKeys: [w.signer.publicKey] };
    expect(await verifyReceipt(answer, ref(), otherKey)).toMatchObject({ ok: false, step: 'certificate' });
  });

  it('answers a wrong proof reference exactly like a missing sale', async () => {
    const wrong = await fetchAnswer('00000000');
    const missing = await w.call(
      undefined,
      'GET',
      `/v1/receipt-check?terminalId=TRM-ZZ&seq=0&proof=${ref()}`,
    );
    expect([wrong.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(wrong.json()).toEqual(missing.json());
  });
});

describe('huduma-clearing user add', () => {
  const io = (input: { env?: Record<string, string>; stdin?: string }) => {
    const out: string[] = [];
    return {
      out,
      io: {
        env: input.env ?? {},
        readStdin: async () => input.stdin ?? '',
        out: (t: string) => void out.push(t),
        db: w.db,
      },
    };
  };

  it('creates the first operator with the password from stdin, and audits it', async () => {
    const x = io({ stdin: 'a long enough password\n' });
    await runUserCommand(['add', '--role', 'operator', '--username', 'first.op'], x.io);
    expect(x.out.join('')).toBe('created operator first.op\n');
    expect(
      (
        await w.call(undefined, 'POST', '/v1/session', {
          username: 'first.op',
          password: 'a long enough password',
        })
      ).statusCode,
    ).toBe(200);
    const trail = await w.db.query<{ action: string }>(
      "SELECT action FROM audit_trail WHERE subject = 'account:first.op'",
    );
    expect(trail).toEqual([{ action: 'account-create' }]);
  });

  it('refuses a password on the command line, short passwords and unknown merchants, creating nothing', async () => {
    const before = await count('accounts');
    await expect(
      runUserCommand(
        ['add', '--role', 'operator', '--username', 'x.op', '--password', 'a long enough password'],
        io({}).io,
      ),
    ).rejects.toMatchObject({ code: 'ERR_CLI_PASSWORD_ARGV' });
    await expect(
      runUserCommand(
        ['add', '--role', 'operator', '--username', 'y.op'],
        io({ env: { HUDUMA_USER_PASSWORD: 'short' } }).io,
      ),
    ).rejects.toMatchObject({ code: 'ERR_ACCOUNT_PASSWORD' });
    await expect(
      runUserCommand(
        ['add', '--role', 'merchant', '--username', 'z.shop', '--merchant', 'NOPE'],
        io({ stdin: 'a long enough password' }).io,
      ),
    ).rejects.toMatchObject({ code: 'ERR_ACCOUNT_MERCHANT' });
    await expect(
      runUserCommand(
        ['add', '--role', 'root', '--username', 'z.root'],
        io({ stdin: 'a long enough password' }).io,
      ),
    ).rejects.toMatchObject({ code: 'ERR_ACCOUNT_ROLE' });
    expect(await count('accounts')).toBe(before);
  });
});
