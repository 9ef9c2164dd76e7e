/**
 * Array parameters of the upload path's bulk statements (`unnest($n::bigint[], …)`): one value
 * per column for a whole batch, instead of one placeholder per record and column.
 *
 * An `ArrayParam` names the element type of the cast it is written for, and each backend sends
 * it in the form that costs least:
 * - PostgreSQL server (db/postgres.ts): the binary array format (`array_recv`). The `pg` driver
 *   sends a Buffer parameter in binary, so no text is built, UTF-8-encoded, or parsed element by
 *   element by the server: the text literals of the ~25,000 elements of one 1,000-record upload
 *   were ~10 % of what the service allocated per record, and the server parsed every digit.
 * - PGlite (db/pglite.ts): the text literal `{1,NULL,"a"}`, which both backends read alike.
 *
 * The binary form carries the element type's OID and the server refuses a mismatch ("wrong
 * element type"), so the helper must match the cast: `bigints` for `$n::bigint[]`, and so on.
 */

/**
 * Element types: the OID the binary form declares, and for integers the bytes of one element and
 * the values it holds (a bigint here is a safe integer: the service's numbers are JS numbers).
 */
const ELEMENTS = {
  bigint: { oid: 20, bytes: 8, low: Number.MIN_SAFE_INTEGER, high: Number.MAX_SAFE_INTEGER },
  integer: { oid: 23, bytes: 4, low: -(2 ** 31), high: 2 ** 31 - 1 },
  smallint: { oid: 21, bytes: 2, low: -(2 ** 15), high: 2 ** 15 - 1 },
  text: { oid: 25 },
} as const;
export type ArrayElement = keyof typeof ELEMENTS;

export class ArrayParam {
  constructor(
    readonly element: ArrayElement,
    readonly values: readonly (number | string | null)[],
  ) {
    if (element !== 'text') {
      const { low, high } = ELEMENTS[element];
      for (const v of values) {
        if (v === null) continue;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < low || v > high) {
          throw new RangeError(`${element}[] element ${String(v)} is not a ${element}`);
        }
      }
    } else {
      for (const v of values) {
        if (v !== null && typeof v !== 'string')
          throw new RangeError(`text[] element ${String(v)} is not text`);
      }
    }
  }
}

/** For `$n::bigint[]`: safe integers or null. */
export const bigints = (values: readonly (number | null)[]) => new ArrayParam('bigint', values);
/** For `$n::integer[]`. */
export const integers = (values: readonly (number | null)[]) => new ArrayParam('integer', values);
/** For `$n::smallint[]`. */
export const smallints = (values: readonly (number | null)[]) => new ArrayParam('smallint', values);
/** For `$n::text[]`: any text without NUL (PostgreSQL text cannot hold NUL). */
export const texts = (values: readonly (string | null)[]) => new ArrayParam('text', values);

const NEEDS_ESCAPE = /["\\]/;

/** The text literal: `{1,NULL,3}`, `{"a","b\"c",NULL}` (every text element quoted, so any text is safe). */
export function arrayLiteral(param: ArrayParam): string {
  const { values } = param;
  const quote = param.element === 'text';
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else if (!quote) out += String(v);
    else {
      const s = v as string;
      out += `"${NEEDS_ESCAPE.test(s) ? s.replace(/["\\]/g, '\\$&') : s}"`;
    }
  }
  return `${out}}`;
}

/**
 * The binary form `array_recv` reads: ndim, has-null flag, element OID, then (one dimension)
 * length and lower bound 1, then each element as a length (-1 for NULL) and its bytes, all
 * big-endian. An empty array has no dimensions.
 */
export function arrayBinary(param: ArrayParam): Buffer {
  const { element, values } = param;
  const n = values.length;
  let size = n === 0 ? 12 : 20;
  let hasNull = 0;
  if (element === 'text') {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null) hasNull = 1;
      size += 4 + (v === null ? 0 : utf8Length(v as string));
    }
  } else {
    const width = ELEMENTS[element].bytes;
    for (let i = 0; i < n; i++) {
      if (values[i] === null) hasNull = 1;
      size += values[i] === null ? 4 : 4 + width;
    }
  }
  const out = Buffer.allocUnsafe(size);
  // A DataView's setters compile to plain stores; Buffer's writeInt32BE checks its arguments on
  // every call (this loop runs ~20,000 times per 1,000-record upload).
  const view = new DataView(out.buffer, out.byteOffset, size);
  view.setInt32(0, n === 0 ? 0 : 1);
  view.setInt32(4, hasNull);
  view.setInt32(8, ELEMENTS[element].oid);
  if (n === 0) return out;
  view.setInt32(12, n);
  view.setInt32(16, 1);
  let at = 20;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      view.setInt32(at, -1);
      at += 4;
    } else if (element === 'text') {
      const written = writeUtf8(out, v as string, at + 4);
      view.setInt32(at, written);
      at += 4 + written;
    } else if (element === 'bigint') {
      // Two 32-bit halves: a safe integer needs no BigInt (floor keeps negatives two's complement).
      const high = Math.floor((v as number) / 2 ** 32);
      view.setInt32(at, 8);
      view.setInt32(at + 4, high);
      view.setUint32(at + 8, (v as number) - high * 2 ** 32);
      at += 12;
    } else if (element === 'integer') {
      view.setInt32(at, 4);
      view.setInt32(at + 4, v as number);
      at += 8;
    } else {
      view.setInt32(at, 2);
      view.setInt16(at + 4, v as number);
      at += 6;
    }
  }
  return out;
}

/** Short ASCII (card numbers, record types, ids) is measured in JS; anything else by Node. */
const SHORT = 64;

function utf8Length(s: string): number {
  if (s.length > SHORT) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/** Writes `s` as UTF-8 at `at`; returns the bytes written (what utf8Length counted). */
function writeUtf8(out: Buffer, s: string, at: number): number {
  if (s.length > SHORT) return out.write(s, at, 'utf8');
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return out.write(s, at, 'utf8');
    out[at + i] = c;
  }
  return s.length;
}
