/**
 * PostgreSQL array literals for the upload path's bulk statements (`unnest($n::bigint[])`).
 *
 * Both backends accept an array parameter as its text form; the `pg` driver builds that text
 * itself from a JS array, element by element through its generic value preparation and escaping,
 * which was ~6 % of ingest CPU on the main thread for the ~30,000 array elements of one
 * 1,000-record upload. These build the same text directly: integers joined, strings quoted with
 * only the two characters the array syntax reserves inside quotes escaped.
 */

/** `{1,NULL,3}`: a bigint[] / integer[] / smallint[] literal. Values must be safe integers or null. */
export function intArrayLiteral(values: readonly (number | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null || v === undefined ? 'NULL' : String(v);
  }
  return `${out}}`;
}

const NEEDS_ESCAPE = /["\\]/;

/** `{"a","b\"c",NULL}`: a text[] (or date[]) literal; every element quoted, so any text is safe. */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else out += `"${NEEDS_ESCAPE.test(v) ? v.replace(/["\\]/g, '\\$&') : v}"`;
  }
  return `${out}}`;
}
