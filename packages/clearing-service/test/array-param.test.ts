import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import { bigints, integers, smallints, texts } from '../src/db/array-param';
import { MAX_RECORD_TIME_MS } from '../src/http/schemas';
import { nairobiBusinessDate, nairobiBusinessDateSql } from '../src/store';
import { BACKENDS, databaseFor } from './backends';

/**
 * The upload path sends record columns as typed array parameters (binary on PostgreSQL, text
 * literals on PGlite): whatever text a record carries (bill refs are the terminal's words) and
 * every integer of each column type must reach the table exactly, on both backends.
 */
describe.each(BACKENDS)('array parameters ($name)', (backend) => {
  const db = databaseFor(backend);

  type Column = { t: string | null; b: string | null; i: number | null; s: number | null };
  const roundTrip = async (rows: Column[]) => {
    const back = await db().query<{ t: string | null; b: string | null; i: number | null; s: number | null }>(
      `SELECT u.t, u.b::text AS b, u.i, u.s
       FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::smallint[]) WITH ORDINALITY AS u(t, b, i, s, n)
       ORDER BY u.n`,
      [
        texts(rows.map((r) => r.t)),
        bigints(rows.map((r) => (r.b === null ? null : Number(r.b)))),
        integers(rows.map((r) => r.i)),
        smallints(rows.map((r) => r.s)),
      ],
    );
    return back.map((r) => ({
      ...r,
      i: r.i === null ? null : Number(r.i),
      s: r.s === null ? null : Number(r.s),
    }));
  };

  it('carries quotes, backslashes, braces, commas, the word NULL, blanks, unicode and every range end exactly', async () => {
    const rows: Column[] = [
      { t: 'a"b', b: String(2 ** 53 - 1), i: 2 ** 31 - 1, s: 2 ** 15 - 1 },
      { t: 'back\\slash', b: String(-(2 ** 53 - 1)), i: -(2 ** 31), s: -(2 ** 15) },
      { t: '{x,y}', b: '0', i: 0, s: 0 },
      { t: 'NULL', b: '-1', i: -1, s: -1 },
      { t: '', b: String(2 ** 32), i: 1, s: 1 },
      { t: ' lead', b: String(2 ** 32 - 1), i: null, s: null },
      { t: 'trail ', b: String(-(2 ** 32)), i: 65536, s: 256 },
      { t: 'Kiswahili: ñ ü 🇰🇪', b: String(-(2 ** 32) - 1), i: -65536, s: -256 },
      { t: null, b: null, i: 7, s: 7 },
      { t: '\\"', b: '1', i: 8, s: 8 },
    ];
    expect(await roundTrip(rows)).toEqual(rows);
  });

  it('empty arrays are empty, and all-NULL arrays are NULLs', async () => {
    expect(await roundTrip([])).toEqual([]);
    const nulls = [{ t: null, b: null, i: null, s: null }];
    expect(await roundTrip(nulls)).toEqual(nulls);
  });

  it("the server's business date of occurred_at is the service's, at day edges and generated times", async () => {
    // The bulk insert lets the server compute business_date (nairobiBusinessDateSql); the rest of
    // the service uses nairobiBusinessDate. Nairobi midnight is 21:00 UTC.
    const edges = [
      0,
      75_599,
      75_600,
      Date.UTC(2026, 10, 30, 20, 59, 59) / 1000,
      Date.UTC(2026, 10, 30, 21) / 1000,
    ];
    const generated = fc.sample(fc.integer({ min: 0, max: Math.floor(MAX_RECORD_TIME_MS / 1000) }), {
      numRuns: propertyRuns(200),
    });
    const seconds = [...edges, Math.floor(MAX_RECORD_TIME_MS / 1000), ...generated];
    const rows = await db().query<{ day: string }>(
      `SELECT ${nairobiBusinessDateSql('u.s')}::text AS day FROM unnest($1::bigint[]) WITH ORDINALITY AS u(s, n) ORDER BY u.n`,
      [bigints(seconds)],
    );
    expect(rows.map((r) => r.day)).toEqual(seconds.map((s) => nairobiBusinessDate(s)));
  });

  it('generated text and integers come back unchanged', async () => {
    // Text without NUL: PostgreSQL text cannot hold it at all (the record codecs refuse it first).
    const row = fc.record({
      // Short and long, ASCII and not, and ASCII that turns non-ASCII part way: the binary form
      // measures short ASCII itself and hands the rest to Node.
      t: fc.option(
        fc
          .oneof(
            fc.string({ unit: 'grapheme', maxLength: 12 }),
            fc.string({ unit: 'grapheme-ascii', maxLength: 100 }),
            fc
              .tuple(
                fc.string({ unit: 'grapheme-ascii', maxLength: 70 }),
                fc.string({ unit: 'grapheme', maxLength: 4 }),
              )
              .map(([a, b]) => a + b),
          )
          .filter((s) => !s.includes('\u0000')),
      ),
      b: fc.option(fc.maxSafeInteger().map(String)),
      i: fc.option(fc.integer()),
      s: fc.option(fc.integer({ min: -(2 ** 15), max: 2 ** 15 - 1 })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 20 }), async (rows) => {
        expect(await roundTrip(rows)).toEqual(rows);
      }),
      { numRuns: propertyRuns(100) },
    );
  });
});

describe('array parameters refuse what their type cannot hold', () => {
  it.each([
    ['bigint', () => bigints([2 ** 53])],
    ['bigint', () => bigints([1.5])],
    ['integer', () => integers([2 ** 31])],
    ['smallint', () => smallints([-(2 ** 15) - 1])],
    ['smallint', () => smallints([Number.NaN])],
  ])('%s', (_type, make) => {
    expect(make).toThrow(RangeError);
  });
});
