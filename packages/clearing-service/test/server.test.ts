import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPostgres } from '../../../test/support/postgres-harness';
import { appendLeaves, currentTreeHead } from '../src/merkle';
import { serve } from '../src/server';

const dir = mkdtempSync(join(tmpdir(), 'huduma-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serve (embedded database)', () => {
  it('starts on loopback, persists key, token and Merkle tree across restarts', async () => {
    const first = await serve({ dataDir: dir, port: 0, logger: false });
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = readFileSync(join(dir, 'operator-token'), 'utf8').trim();
    expect(statSync(join(dir, 'operator-token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'service-key.pem')).mode & 0o777).toBe(0o600);
    const health = (await (await fetch(`${first.url}/healthz`)).json()) as { keyId: string };
    const alerts = await fetch(`${first.url}/v1/admin/alerts`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(alerts.status).toBe(200);
    await first.db.transaction((tx) =>
      appendLeaves(tx, [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]),
    );
    const headBefore = await currentTreeHead(first.db);
    await first.close();

    const second = await serve({ dataDir: dir, port: 0, logger: false });
    const healthAgain = (await (await fetch(`${second.url}/healthz`)).json()) as {
      keyId: string;
      treeSize: number;
    };
    expect(healthAgain.keyId).toBe(health.keyId);
    expect(healthAgain.treeSize).toBe(3);
    expect(await currentTreeHead(second.db)).toEqual(headBefore);
    const stillAuthorized = await fetch(`${second.url}/v1/admin/alerts`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stillAuthorized.status).toBe(200);
    await second.close();
  });

  it('serves from a PostgreSQL server given by URL', async () => {
    const server = await startPostgres();
    try {
      const running = await serve({
        databaseUrl: server.url,
        keyFile: join(dir, 'pg-service-key.pem'),
        operatorToken: 'operator-token-for-postgres-test',
        port: 0,
        logger: false,
      });
      const health = (await (await fetch(`${running.url}/healthz`)).json()) as { database: string };
      expect(health.database).toBe('postgres');
      const catalog = (await (await fetch(`${running.url}/v1/catalog`)).json()) as { services: unknown[] };
      expect(catalog.services.length).toBeGreaterThan(10);
      await running.close();
    } finally {
      await server.stop();
    }
  });

  it('refuses to start without a database choice', async () => {
    await expect(serve({ port: 0, logger: false })).rejects.toMatchObject({ code: 'ERR_SERVE_OPTIONS' });
  });
});
