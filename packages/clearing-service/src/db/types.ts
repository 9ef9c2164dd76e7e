import type { ArrayParam } from './array-param';

/**
 * The one storage seam of the clearing service. Both backends (embedded PGlite and a PostgreSQL
 * server) run exactly the same SQL text, so every query in this package is plain PostgreSQL.
 *
 * Value mapping, identical on both backends:
 * - BIGINT / COUNT(*) → `number` (throws DbValueError beyond Number.MAX_SAFE_INTEGER: cents never get there)
 * - BYTEA → `Uint8Array`
 * - DATE → `'YYYY-MM-DD'` string (no time-zone conversion)
 * - TIMESTAMPTZ → `Date`
 * Parameters: `Uint8Array` for BYTEA, `number`/`string` for numbers, `null` for NULL, and
 * one-dimensional arrays of strings / numbers / nulls for `$n::T[]` (byte strings inside arrays
 * travel as hex text), and the bulk statements' typed `ArrayParam`s (array-param.ts), which each
 * backend sends in its cheapest form.
 */
export type SqlParam =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | Date
  | ArrayParam
  | readonly (string | number | null)[];
export type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs one statement with `$1`-style parameters and returns its rows. */
  query<T extends Row = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  /**
   * Runs `fn` in one transaction (READ COMMITTED): COMMIT when it resolves, ROLLBACK when it throws.
   * Queries made through `tx` belong to the transaction; do not use the outer `Db` inside `fn`.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** 'pglite' or 'postgres', for logs and /healthz. */
  readonly kind: 'pglite' | 'postgres';
  /** PGlite's data directory on disk (undefined in memory and for PostgreSQL): the storage probe writes there. */
  readonly dataDir?: string;
}
