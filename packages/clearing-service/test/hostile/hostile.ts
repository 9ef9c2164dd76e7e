/**
 * Hostile-input property check, shared by the suite (PGlite, fixed seed) and the soak
 * (`npm run soak:hostile`: random seeds, both backends). Every route comes from the app itself
 * (its OpenAPI document, and every registered route must be in it), so a new route is covered
 * without touching this file. Each request puts one generated hostile value in one path param,
 * query param, body field or header — or replaces the whole body — and is sent with no
 * credential, the operator's, the callback token, a signed-in operator's, auditor's or merchant's
 * session (cookie and CSRF token), or a valid terminal signature (txlog's
 * signTerminalRequest: request signature v2 with nonce, Content-Length and body SHA-256, a fresh
 * nonce per request), so handlers behind auth are reached too. Upload batches are validly signed
 * (records and request) with one RECORD field mutated, so the record passes the signature checks
 * and reaches the database. Rate limits are set out of reach so the handlers keep being reached
 * (test/edge-*.test.ts cover them).
 *
 * Asserted for every answer: never 5xx; a refusal has the one error shape
 * `{ error: 'ERR_…', message, field?, seq? }`; and a refusal stores nothing (a digest of every
 * table is unchanged). One write is by design: a signed request's nonce is claimed when it is
 * authenticated, before its body is read (http/terminal-request.ts), so that a refused request
 * cannot be replayed either; terminal_request_nonces is checked apart, growing by at most the one
 * nonce of a signed request and by none otherwise. No other exception is needed: the refusals that
 * do write on purpose (alerts of an upload gap or log fork) cannot happen here, each upload uses a
 * fresh terminal from seq 0. Login throttling counts refused sign-ins by design: login_failures is
 * checked apart too, changing only with a 401 ERR_LOGIN (or a successful sign-in).
 */
import { DevPki } from '@huduma/pki';
import { decodeRecord, recordHash, signTerminalRequest } from '@huduma/txlog';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { createClearingService } from '../../src/app';
import type { Db } from '../../src/db/types';
import { createAccount } from '../../src/people/accounts';
import { generateSigner } from '../../src/signer';
import { upsertMerchant } from '../../src/store';
import { cardNumberFor, TestPki, type TestTerminal } from '../fixtures';

export const OPERATOR = 'operator-token-for-tests-0123456789';
export const CALLBACK = 'mpesa-callback-secret-abcdef';

/** Hostile scalars: as query/path text and as JSON values. */
const HOSTILE_TEXT = [
  '1e20',
  '99999999999999999999',
  '9223372036854775808',
  '-1',
  '-0',
  '1.5',
  '0x10',
  'NaN',
  'Infinity',
  '-Infinity',
  '',
  ' ',
  '\u0000',
  'A\u0000B',
  '\u0001\u001f\u007f',
  '\ud800',
  '\uffff',
  '\u202e',
  '٣',
  '__proto__',
  'constructor',
  'x'.repeat(300),
  'x'.repeat(70_000),
  '%00',
  '../../etc/passwd',
  "'; DROP TABLE bills; --",
];
const HOSTILE_JSON: unknown[] = [
  ...HOSTILE_TEXT,
  1e20,
  -1,
  1.5,
  2 ** 53,
  2 ** 63,
  2 ** 64,
  -(2 ** 63),
  0,
  null,
  true,
  [],
  [1, 2],
  ['8404000000000018'],
  {},
  JSON.parse('{"__proto__": {"admin": true}}'),
  { constructor: { prototype: { x: 1 } } },
];

export const hostileText = fc.oneof(
  fc.constantFrom(...HOSTILE_TEXT),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.double().map(String),
  fc.bigInt().map(String),
);
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_JSON),
  hostileText,
  fc.double({ noNaN: true }),
  fc.integer(),
  fc.array(fc.constantFrom(...HOSTILE_JSON), { maxLength: 3 }),
);

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  anyOf?: Schema[];
  default?: unknown;
};
interface Operation {
  method: 'GET' | 'POST';
  path: string;
  params: Record<string, Schema>;
  query: Record<string, Schema>;
  queryRequired: string[];
  body?: Schema;
}

/** Every operation of the app's OpenAPI document. */
export async function operationsOf(app: FastifyInstance): Promise<Operation[]> {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: Array<{ in: string; name: string; schema: Schema; required?: boolean }>;
          requestBody?: { content: Record<string, { schema: Schema }> };
        }
      >
    >;
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params: Record<string, Schema> = {};
      const query: Record<string, Schema> = {};
      const queryRequired: string[] = [];
      for (const p of op.parameters ?? []) {
        if (p.in === 'path') params[p.name] = p.schema;
        if (p.in === 'query') {
          query[p.name] = p.schema;
          if (p.required) queryRequired.push(p.name);
        }
      }
      const body = op.requestBody?.content['application/json']?.schema;
      ops.push({
        method: method.toUpperCase() as 'GET' | 'POST',
        path: path.replace(/\{(\w+)\}/g, ':$1'),
        params,
        query,
        queryRequired,
        ...(body ? { body } : {}),
      });
    }
  }
  return ops;
}

/** A valid value for a schema, good enough to get past validation to the handler. */
function example(name: string, schema: Schema | undefined): unknown {
  if (!schema) return 'x';
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return example(name, schema.anyOf[0]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'integer' || type === 'number') return Math.max(schema.minimum ?? 1, 1);
  if (type === 'boolean') return true;
  if (type === 'array') return [];
  if (type === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of schema.required ?? []) out[key] = example(key, schema.properties?.[key]);
    return out;
  }
  const known: Record<string, string> = {
    terminalId: 'HST-0',
    cardNumber: cardNumberFor(1),
    BillRefNumber: cardNumberFor(1),
    billRef: 'BILL-1',
    TransAmount: '10.00',
  };
  if (known[name]) return known[name];
  const candidates = ['A1', 'S1', '1', '2026-11-30', '0'.repeat(64), '00'.repeat(16), '00'.repeat(8)];
  const re = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
  return candidates.find((c) => !re || re.test(c)) ?? 'x';
}

/** Claimed by every authenticated terminal request, refused or not (checked apart: nonceCount). */
const NONCE_TABLE = 'terminal_request_nonces';
/** Written by every refused sign-in (throttling), checked apart: loginFailures. */
const LOGIN_FAILURES_TABLE = 'login_failures';
const SESSION_PASSWORD = 'hostile world password';

/** Table digest: one md5 per table, so "nothing stored" is a string comparison. */
export async function digest(db: Db): Promise<string> {
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
       AND table_name NOT IN ('${NONCE_TABLE}', '${LOGIN_FAILURES_TABLE}')
     ORDER BY table_name`,
  );
  const parts = tables.map(
    ({ table_name: t }) =>
      `SELECT '${t}' AS t, md5(COALESCE(string_agg(x::text, ',' ORDER BY x::text), '')) AS h FROM "${t}" x`,
  );
  const rows = await db.query<{ t: string; h: string }>(parts.join(' UNION ALL '));
  return rows.map((r) => `${r.t}:${r.h}`).join(' ');
}

export async function nonceCount(db: Db): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${NONCE_TABLE}`))[0]!.n;
}

async function loginFailures(db: Db): Promise<string> {
  const rows = await db.query<{ h: string }>(
    `SELECT md5(COALESCE(string_agg(x::text, ',' ORDER BY x::text), '')) AS h FROM ${LOGIN_FAILURES_TABLE} x`,
  );
  return rows[0]!.h;
}

/** A database snapshot for checkAnswer: the digest, the request nonces held, the login failures. */
async function snapshot(db: Db): Promise<{ digest: string; nonces: number; logins: string }> {
  return { digest: await digest(db), nonces: await nonceCount(db), logins: await loginFailures(db) };
}

type SessionCredential = 'operatorSession' | 'auditorSession' | 'merchantSession';
type Credential = 'none' | 'operator' | 'callback' | 'terminal' | SessionCredential;
const SESSION_USERS: Record<SessionCredential, string> = {
  operatorSession: 'hostile.ops',
  auditorSession: 'hostile.audit',
  merchantSession: 'hostile.shop',
};

/** Signs in as one of the hostile world's people: the cookie and CSRF headers of a fresh session. */
async function signIn(world: HostileWorld, credential: SessionCredential): Promise<Record<string, string>> {
  // Hostile sign-ins from this one address would otherwise lock it out (throttling works).
  await world.db.query(`DELETE FROM ${LOGIN_FAILURES_TABLE} WHERE subject LIKE 'ip:%'`);
  const res = await world.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ username: SESSION_USERS[credential], password: SESSION_PASSWORD }),
  });
  if (res.statusCode !== 200) throw new Error(`hostile world sign-in: ${res.statusCode} ${res.body}`);
  return { cookie: String(res.headers['set-cookie']).split(';')[0]!, 'x-csrf-token': res.json().csrfToken };
}

export interface HostileWorld {
  app: FastifyInstance;
  db: Db;
  pki: TestPki;
  /** The terminal that signs requests, certified with every capability. */
  terminal: TestTerminal;
  uploads: number;
  sessions: Partial<Record<SessionCredential, Record<string, string>>>;
}

export async function hostileWorld(db: Db): Promise<HostileWorld> {
  const pki = new TestPki();
  const app = createClearingService({
    db,
    signer: generateSigner(),
    operatorToken: OPERATOR,
    topupCallbackToken: CALLBACK,
    logger: process.env.HOSTILE_LOG === '1',
    trust: pki.trust,
    loadAuthority: DevPki.inMemory().loadAuthority,
    verifyThreads: 0,
    edge: { rateLimit: { perAddress: 1e9, perTerminal: 1e9 } },
  });
  const registered: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const m of [route.method].flat())
      if (m === 'GET' || m === 'POST') registered.push(`${m} ${route.url}`);
  });
  await app.ready();
  const documented = new Set((await operationsOf(app)).map((o) => `${o.method} ${o.path}`));
  // The OpenAPI document itself and Swagger UI's pages and assets (/docs, test/docs.test.ts) take no input.
  const missing = registered.filter(
    (r) => !documented.has(r) && r !== 'GET /openapi.json' && !/^GET \/docs(\/|$)/.test(r),
  );
  if (missing.length > 0) {
    throw new Error(
      `routes missing from /openapi.json, so not covered by the hostile test: ${missing.join(', ')}`,
    );
  }
  await upsertMerchant(db, 'HST-M', 'Hostile merchant');
  await createAccount(db, {
    username: SESSION_USERS.operatorSession,
    role: 'operator',
    password: SESSION_PASSWORD,
  });
  await createAccount(db, {
    username: SESSION_USERS.auditorSession,
    role: 'auditor',
    password: SESSION_PASSWORD,
  });
  await createAccount(db, {
    username: SESSION_USERS.merchantSession,
    role: 'merchant',
    merchantId: 'HST-M',
    password: SESSION_PASSWORD,
  });
  return { app, db, pki, terminal: pki.terminal('HST-0'), uploads: 0, sessions: {} };
}

function headersFor(
  world: HostileWorld,
  credential: Credential,
  method: string,
  url: string,
  body?: string | Uint8Array,
) {
  if (credential === 'operator') return { authorization: `Bearer ${OPERATOR}` };
  if (credential === 'callback') return { 'x-callback-token': CALLBACK };
  if (credential in SESSION_USERS) return world.sessions[credential as SessionCredential] ?? {};
  // A path longer than the signed message's u16 length cannot be signed at all: sent unsigned.
  if (credential === 'terminal' && Buffer.byteLength(url) <= 0xffff) {
    return signTerminalRequest({
      method,
      path: url,
      ...(body === undefined ? {} : { body }),
      certificate: world.terminal.certificate,
      privateKey: world.terminal.key.privateKey,
      publicKey: world.terminal.key.publicKey,
    });
  }
  return {};
}

/** Status counts by route, printed when HOSTILE_STATS is set (to see that handlers are reached). */
export const STATS = new Map<string, number>();

/**
 * Checks one answer: no 5xx, one error shape, nothing stored by a refusal, and at most the one
 * nonce of a signed request claimed.
 */
function checkAnswer(
  what: string,
  res: { statusCode: number; body: string },
  before: { digest: string; nonces: number; logins: string },
  after: { digest: string; nonces: number; logins: string },
  signed: boolean,
): void {
  if (before.logins !== after.logins && !(res.statusCode === 200 || res.body.includes('"ERR_LOGIN"'))) {
    throw new Error(
      `${what}: ${res.statusCode} changed login_failures (only a refused or accepted sign-in may)`,
    );
  }
  const claimed = after.nonces - before.nonces;
  if (claimed < 0 || claimed > (signed ? 1 : 0)) {
    throw new Error(`${what}: ${res.statusCode} and ${claimed} request nonces claimed (signed: ${signed})`);
  }
  if (process.env.HOSTILE_STATS) {
    const key = `${res.statusCode} ${what
      .split(' (')[0]!
      .split('?')[0]!
      .replace(/\/[^/]*%[^/]*/g, '/…')}`;
    STATS.set(key, (STATS.get(key) ?? 0) + 1);
  }
  if (res.statusCode >= 500) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
  if (res.statusCode < 400) return;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new Error(`${what}: ${res.statusCode} refusal is not JSON: ${res.body.slice(0, 200)}`);
  }
  const allowed = new Set(['error', 'message', 'field', 'seq', 'ResultCode', 'ResultDesc']);
  if (
    typeof body.error !== 'string' ||
    !/^ERR_[A-Z0-9_]+$/.test(body.error) ||
    typeof body.message !== 'string' ||
    (body.field !== undefined && typeof body.field !== 'string') ||
    (body.seq !== undefined && typeof body.seq !== 'number') ||
    Object.keys(body).some((k) => !allowed.has(k))
  ) {
    throw new Error(`${what}: ${res.statusCode} refusal not in the error shape: ${res.body.slice(0, 300)}`);
  }
  if (before.digest !== after.digest) {
    throw new Error(`${what}: refused with ${res.statusCode} but the database changed`);
  }
}

const where = ['param', 'query', 'body', 'wholeBody', 'rawBody', 'header'] as const;
/** Bodies JSON.stringify cannot make: empty, truncated, invalid UTF-8, duplicate and prototype keys. */
const RAW_BODIES = [
  Buffer.alloc(0),
  Buffer.from('{'),
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
  Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  Buffer.from('{"__proto__": {"isAdmin": true}, "constructor": {"prototype": {"x": 1}}}'),
  Buffer.from('{"a": 1, "a": 2}'),
  Buffer.from('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'),
  Buffer.from('1e999999'),
  Buffer.from('"\u0000"'),
];
const HOSTILE_HEADERS = [
  'x-huduma-timestamp',
  'x-huduma-certificate',
  'x-huduma-signature',
  'x-huduma-nonce',
  'x-huduma-content-sha256',
  'content-type',
  'authorization',
];

/** One request: an operation, where the hostile value goes, the value, the credential. */
export function requestArbitrary(ops: Operation[]) {
  return fc.record({
    op: fc.constantFrom(...ops),
    where: fc.constantFrom(...where),
    pick: fc.nat(),
    text: hostileText,
    json: hostileJson,
    credential: fc.constantFrom<Credential>(
      'none',
      'operator',
      'callback',
      'terminal',
      'operatorSession',
      'auditorSession',
      'merchantSession',
    ),
  });
}

export async function sendHostile(
  world: HostileWorld,
  r: {
    op: Operation;
    where: (typeof where)[number];
    pick: number;
    text: string;
    json: unknown;
    credential: Credential;
  },
): Promise<void> {
  const { op } = r;
  const params: Record<string, string> = {};
  for (const [k, s] of Object.entries(op.params)) params[k] = String(example(k, s));
  // Revoking the terminal that signs the requests would close every terminal route for the rest of the run.
  if (op.path.endsWith('/revoke')) params.terminalId = 'HST-9';
  const query: Record<string, string> = {};
  for (const k of Object.keys(op.query)) {
    if (op.queryRequired.includes(k)) query[k] = String(example(k, op.query[k]));
  }
  let body: unknown = op.method === 'POST' ? example('body', op.body) : undefined;
  const extraHeaders: Record<string, string> = {};
  const choose = <T>(xs: T[]) => xs[r.pick % xs.length];
  let label: string = r.where;
  if (r.where === 'param' && Object.keys(op.params).length > 0) {
    const k = choose(Object.keys(op.params))!;
    params[k] = r.text;
    label = `params.${k}`;
  } else if (r.where === 'query' && Object.keys(op.query).length > 0) {
    const k = choose(Object.keys(op.query))!;
    query[k] = r.text;
    label = `query.${k}`;
  } else if (r.where === 'body' && op.body?.properties) {
    const k = choose(Object.keys(op.body.properties))!;
    body = { ...(body as object), [k]: r.json };
    label = `body.${k}`;
  } else if (r.where === 'wholeBody' && op.method === 'POST') {
    body = r.json;
  } else if (r.where === 'header') {
    const h = choose(HOSTILE_HEADERS)!;
    // Header values must be valid HTTP tokens to be sent at all; keep the printable part.
    extraHeaders[h] = r.text.replace(/[^\x20-\x7e]/g, '').slice(0, 8000);
    label = `header.${h}`;
  }
  const path = op.path.replace(/:(\w+)/g, (_m, k: string) => encodePathValue(params[k] ?? ''));
  const qs = new URLSearchParams(query).toString();
  const url = qs ? `${path}?${qs}` : path;
  const payload: string | Buffer | undefined =
    r.where === 'rawBody' && op.method === 'POST'
      ? RAW_BODIES[r.pick % RAW_BODIES.length]!
      : body === undefined
        ? undefined
        : JSON.stringify(body);
  // A fresh session per request: a previous request may have signed this one out.
  if (r.credential in SESSION_USERS) {
    world.sessions[r.credential as SessionCredential] = await signIn(
      world,
      r.credential as SessionCredential,
    );
  }
  const credentialHeaders = headersFor(world, r.credential, op.method, url, payload);
  const headers: Record<string, string> = {
    ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    ...credentialHeaders,
    ...extraHeaders,
  };
  const before = await snapshot(world.db);
  const res = await world.app.inject({
    method: op.method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
  const after = await snapshot(world.db);
  checkAnswer(
    `${op.method} ${url.slice(0, 120)} (${label}, ${r.credential})`,
    res,
    before,
    after,
    'x-huduma-signature' in credentialHeaders,
  );
}

/**
 * Percent-encodes a path value; a lone surrogate (which encodeURIComponent refuses) becomes the
 * bytes UTF-8 forbids for it (ED A0 80…), so the service sees invalid UTF-8 in the URL.
 */
function encodePathValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    out +=
      ch.length === 1 && c >= 0xd800 && c <= 0xdfff
        ? `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`.toUpperCase()
        : encodeURIComponent(ch);
  }
  return out;
}

/** Record fields the hostile upload mutates, by record type. */
const RECORD_FIELDS: Record<string, string[]> = {
  'shift-open': ['time', 'shiftId', 'operatorId'],
  'shift-close': ['time', 'shiftId', 'saleCount', 'saleTotalCents'],
  sale: [
    'time',
    'terminalSeq',
    'cardNumber',
    'amountCents',
    'billRef',
    'serviceCode',
    'cardProof',
    'cardCertificate',
  ],
  'card-blocked': ['time', 'cardNumber', 'reason'],
  'pending-debit': ['time', 'terminalSeq', 'cardNumber', 'amountCents', 'billRef'],
  'pending-resolved': ['time', 'terminalSeq', 'outcome'],
};
const HOSTILE_RECORD_VALUES: unknown[] = [
  Date.UTC(10000, 0, 1),
  Date.UTC(275000, 0, 1),
  2 ** 53 - 1,
  2 ** 40,
  0xffff_ffff + 1,
  -1,
  1.5,
  '\u0000',
  'S\u00001',
  '\u0001\u007f',
  '\ud800',
  'x'.repeat(256),
  '',
  '1e20',
  null,
  true,
  new Uint8Array(0),
  new Uint8Array(2000),
];

export const uploadArbitrary = fc.record({
  type: fc.constantFrom(...Object.keys(RECORD_FIELDS)),
  pick: fc.nat(),
  value: fc.oneof(fc.constantFrom(...HOSTILE_RECORD_VALUES), hostileText, fc.integer()),
});

/** A validly signed batch from a fresh terminal with one record field set to a hostile value. */
export async function uploadHostile(
  world: HostileWorld,
  u: { type: string; pick: number; value: unknown },
): Promise<void> {
  const id = `U${(++world.uploads).toString(36).toUpperCase()}`.slice(0, 8);
  const t = world.pki.terminal(id);
  const card = world.pki.card(cardNumberFor(world.uploads + 100));
  const fields = RECORD_FIELDS[u.type]!;
  const field = fields[u.pick % fields.length]!;
  const time = t.tick();
  const base: Record<string, Record<string, unknown>> = {
    'shift-open': { type: 'shift-open', time, shiftId: 'S1', operatorId: 'op' },
    'shift-close': { type: 'shift-close', time, shiftId: 'S1', saleCount: 1, saleTotalCents: 100 },
    'card-blocked': { type: 'card-blocked', time, cardNumber: card.cardNumber, reason: 'stolen' },
    'pending-debit': {
      type: 'pending-debit',
      time,
      terminalSeq: 1,
      cardNumber: card.cardNumber,
      amountCents: 100,
      billRef: 'B1',
    },
    'pending-resolved': { type: 'pending-resolved', time, terminalSeq: 1, outcome: 'completed' },
  };
  t.append({ type: 'shift-open', time: t.tick(), shiftId: 'S1', operatorId: 'op' });
  try {
    if (u.type === 'sale') {
      const sale = t.sale(card, 100);
      // Re-append the sale with one field changed: same card proof, so it reaches the verifier.
      t.records.pop();
      const decoded = decodeRecord(sale.bytes) as unknown as Record<string, unknown>;
      const { seq: _s, prevHash: _p, ...rest } = decoded;
      // The chain head goes back to the record before the popped sale.
      (t as unknown as { head: Uint8Array }).head = recordHash(t.records[sale.seq - 1]!);
      t.append({ ...rest, [field]: u.value } as never);
    } else {
      t.append({ ...base[u.type]!, [field]: u.value } as never);
    }
    t.checkpoint();
  } catch {
    return; // The encoder itself cannot write this value (e.g. a BigInt beyond 64 bits): nothing to send.
  }
  const url = `/v1/terminals/${id}/batches`;
  const batch = t.batch();
  const before = await snapshot(world.db);
  const res = await world.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/cbor', ...t.signRequest('POST', url, batch) },
    payload: Buffer.from(batch),
  });
  const after = await snapshot(world.db);
  checkAnswer(`upload ${u.type}.${field} = ${String(u.value).slice(0, 40)}`, res, before, after, true);
}
