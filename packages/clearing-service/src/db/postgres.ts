/// <reference path="./pg-modules.d.ts" />
import type pg from 'pg';
import Client from 'pg/lib/client';
import PgPool from 'pg-pool';
import pgTypes from 'pg-types';
import { ArrayParam, arrayBinary } from './array-param';
import { hostOf, isConnectionLost, NoPrimaryError, splitHosts } from './postgres-hosts';
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

/** Byte strings as Buffers and array parameters in the binary format: the driver sends a Buffer in binary. */
function toPgParams(params: readonly SqlParam[]): unknown[] {
  return params.map((p) =>
    p instanceof ArrayParam
      ? arrayBinary(p)
      : p instanceof Uint8Array && !Buffer.isBuffer(p)
        ? Buffer.from(p)
        : p,
  );
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

interface PoolOptions {
  /** Connections per server (default 10). */
  max?: number;
}

function newPool(url: string, options: PoolOptions, failover: boolean): pg.Pool {
  const pool = new PgPool({
    Client,
    connectionString: url,
    max: options.max ?? 10,
    types: { getTypeParser },
    // With several hosts a dead one must not hold an election for the OS's TCP timeout.
    ...(failover ? { connectionTimeoutMillis: 3_000 } : {}),
  });
  // An idle connection whose server died emits 'error' on the pool; unhandled, that event would
  // end the process. The next query meets the loss itself and answers 503.
  pool.on('error', () => undefined);
  return pool;
}

function transactionOn(pool: pg.Pool): Db['transaction'] {
  return async (fn) => {
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
  };
}

/**
 * A PostgreSQL server reached through a `pg` Pool, e.g. `postgres://user@127.0.0.1:5432/huduma`;
 * or, with several hosts (`postgres://user@h1:5432,h2:5433/huduma`), whichever of them is the
 * writable primary now (see postgres-hosts.ts).
 */
export async function openPostgresDb(connectionString: string, options: PoolOptions = {}): Promise<Db> {
  const hosts = splitHosts(connectionString);
  if (hosts.length > 1) return openFailoverDb(hosts, options);
  const pool = newPool(connectionString, options, false);
  // Fail at startup, not at the first request, when the server is unreachable.
  const probe = await pool.connect();
  probe.release();
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    exec: base.exec,
    transaction: transactionOn(pool),
    close: () => pool.end(),
  };
}

async function openFailoverDb(hosts: string[], options: PoolOptions): Promise<Db> {
  let current: pg.Pool | undefined;
  let electing: Promise<pg.Pool> | undefined;
  let closed = false;

  const elect = async (): Promise<pg.Pool> => {
    const reasons: string[] = [];
    for (const url of hosts) {
      const pool = newPool(url, options, true);
      try {
        const { rows } = await pool.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
        if (rows[0]?.standby === false) return pool;
        reasons.push(`${hostOf(url)} is a standby`);
      } catch (error) {
        const e = error as { code?: string; message?: string };
        reasons.push(`${hostOf(url)}: ${e.code ?? e.message}`);
      }
      pool.end().catch(() => undefined);
    }
    throw new NoPrimaryError(hosts, reasons);
  };
  const primary = (): Promise<pg.Pool> => {
    if (closed) return Promise.reject(new Error('database closed'));
    if (current) return Promise.resolve(current);
    electing ??= elect()
      .then((pool) => {
        current = pool;
        return pool;
      })
      .finally(() => {
        electing = undefined;
      });
    return electing;
  };
  /** Runs `fn` on the primary; a lost connection drops that pool so the next call elects again. */
  const onPrimary = async <T>(fn: (pool: pg.Pool) => Promise<T>): Promise<T> => {
    const pool = await primary();
    try {
      return await fn(pool);
    } catch (error) {
      if (isConnectionLost(error) && current === pool) {
        current = undefined;
        pool.end().catch(() => undefined);
      }
      throw error;
    }
  };

  await primary(); // fail at startup when no host is a primary
  return {
    kind: 'postgres',
    query: (sql, params) => onPrimary((pool) => wrap(pool).query(sql, params)),
    exec: (sql) => onPrimary((pool) => wrap(pool).exec(sql)),
    transaction: (fn) => onPrimary((pool) => transactionOn(pool)(fn)),
    async close() {
      closed = true;
      await current?.end();
      current = undefined;
    },
  };
}
