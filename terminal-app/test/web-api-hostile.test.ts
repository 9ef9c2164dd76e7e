/**
 * The page's local API under hostile input (fast-check, seeded: HUDUMA_SEED=n re-runs a failure):
 * random JSON bodies, content types, Host and Origin headers. Every one gets a 4xx that names
 * the field, and nothing changes: no operation starts, the log does not grow, no card is touched.
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../test/support/random';
import { startWebCounter, type WebCounter } from './support/web-counter';

const SEED = Number(process.env.HUDUMA_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = propertyRuns(150);

let web: WebCounter;
let port: number;

interface Answer {
  status: number;
  json: { error?: { code?: string; field?: string; message?: string } } | undefined;
}

/** A raw HTTP request (fetch cannot set Host), so the server sees exactly these headers. */
function send(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          host: `127.0.0.1:${port}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json: Answer['json'];
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function unchanged(before: { records: number; phase: string; balances: number[] }): void {
  const state = web.session.snapshot();
  expect(state.phase).toBe(before.phase);
  expect(web.counter.engine.status().logRecords).toBe(before.records);
  expect(web.counter.reader.cards.map((c) => c.card.state.balance)).toEqual(before.balances);
}

function snapshot() {
  return {
    records: web.counter.engine.status().logRecords,
    phase: web.session.snapshot().phase,
    balances: web.counter.reader.cards.map((c) => c.card.state.balance),
  };
}

/** Values that are not a KES amount with at most two decimals, as the page would send them. */
const badAmount = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '-5',
    '2.505',
    '1e3',
    '0',
    '0.00',
    '1,000',
    'NaN',
    'Infinity',
    '99999999999',
    '١٢٣',
  ),
  fc.string().filter((s) => !/^\s*\d{1,10}(\.\d{1,2})?\s*$/.test(s)),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
);
/** Not a bill reference the card can carry (1-16 printable ASCII, no padding). */
const badRef = fc.oneof(
  fc.constantFrom('', ' ', 'x'.repeat(17), 'tab\there', 'é', 'null\u0000', '\u202eevil'),
  // Too long even after the trim the API applies to a cashier's stray spaces (normalizeBillRef):
  // " ABC …" padded past 16 characters is a good reference, not a bad one (seed 828914101).
  fc.string({ minLength: 17, maxLength: 60 }).filter((s) => s.trim().length > 16),
  fc.integer(),
  fc.constant(null),
  fc.object({ maxDepth: 1 }),
);

beforeAll(async () => {
  web = await startWebCounter();
  port = web.app.port;
  console.log(`web API hostile-input test: seed ${SEED} (HUDUMA_SEED=${SEED} re-runs it)`);
});

afterAll(async () => {
  await web?.close();
});

describe('the counter API refuses hostile input and changes nothing', () => {
  it('sale bodies with a bad amount, reference or service code → 400 naming the field', async () => {
    const before = snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ amount: badAmount, billRef: fc.constant('BILL-1') }),
          fc.record({ amount: fc.constant('250.00'), billRef: badRef }),
          fc.record({
            serviceCode: fc.oneof(
              fc.integer({ min: 70000 }),
              fc.integer({ max: 0 }),
              fc.double(),
              fc.string(),
            ),
            billRef: fc.constant('BILL-1'),
          }),
          fc.record({ serviceCode: fc.constant(501), amount: fc.constant('50'), billRef: fc.constant('B') }),
          fc.dictionary(
            fc.string().filter((k) => !['amount', 'billRef', 'serviceCode'].includes(k)),
            // JSON values only: an undefined value would vanish from the body and leave `{}`.
            fc.jsonValue(),
            { minKeys: 1, maxKeys: 3 },
          ),
          fc.anything().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
        ),
        async (body) => {
          const a = await send('POST', '/api/sale', { body: JSON.stringify(body) ?? 'undefined' });
          expect(a.status).toBe(400);
          expect(typeof a.json?.error?.field).toBe('string');
          unchanged(before);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('reload, PIN and demo bodies out of range → 4xx naming the field', async () => {
    const before = snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ path: fc.constant('/api/reload'), body: fc.record({ amount: badAmount }) }),
          fc.record({
            path: fc.constant('/api/pin'),
            body: fc.record({
              pin: fc.oneof(fc.string(), fc.integer(), fc.constant('123'), fc.constant('123456789')),
            }),
          }),
          fc.record({
            path: fc.constant('/api/demo/present'),
            body: fc.record({
              // Demo cards are 0, 1 and 2: any other integer, a fraction, NaN or text is refused.
              card: fc.oneof(
                fc.integer({ min: 3 }),
                fc.integer({ max: -1 }),
                fc.double().filter((n) => !Number.isInteger(n)),
                fc.string(),
              ),
            }),
          }),
          fc.record({
            path: fc.constantFrom(
              '/api/cancel',
              '/api/abort',
              '/api/recover',
              '/api/report/z',
              '/api/demo/remove',
            ),
            body: fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1, maxKeys: 2 }),
          }),
        ),
        async ({ path, body }) => {
          const a = await send('POST', path, { body: JSON.stringify(body) });
          // A PIN of the right shape when none is asked is a 409; everything else is a 400.
          expect([400, 409]).toContain(a.status);
          if (a.status === 400) expect(typeof a.json?.error?.field).toBe('string');
          unchanged(before);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('foreign Host or Origin headers → 403, even with a valid sale', async () => {
    const before = snapshot();
    const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            host: fc.oneof(
              fc.domain(),
              fc.constantFrom('evil.example', `127.0.0.1:${port + 1}`, '127.0.0.1', `rebind.example:${port}`),
            ),
          }),
          fc.record({
            origin: fc.oneof(
              fc.webUrl(),
              fc.constantFrom('null', `http://127.0.0.1:${port}.evil.example`, `https://127.0.0.1:${port}`),
            ),
          }),
        ),
        async (headers) => {
          if ('host' in headers && allowed.has(headers.host)) return;
          const a = await send('POST', '/api/sale', {
            body: JSON.stringify({ amount: '50.00', billRef: 'BILL-1' }),
            headers,
          });
          expect(a.status).toBe(403);
          expect(['host', 'origin']).toContain(a.json?.error?.field);
          unchanged(before);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('wrong content types, oversized and malformed bodies → 4xx, nothing changed', async () => {
    const before = snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            type: fc.constantFrom(
              'text/plain',
              'application/x-www-form-urlencoded',
              'multipart/form-data',
              '',
            ),
            body: fc.constant('{"amount":"50.00","billRef":"B"}'),
          }),
          fc.record({
            type: fc.constant('application/json'),
            body: fc.string({ minLength: 4097, maxLength: 6000 }),
          }),
          fc.record({
            type: fc.constant('application/json'),
            body: fc.string().filter((s) => {
              try {
                JSON.parse(s);
                return false;
              } catch {
                return true;
              }
            }),
          }),
        ),
        async ({ type, body }) => {
          const a = await send('POST', '/api/sale', { body, headers: { 'content-type': type } });
          expect([400, 413, 415]).toContain(a.status);
          expect(typeof a.json?.error?.field).toBe('string');
          unchanged(before);
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('a valid sale from the page origin starts, and the page can stop it: nothing is charged', async () => {
    const before = snapshot();
    const a = await send('POST', '/api/sale', {
      body: JSON.stringify({ amount: '50.00', billRef: 'BILL-1' }),
      headers: { origin: `http://127.0.0.1:${port}` },
    });
    expect(a.status).toBe(200);
    expect(web.session.snapshot().phase).toBe('waiting-card');
    const busy = await send('POST', '/api/sale', { body: JSON.stringify({ amount: '1.00', billRef: 'B' }) });
    expect(busy.status).toBe(409);
    expect((await send('POST', '/api/abort', { body: '{}' })).status).toBe(200);
    await web.session.settled();
    unchanged(before);
  });
});
