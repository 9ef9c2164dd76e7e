import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findPostgresBinDir, startPostgres } from '../../../test/support/postgres-harness';
import { openPostgresDb } from '../src/db/postgres';

describe('PostgreSQL test harness', () => {
  it("uses Debian's versioned binaries, not /usr/local/bin", () => {
    expect(findPostgresBinDir()).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin$/);
  });

  it('runs a throwaway server as a non-root user on loopback and removes it on stop', async () => {
    const server = await startPostgres();
    const db = await openPostgresDb(server.url);
    try {
      expect(server.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      const [row] = await db.query<{ listen: string; user: string }>(
        "SELECT current_setting('listen_addresses') AS listen, current_user AS user",
      );
      expect(row).toEqual({ listen: '127.0.0.1', user: 'postgres' });
    } finally {
      await db.close();
      await server.stop();
    }
    expect(existsSync(server.dataDir)).toBe(false);
  });
});
