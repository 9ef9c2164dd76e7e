import { MAX_REQUEST_CLOCK_SKEW_MS } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/types';
import { RequestNonces } from '../src/request-nonces';
import { openTestPglite } from './support/pglite-pool';

describe('request nonces', () => {
  let db: Db;
  let nowMs = 1_800_000_000_000;
  beforeAll(async () => {
    db = await openTestPglite();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('accepts a (terminal, nonce) once, per terminal, and prunes nonces whose window has passed', async () => {
    const nonces = new RequestNonces(db, () => nowMs);
    const n = new Uint8Array(16).fill(7);
    expect(await nonces.claim('T-1', n, nowMs)).toBe(true);
    expect(await nonces.claim('T-1', n, nowMs)).toBe(false);
    expect(await nonces.claim('T-2', n, nowMs)).toBe(true);
    // Still inside the window: kept.
    nowMs += MAX_REQUEST_CLOCK_SKEW_MS;
    expect(await nonces.prune()).toBe(0);
    expect(await nonces.claim('T-1', n, nowMs - MAX_REQUEST_CLOCK_SKEW_MS)).toBe(false);
    // Past it, the timestamp check refuses a replay by itself: the rows go.
    nowMs += 1;
    expect(await nonces.prune()).toBe(2);
    expect((await db.query('SELECT 1 FROM terminal_request_nonces')).length).toBe(0);
  });
});
