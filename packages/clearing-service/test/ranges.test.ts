/**
 * The merchant portal's default range: the last 7 Africa/Nairobi days (UTC+3), today included,
 * computed from the service clock, so it holds at any hour — 21:00–24:00 UTC is already the next
 * day in Nairobi. Hand-picked instants around the boundaries, then any instant (fast-check, seeded
 * by the suite: HUDUMA_SEED).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import { HttpError } from '../src/errors';
import { lastNairobiDays, requestedRange } from '../src/people/ranges';
import { nairobiBusinessDate } from '../src/store';

const at = (iso: string) => Date.parse(iso);
const DAY_MS = 86_400_000;

describe('the default date range', () => {
  it('is the 7 Nairobi days ending today, crossing midnight at 21:00 UTC', () => {
    expect(lastNairobiDays(at('2026-11-30T20:59:59.999Z'))).toEqual({ from: '2026-11-24', to: '2026-11-30' });
    expect(lastNairobiDays(at('2026-11-30T21:00:00.000Z'))).toEqual({ from: '2026-11-25', to: '2026-12-01' });
    expect(lastNairobiDays(at('2026-11-30T23:59:59.999Z'))).toEqual({ from: '2026-11-25', to: '2026-12-01' });
    expect(lastNairobiDays(at('2026-12-31T21:00:00.000Z'))).toEqual({ from: '2026-12-26', to: '2027-01-01' });
    expect(lastNairobiDays(at('2028-03-01T00:00:00.000Z'))).toEqual({ from: '2028-02-24', to: '2028-03-01' });
    expect(lastNairobiDays(at('2026-11-30T12:00:00.000Z'), 1)).toEqual({
      from: '2026-11-30',
      to: '2026-11-30',
    });
  });

  it('holds the Nairobi day of now and of six days ago, at any instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2099-12-31T00:00:00Z') }),
        (nowMs) => {
          const { from, to } = lastNairobiDays(nowMs);
          expect(to).toBe(nairobiBusinessDate(Math.floor(nowMs / 1000)));
          expect(from).toBe(nairobiBusinessDate(Math.floor((nowMs - 6 * DAY_MS) / 1000)));
          expect((Date.parse(to) - Date.parse(from)) / DAY_MS).toBe(6);
        },
      ),
      { numRuns: propertyRuns(500) },
    );
  });

  it("gives a record's Nairobi day whatever day came before it (the last day is kept)", () => {
    const reference = (s: number) => new Date((s + 3 * 3600) * 1000).toISOString().slice(0, 10);
    expect(nairobiBusinessDate(at('2026-11-30T20:59:59Z') / 1000)).toBe('2026-11-30');
    expect(nairobiBusinessDate(at('2026-11-30T21:00:00Z') / 1000)).toBe('2026-12-01');
    expect(nairobiBusinessDate(at('2026-11-30T20:59:59Z') / 1000)).toBe('2026-11-30');
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -86_400 * 400, max: 4_102_444_800 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 3 * 86_400 }),
        (starts, spread) => {
          for (const s of starts)
            for (const t of [s, s + spread, s - spread, s]) {
              expect(nairobiBusinessDate(t)).toBe(reference(t));
            }
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('fills each missing end on its own and checks the range asked for', () => {
    const now = at('2026-11-30T22:30:00Z'); // 01:30 on 1 December in Nairobi
    expect(requestedRange({}, now)).toEqual({ from: '2026-11-25', to: '2026-12-01' });
    expect(requestedRange({ to: '2026-03-01' }, now)).toEqual({ from: '2026-02-23', to: '2026-03-01' });
    expect(requestedRange({ from: '2026-11-30' }, now)).toEqual({ from: '2026-11-30', to: '2026-12-01' });
    expect(requestedRange({ from: '2026-01-01', to: '2026-01-01' }, now)).toEqual({
      from: '2026-01-01',
      to: '2026-01-01',
    });
    const refused = (query: { from?: string; to?: string }) => {
      try {
        requestedRange(query, now);
      } catch (e) {
        expect(e).toBeInstanceOf(HttpError);
        return (e as HttpError & { field?: string }).field;
      }
      throw new Error(`accepted ${JSON.stringify(query)}`);
    };
    expect(refused({ to: '2026-02-31' })).toBe('query.to');
    expect(refused({ from: '2026-13-01' })).toBe('query.from');
    expect(refused({ from: '2026-12-02' })).toBe('query.to'); // after Nairobi's today
    expect(refused({ from: '2020-01-01', to: '2026-01-01' })).toBe('query.to'); // too long
  });

  it('refuses any malformed date with a typed error, never a crash', () => {
    const date = fc.oneof(
      fc
        .tuple(
          fc.integer({ min: 0, max: 9999 }),
          fc.integer({ min: 0, max: 99 }),
          fc.integer({ min: 0, max: 99 }),
        )
        .map(
          ([y, m, d]) =>
            `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
        ),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(date, date, fc.integer({ min: 0, max: at('2099-12-31T00:00:00Z') }), (from, to, nowMs) => {
        const query = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
        try {
          const r = requestedRange(query, nowMs);
          expect(r.from <= r.to).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(HttpError);
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});
