import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import { intArrayLiteral, textArrayLiteral } from '../src/db/array-literal';
import type { Db } from '../src/db/types';
import { BACKENDS } from './backends';

/**
 * The upload path sends record columns as array literals it builds itself: whatever text a record
 * carries (bill refs are the terminal's words) must reach the table exactly, on both backends.
 */
describe.each(BACKENDS)('array literals ($name)', (backend) => {
  let db: Db;
  beforeAll(async () => {
    db = await backend.open();
  });
  afterAll(async () => {
    await db?.close();
    await backend.shutdown();
  });

  const roundTrip = async (texts: (string | null)[], ints: (number | null)[]) => {
    const rows = await db.query<{ t: string | null; i: string | null }>(
      'SELECT u.t, u.i::text AS i FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS u(t, i, n) ORDER BY u.n',
      [textArrayLiteral(texts), intArrayLiteral(ints)],
    );
    return rows;
  };

  it('carries quotes, backslashes, braces, commas, the word NULL, blanks and unicode exactly', async () => {
    const texts = [
      'a"b',
      'back\\slash',
      '{x,y}',
      'NULL',
      '',
      ' lead',
      'trail ',
      'Kiswahili: ñ ü 🇰🇪',
      null,
      '\\"',
    ];
    const ints = [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), null, 7, 8, 9, 10, 11];
    const rows = await roundTrip(texts, ints);
    expect(rows.map((r) => r.t)).toEqual(texts);
    expect(rows.map((r) => (r.i === null ? null : Number(r.i)))).toEqual(ints);
  });

  it('empty arrays are empty', async () => {
    expect(await roundTrip([], [])).toEqual([]);
  });

  it('generated text and integers come back unchanged', async () => {
    // Text without NUL: PostgreSQL text cannot hold it at all (the record codecs refuse it first).
    const text = fc.option(
      fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\u0000')),
    );
    const int = fc.option(fc.maxSafeInteger());
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(text, int), { maxLength: 20 }), async (pairs) => {
        const texts = pairs.map(([t]) => t);
        const ints = pairs.map(([, i]) => i);
        const rows = await roundTrip(texts, ints);
        expect(rows.map((r) => r.t)).toEqual(texts);
        expect(rows.map((r) => (r.i === null ? null : Number(r.i)))).toEqual(ints);
      }),
      { numRuns: propertyRuns(100) },
    );
  });
});
