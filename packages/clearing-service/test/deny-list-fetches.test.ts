/**
 * The signed deny list is a terminal request: the service knows who fetched which version, records
 * it once the answer is built (version and time), records nothing for a refused fetch, and shows
 * operators the terminals still holding an older version.
 */
import { checkAnswer, DenyListTerminals } from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { fleet } from '../src/people/console-queries';
import { encodeDenyListDelta } from '../src/signed-messages';
import { generateSigner, type Signer, verifyP256 } from '../src/signer';
import { cardNumberFor, TestPki, type TestTerminal } from './fixtures';
import { openTestPglite } from './support/pglite-pool';

const OPERATOR = 'operator-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${OPERATOR}` };

describe('deny-list fetches per terminal', () => {
  let db: Db;
  let signer: Signer;
  let app: FastifyInstance;
  const pki = new TestPki();
  // The service clock: near the real one, since the request signatures carry Date.now().
  let nowMs = Date.now();

  beforeAll(async () => {
    db = await openTestPglite();
    signer = generateSigner();
    app = createClearingService({
      db,
      signer,
      operatorToken: OPERATOR,
      logger: false,
      trust: pki.trust,
      now: () => nowMs,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });
  beforeEach(async () => {
    await db.exec('TRUNCATE terminal_deny_list_fetches');
  });

  const fetchDenyList = (t: TestTerminal, since: number, headers?: Record<string, string>) => {
    const url = `/v1/terminals/${t.terminalId}/deny-list?since=${since}`;
    return app.inject({ method: 'GET', url, headers: headers ?? t.signRequest('GET', url) });
  };
  const deny = async (cardNumber: string, action: 'add' | 'remove' = 'add') => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/deny-list',
      headers: auth,
      payload: { cardNumber, action, reason: 'reported stolen' },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().version as number;
  };
  const fetches = () =>
    db.query<{ terminal_id: string; version: number; fetched_at: Date }>(
      'SELECT terminal_id, version, fetched_at FROM terminal_deny_list_fetches ORDER BY terminal_id',
    );
  const behind = async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/admin/deny-list/terminals', headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    const checked = checkAnswer(DenyListTerminals, res.json());
    if (!checked.ok) throw new Error(`${checked.path}: ${checked.message}`);
    return checked.value;
  };

  it('publishes signed deltas and records the version and time handed to the terminal', async () => {
    const t = pki.terminal('TRM-F1');
    const version = await deny(cardNumberFor(501));
    nowMs += 1000;
    const res = await fetchDenyList(t, version - 1);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      sinceVersion: version - 1,
      version,
      issuedAtMs: nowMs,
      entries: [{ version, cardNumber: cardNumberFor(501), action: 'add' }],
      keyId: signer.keyId,
    });
    const signature = new Uint8Array(Buffer.from(body.signature, 'hex'));
    expect(verifyP256(signer.publicKey, encodeDenyListDelta(body), signature)).toBe(true);
    // A terminal handed a doctored list (entry dropped) must notice.
    expect(verifyP256(signer.publicKey, encodeDenyListDelta({ ...body, entries: [] }), signature)).toBe(
      false,
    );

    expect(await fetches()).toEqual([{ terminal_id: 'TRM-F1', version, fetched_at: new Date(nowMs) }]);
    // The next fetch overwrites the record: the last one is what the terminal holds.
    const next = await deny(cardNumberFor(502));
    nowMs += 1000;
    expect((await fetchDenyList(t, version)).statusCode).toBe(200);
    expect(await fetches()).toEqual([{ terminal_id: 'TRM-F1', version: next, fetched_at: new Date(nowMs) }]);
  });

  it('records nothing for a refused fetch', async () => {
    const t = pki.terminal('TRM-F2');
    const other = pki.terminal('TRM-F3');
    const url = `/v1/terminals/${t.terminalId}/deny-list?since=0`;
    const refusals: Array<[number, string, Record<string, string>]> = [];
    // No credential at all.
    refusals.push([401, 'ERR_TERMINAL_AUTH_MISSING', {}]);
    // A signature by another key than the certificate's.
    const forged = {
      ...t.signRequest('GET', url),
      'x-huduma-signature': other.signRequest('GET', url)['x-huduma-signature']!,
    };
    refusals.push([401, 'ERR_TERMINAL_AUTH_SIGNATURE', forged]);
    // A signature over another query than the one sent.
    refusals.push([401, 'ERR_TERMINAL_AUTH_SIGNATURE', t.signRequest('GET', `${url}1`)]);
    // Another terminal asking under this terminal's id.
    refusals.push([403, 'ERR_TERMINAL_ID_MISMATCH', other.signRequest('GET', url)]);
    for (const [status, code, headers] of refusals) {
      const res = await app.inject({ method: 'GET', url, headers });
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().error, res.body).toBe(code);
    }
    // A revoked terminal.
    const revoked = pki.terminal('TRM-F4');
    const revoke = await app.inject({
      method: 'POST',
      url: '/v1/admin/terminals/TRM-F4/revoke',
      headers: auth,
      payload: { reason: 'stolen' },
    });
    expect(revoke.statusCode).toBe(200);
    expect((await fetchDenyList(revoked, 0)).json().error).toBe('ERR_TERMINAL_REVOKED');
    // A version the service never issued: refused after authentication, still nothing recorded.
    const aheadRes = await fetchDenyList(t, 999999);
    expect(aheadRes.json().error).toBe('ERR_DENY_LIST_VERSION');
    expect(await fetches()).toEqual([]);
    // A replay of a request that succeeded: the first one is recorded (cleared here), the replay not.
    const once = t.signRequest('GET', url);
    expect((await app.inject({ method: 'GET', url, headers: once })).statusCode).toBe(200);
    expect(await fetches()).toHaveLength(1);
    await db.exec('TRUNCATE terminal_deny_list_fetches');
    const replay = await app.inject({ method: 'GET', url, headers: once });
    expect(replay.json().error).toBe('ERR_TERMINAL_REQUEST_REPLAYED');
    expect(await fetches()).toEqual([]);
  });

  it('lists the terminals behind, most behind first, after a deny-list edit', async () => {
    const [a, b, c] = ['TRM-B1', 'TRM-B2', 'TRM-B3'].map((id) => pki.terminal(id));
    // A terminal that uploaded but never fetched: it counts, behind by the whole list.
    const uploader = pki.terminal('TRM-B0');
    uploader.sale(pki.card(cardNumberFor(700)), 100_00);
    uploader.checkpoint();
    const batch = uploader.batch();
    const batchUrl = `/v1/terminals/${uploader.terminalId}/batches`;
    const uploaded = await app.inject({
      method: 'POST',
      url: batchUrl,
      headers: { 'content-type': 'application/cbor', ...uploader.signRequest('POST', batchUrl, batch) },
      payload: Buffer.from(batch),
    });
    expect(uploaded.statusCode, uploaded.body).toBe(200);

    const v1 = await deny(cardNumberFor(601));
    for (const t of [a!, b!, c!]) expect((await fetchDenyList(t, 0)).statusCode).toBe(200);
    const v1FetchedAt = new Date(nowMs).toISOString();
    let state = await behind();
    expect(state).toMatchObject({ version: v1, holdingCurrent: 3 });
    expect(state.behind.map((t) => t.terminalId)).toEqual(['TRM-B0']);

    const v2 = await deny(cardNumberFor(602));
    await deny(cardNumberFor(601), 'remove');
    const v3 = v2 + 1;
    nowMs += 60_000;
    expect((await fetchDenyList(b!, v1)).json().version).toBe(v3);
    state = await behind();
    expect(state.version).toBe(v3);
    expect(state.holdingCurrent).toBe(1);
    expect(state.terminalCount).toBeGreaterThanOrEqual(4);
    const ours = state.behind.filter((t) => t.terminalId.startsWith('TRM-B'));
    expect(ours).toEqual([
      { terminalId: 'TRM-B0', versionHeld: null, fetchedAt: null, versionsBehind: v3 },
      { terminalId: 'TRM-B1', versionHeld: v1, fetchedAt: v1FetchedAt, versionsBehind: v3 - v1 },
      { terminalId: 'TRM-B3', versionHeld: v1, fetchedAt: v1FetchedAt, versionsBehind: v3 - v1 },
    ]);

    // The console's fleet shows the same per terminal that uploaded.
    const rows = await fleet(db, nowMs);
    expect(rows.find((t) => t.terminalId === 'TRM-B0')).toMatchObject({
      denyListVersion: null,
      denyListBehind: v3,
    });

    // A revoked terminal can no longer fetch: it is not listed as behind.
    const revoke = await app.inject({
      method: 'POST',
      url: '/v1/admin/terminals/TRM-B1/revoke',
      headers: auth,
      payload: { reason: 'stolen' },
    });
    expect(revoke.statusCode).toBe(200);
    expect((await behind()).behind.map((t) => t.terminalId)).not.toContain('TRM-B1');
  });
});
