/// <reference path="./pg-modules.d.ts" />
import type pg from 'pg';
import Client from 'pg/lib/client';
import PgPool from 'pg-pool';
import pgTypes from 'pg-types';
import type { Db, Queryable, Row, SqlParam } from './types';
import { OID, parseDate, parseInt8 } from './values';

function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (format === 'binary') return pgTypes.getTypeParser(oid, 'binary');
  if (oid === OID.INT8) return parseInt8;
  if (oid === OID.DATE) return parseDate;
  if (oid === OID.BYTEA) {
    const parseBuffer = pgTypes.getTypeParser(OID.BYTEA, 'text') as (value: string) => Buffer;
    return (value) => {
      const buffer = parseBuffer(value);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    };
  }
  return pgTypes.getTypeParser(oid, 'text');
}

function toPgParams(params: readonly SqlParam[]): unknown[] {
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p) : p));
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T extends Row>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
      const result = await client.query<T>({ text: sql, values: toPgParams(params) });
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      // No parameters → simple query protocol, which accepts several statements.
      await client.query(sql);
    },
  };
}

/** A PostgreSQL server reached through a `pg` Pool, e.g. `postgres://user@127.0.0.1:5432/huduma`. */
export async function openPostgresDb(connectionString: string, options: { max?: number } = {}): Promise<Db> {
  const pool = new PgPool({ Client, connectionString, max: options.max ?? 10, types: { getTypeParser } });
  // Fail at startup, not at the first request, when the server is unreachable.
  const probe = await pool.connect();
  probe.release();
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
