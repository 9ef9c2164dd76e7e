import { describe, expect, it } from 'vitest';
import { hostOf, isConnectionLost, splitHosts } from '../src/db/postgres-hosts';

describe('multi-host PostgreSQL URLs', () => {
  it('splits a libpq host list into one URL per host, keeping user, database and options', () => {
    expect(splitHosts('postgres://app:pw@10.0.0.1:5432,10.0.0.2:5433/huduma?sslmode=require')).toEqual([
      'postgres://app:pw@10.0.0.1:5432/huduma?sslmode=require',
      'postgres://app:pw@10.0.0.2:5433/huduma?sslmode=require',
    ]);
    expect(splitHosts('postgresql://h1,h2/db')).toEqual(['postgresql://h1/db', 'postgresql://h2/db']);
  });

  it('leaves single-host and unusual strings as they are', () => {
    expect(splitHosts('postgres://u@127.0.0.1:5432/huduma')).toEqual(['postgres://u@127.0.0.1:5432/huduma']);
    expect(splitHosts('not a url')).toEqual(['not a url']);
  });

  it('names hosts without the password', () => {
    expect(hostOf('postgres://app:secret@10.0.0.1:6000/huduma')).toBe('10.0.0.1:6000');
    expect(hostOf('postgres://app@db/huduma')).toBe('db:5432');
  });

  it('knows a lost server from a bad request', () => {
    expect(isConnectionLost(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true); // admin shutdown
    expect(isConnectionLost(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('x'), { code: '25006' }))).toBe(true); // read-only: a standby
    expect(isConnectionLost(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLost(new Error('wrapped', { cause: { code: 'ECONNRESET' } }))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('x'), { code: '23505' }))).toBe(false); // unique violation
    expect(isConnectionLost(Object.assign(new Error('x'), { code: '22003' }))).toBe(false);
    expect(isConnectionLost(undefined)).toBe(false);
  });
});
