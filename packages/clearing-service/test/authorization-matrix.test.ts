/**
 * Every route of /openapi.json (and the pages) called as every caller, against a table of who
 * may use it. "Allowed" means the route did not refuse the caller (no 401/403; a 400 or 404 for
 * the sample input is fine); "denied" means 401 or 403 (other than a refused sign-in). A route missing from the table fails the
 * test, so a new route cannot ship without deciding who may call it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardNumberFor } from './fixtures';
import {
  CALLBACK_TOKEN,
  type Caller,
  OPERATOR_TOKEN,
  type PeopleWorld,
  type Person,
  startPeopleWorld,
} from './support/people-world';

type Role =
  | 'anonymous'
  | 'terminal'
  | 'operatorToken'
  | 'gateway'
  | 'operator'
  | 'auditor'
  | 'merchantA'
  | 'merchantB';
const ROLES: Role[] = [
  'anonymous',
  'terminal',
  'operatorToken',
  'gateway',
  'operator',
  'auditor',
  'merchantA',
  'merchantB',
];
const ALL = ROLES;
const PEOPLE: Role[] = ['operator', 'auditor', 'merchantA', 'merchantB'];
const CARD = cardNumberFor(101);
const today = new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);

interface Sample {
  allowed: readonly Role[];
  url: string;
  body?: unknown;
}

/** Keyed "METHOD /openapi/path". Samples are valid input, so a refusal can only be about who asks. */
const MATRIX: Record<string, Sample> = {
  'GET /healthz': { allowed: ALL, url: '/healthz' },
  'GET /v1/service-key': { allowed: ALL, url: '/v1/service-key' },
  'GET /v1/merkle/checkpoint': { allowed: ALL, url: '/v1/merkle/checkpoint' },
  'GET /v1/merkle/inclusion-proof': { allowed: ALL, url: '/v1/merkle/inclusion-proof?leafIndex=0' },
  'GET /v1/catalog': { allowed: ALL, url: '/v1/catalog' },
  'GET /v1/bills/{billRef}': { allowed: ALL, url: '/v1/bills/NO-SUCH-BILL' },
  'GET /v1/receipt-check': { allowed: ALL, url: '/v1/receipt-check?terminalId=TRM-A1&seq=0&proof=00000000' },
  'GET /v1/receipt-check/keys': { allowed: ALL, url: '/v1/receipt-check/keys' },
  'GET /console': { allowed: ALL, url: '/console' },
  'GET /merchant': { allowed: ALL, url: '/merchant' },
  'GET /receipt-check': { allowed: ALL, url: '/receipt-check' },
  'GET /assets/{name}': { allowed: ALL, url: '/assets/style.css' },
  'POST /v1/session': { allowed: ALL, url: '/v1/session', body: { username: 'nobody.here', password: 'x' } },
  'POST /v1/terminals/{terminalId}/batches': {
    allowed: ['terminal'],
    url: '/v1/terminals/TRM-A1/batches',
    body: 'cbor',
  },
  'POST /v1/terminals/{terminalId}/fork-reports': {
    allowed: ['terminal'],
    url: '/v1/terminals/TRM-A1/fork-reports',
    body: { seq: 99, localHash: 'aa'.repeat(32), serviceHash: 'bb'.repeat(32) },
  },
  'GET /v1/terminals/{terminalId}/deny-list': {
    allowed: ['terminal'],
    url: '/v1/terminals/TRM-A1/deny-list?since=0',
  },
  'GET /v1/terminals/{terminalId}/state': {
    allowed: ['terminal', 'operatorToken'],
    url: '/v1/terminals/TRM-A1/state',
  },
  'POST /v1/load-authorizations': { allowed: ['terminal'], url: '/v1/load-authorizations', body: {} },
  'POST /v1/terminals/{terminalId}/shift-close': {
    allowed: ['terminal', 'operatorToken'],
    url: '/v1/terminals/TRM-A1/shift-close',
    body: {},
  },
  'GET /v1/receipts/{receiptId}': { allowed: ['terminal', 'operatorToken'], url: '/v1/receipts/1' },
  'GET /v1/receipts/{receiptId}/inclusion-proof': {
    allowed: ['terminal', 'operatorToken'],
    url: '/v1/receipts/1/inclusion-proof?seq=0',
  },
  'GET /v1/cards/{cardNumber}/pending-topups': {
    allowed: ['terminal', 'operatorToken'],
    url: `/v1/cards/${CARD}/pending-topups`,
  },
  'POST /v1/topups/mpesa': {
    allowed: ['gateway'],
    url: '/v1/topups/mpesa',
    body: { TransID: 'T1', TransAmount: '10.00', BillRefNumber: CARD },
  },
  'POST /v1/admin/bills': {
    allowed: ['operatorToken'],
    url: '/v1/admin/bills',
    body: { billRef: 'MX-1', serviceCode: 1001, amountCents: 100 },
  },
  'GET /v1/admin/alerts': { allowed: ['operatorToken'], url: '/v1/admin/alerts' },
  'POST /v1/admin/deny-list': {
    allowed: ['operatorToken'],
    url: '/v1/admin/deny-list',
    body: { cardNumber: CARD, action: 'remove', reason: 'matrix' },
  },
  'GET /v1/admin/deny-list/terminals': { allowed: ['operatorToken'], url: '/v1/admin/deny-list/terminals' },
  'GET /v1/admin/settlement': { allowed: ['operatorToken'], url: `/v1/admin/settlement?date=${today}` },
  'POST /v1/admin/cards': {
    allowed: ['operatorToken'],
    url: '/v1/admin/cards',
    body: { cardNumbers: [CARD] },
  },
  'POST /v1/admin/terminals/{terminalId}/revoke': {
    allowed: ['operatorToken'],
    url: '/v1/admin/terminals/TRM-Z9/revoke',
    body: { reason: 'matrix' },
  },
  'GET /v1/admin/counter-gaps': { allowed: ['operatorToken'], url: '/v1/admin/counter-gaps' },
  'GET /v1/admin/cards/{cardNumber}': { allowed: ['operatorToken'], url: `/v1/admin/cards/${CARD}` },
  'GET /v1/session': { allowed: PEOPLE, url: '/v1/session' },
  'POST /v1/session/logout': { allowed: PEOPLE, url: '/v1/session/logout', body: {} },
  'GET /v1/console/alerts': { allowed: ['operator', 'auditor'], url: '/v1/console/alerts' },
  'GET /v1/console/alerts/{alertId}': { allowed: ['operator', 'auditor'], url: '/v1/console/alerts/999' },
  'POST /v1/console/alerts/{alertId}/triage': {
    allowed: ['operator'],
    url: '/v1/console/alerts/999/triage',
    body: { status: 'resolved', note: 'matrix' },
  },
  'GET /v1/console/deny-list': { allowed: ['operator', 'auditor'], url: '/v1/console/deny-list' },
  'POST /v1/console/deny-list': {
    allowed: ['operator'],
    url: '/v1/console/deny-list',
    body: { cardNumber: CARD, action: 'remove', reason: 'matrix' },
  },
  'GET /v1/console/deny-list/terminals': {
    allowed: ['operator', 'auditor'],
    url: '/v1/console/deny-list/terminals',
  },
  'GET /v1/console/fleet': { allowed: ['operator', 'auditor'], url: '/v1/console/fleet' },
  'GET /v1/console/settlement': {
    allowed: ['operator', 'auditor'],
    url: `/v1/console/settlement?from=${today}&to=${today}`,
  },
  'GET /v1/console/topups': { allowed: ['operator', 'auditor'], url: '/v1/console/topups' },
  'POST /v1/console/merchants': {
    allowed: ['operator'],
    url: '/v1/console/merchants',
    body: { merchantId: 'MX-1', name: 'Matrix', reason: 'matrix' },
  },
  'GET /v1/console/audit': { allowed: ['operator', 'auditor'], url: '/v1/console/audit' },
  'GET /v1/merchant/terminals': { allowed: ['merchantA', 'merchantB'], url: '/v1/merchant/terminals' },
  'GET /v1/merchant/sales': {
    allowed: ['merchantA', 'merchantB'],
    url: `/v1/merchant/sales?from=${today}&to=${today}`,
  },
  'GET /v1/merchant/statement': {
    allowed: ['merchantA', 'merchantB'],
    url: `/v1/merchant/statement?from=${today}&to=${today}`,
  },
};

const PAGES = ['/console', '/merchant', '/receipt-check', '/assets/style.css'];

let w: PeopleWorld;
const sessions = new Map<Role, Caller>();

beforeAll(async () => {
  w = await startPeopleWorld();
});
afterAll(async () => {
  await w?.close();
});

async function callAs(role: Role, method: string, sample: Sample) {
  const json = sample.body !== undefined && sample.body !== 'cbor' ? JSON.stringify(sample.body) : undefined;
  const raw =
    sample.body === 'cbor'
      ? w.terminalA.batch()
      : json === undefined
        ? undefined
        : new TextEncoder().encode(json);
  const headers: Record<string, string> = {};
  if (raw) headers['content-type'] = sample.body === 'cbor' ? 'application/cbor' : 'application/json';
  if (role === 'terminal') Object.assign(headers, w.terminalA.signRequest(method, sample.url, raw));
  if (role === 'operatorToken') headers.authorization = `Bearer ${OPERATOR_TOKEN}`;
  if (role === 'gateway') headers['x-callback-token'] = CALLBACK_TOKEN;
  if (PEOPLE.includes(role)) {
    // Sign-out ends the session it is called with: give it one of its own.
    let s = sessions.get(role);
    if (!s || sample.url === '/v1/session/logout') s = await w.signIn(role as Person);
    if (sample.url !== '/v1/session/logout') sessions.set(role, s);
    headers.cookie = s.cookie;
    headers['x-csrf-token'] = s.csrf;
  }
  return w.app.inject({
    method: method as 'GET',
    url: sample.url,
    headers,
    ...(raw ? { payload: Buffer.from(raw) } : {}),
  });
}

describe('authorization matrix', () => {
  it('covers every route of the OpenAPI document, and only those', async () => {
    const doc = (await w.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(Object.keys(MATRIX).sort());
  });

  it('allows and denies each route per the table, for every caller', async () => {
    const wrong: string[] = [];
    for (const [key, sample] of Object.entries(MATRIX)) {
      const method = key.split(' ')[0]!;
      for (const role of ROLES) {
        const res = await callAs(role, method, sample);
        // A refused sign-in (ERR_LOGIN) is the route working, not the caller being turned away.
        const denied = (res.statusCode === 401 || res.statusCode === 403) && res.json().error !== 'ERR_LOGIN';
        const expectAllowed = sample.allowed.includes(role);
        if (res.statusCode >= 500 || denied === expectAllowed)
          wrong.push(`${key} as ${role}: ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("never shows a merchant another merchant's terminals or sales", async () => {
    for (const [me, other] of [
      ['merchantA', 'TRM-B1'],
      ['merchantB', 'TRM-A1'],
    ] as const) {
      for (const key of [
        'GET /v1/merchant/terminals',
        'GET /v1/merchant/sales',
        'GET /v1/merchant/statement',
      ]) {
        const res = await callAs(me, 'GET', MATRIX[key]!);
        expect(res.statusCode).toBe(200);
        expect(res.body).not.toContain(other);
      }
    }
  });

  it('serves the pages to anyone (they sign in from the page) with a strict CSP', async () => {
    for (const url of PAGES) {
      const res = await w.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    }
  });
});
