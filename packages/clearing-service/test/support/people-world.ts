/**
 * A clearing service with people in it, for the people/page tests: an operator, an auditor and
 * two merchants (A = ECITIZEN, B = HOSP-01) with accounts, terminals of both merchants that have
 * uploaded sales, and helpers to sign in and call routes as each of them.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createClearingService } from '../../src/app';
import type { Db } from '../../src/db/types';
import { createAccount } from '../../src/people/accounts';
import { generateSigner, type Signer } from '../../src/signer';
import { upsertMerchant } from '../../src/store';
import { cardNumberFor, TestPki, type TestTerminal } from '../fixtures';
import { openTestPglite } from './pglite-pool';

export const OPERATOR_TOKEN = 'operator-token-for-people-tests-0123';
export const CALLBACK_TOKEN = 'callback-token-for-people-tests';
export const PASSWORD = 'correct horse battery staple';
export const PEOPLE = {
  operator: { username: 'ops.jane', role: 'operator' },
  auditor: { username: 'audit.sam', role: 'auditor' },
  merchantA: { username: 'shop.a', role: 'merchant', merchantId: 'ECITIZEN' },
  merchantB: { username: 'shop.b', role: 'merchant', merchantId: 'HOSP-01' },
} as const;
export type Person = keyof typeof PEOPLE;

export interface Caller {
  cookie: string;
  csrf: string;
}

export interface PeopleWorld {
  app: FastifyInstance;
  db: Db;
  signer: Signer;
  pki: TestPki;
  terminalA: TestTerminal;
  terminalB: TestTerminal;
  /** A proof-carrying sale of terminal A: seq and the card proof. */
  saleA: { seq: number; cardProof: Uint8Array; amountCents: number };
  signIn(who: Person): Promise<Caller>;
  call(who: Caller | undefined, method: string, url: string, body?: unknown): Promise<LightMyRequestResponse>;
  upload(t: TestTerminal): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startPeopleWorld(): Promise<PeopleWorld> {
  const db = await openTestPglite();
  const signer = generateSigner();
  const pki = new TestPki();
  const app = createClearingService({
    db,
    signer,
    operatorToken: OPERATOR_TOKEN,
    topupCallbackToken: CALLBACK_TOKEN,
    logger: process.env.HUDUMA_TEST_LOG === '1',
    trust: pki.trust,
    verifyThreads: 0,
  });
  await app.ready();
  await upsertMerchant(db, 'ECITIZEN', 'eCitizen');
  await upsertMerchant(db, 'HOSP-01', 'Kenyatta Hospital');
  for (const p of Object.values(PEOPLE)) {
    await createAccount(db, { ...p, password: PASSWORD });
  }

  const upload = (t: TestTerminal) => {
    const body = t.batch();
    const url = `/v1/terminals/${t.terminalId}/batches`;
    return app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/cbor', ...t.signRequest('POST', url, body) },
      payload: Buffer.from(body),
    });
  };

  const terminalA = pki.terminal('TRM-A1', { merchantId: 'ECITIZEN' });
  const terminalB = pki.terminal('TRM-B1', { merchantId: 'HOSP-01' });
  const cardA = pki.card(cardNumberFor(101));
  const cardB = pki.card(cardNumberFor(102));
  const first = terminalA.sale(cardA, 150_00);
  terminalA.sale(cardA, 20_50);
  terminalB.sale(cardB, 999_99);
  terminalA.checkpoint();
  terminalB.checkpoint();
  for (const t of [terminalA, terminalB]) {
    const res = await upload(t);
    if (res.statusCode !== 200) throw new Error(`upload of ${t.terminalId}: ${res.statusCode} ${res.body}`);
  }
  const { decodeRecord } = await import('@huduma/txlog');
  const decoded = decodeRecord(first.bytes);
  if (!('cardProof' in decoded)) throw new Error('the first record carries no card proof');

  const call = (who: Caller | undefined, method: string, url: string, body?: unknown) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(who ? { cookie: who.cookie, 'x-csrf-token': who.csrf } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  return {
    app,
    db,
    signer,
    pki,
    terminalA,
    terminalB,
    saleA: { seq: decoded.terminalSeq, cardProof: decoded.cardProof, amountCents: 150_00 },
    async signIn(who) {
      const res = await call(undefined, 'POST', '/v1/session', {
        username: PEOPLE[who].username,
        password: PASSWORD,
      });
      if (res.statusCode !== 200) throw new Error(`sign-in of ${who}: ${res.statusCode} ${res.body}`);
      const set = String(res.headers['set-cookie']);
      return { cookie: set.split(';')[0]!, csrf: res.json().csrfToken };
    },
    call,
    upload,
    async close() {
      await app.close();
      await db.close();
    },
  };
}
