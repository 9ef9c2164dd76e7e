/**
 * Swagger UI beside the OpenAPI document: served from the package's own assets (works offline:
 * no script, style or font from another host), listing every route the app documents.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { openTestPglite } from './support/pglite-pool';

describe('Swagger UI at /docs', () => {
  let db: Db;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await openTestPglite();
    app = createClearingService({
      db,
      signer: generateSigner(),
      operatorToken: 'operator-token-for-tests-0123456789',
      logger: false,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const get = async (url: string) => {
    let res = await app.inject({ method: 'GET', url });
    for (let hops = 0; hops < 3 && res.statusCode >= 300 && res.statusCode < 400; hops++) {
      const location = String(res.headers.location);
      res = await app.inject({ method: 'GET', url: new URL(location, `http://x${url}`).pathname });
    }
    return res;
  };

  it('answers with the Swagger UI page, its assets served locally', async () => {
    const page = await get('/docs');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('swagger-ui');
    // Every script and stylesheet is relative to the service: nothing is fetched from a CDN.
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source).not.toMatch(/^(https?:)?\/\//);
    const bundle = await get('/docs/static/swagger-ui-bundle.js');
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body.length).toBeGreaterThan(100_000);
    const initializer = await get('/docs/static/swagger-initializer.js');
    expect(initializer.statusCode).toBe(200);
    expect(initializer.body).toContain('/openapi.json');
  });

  it('lists every documented route, by audience', async () => {
    const doc = (await get('/docs/json')).json() as { paths: Record<string, unknown> };
    const openapi = (await get('/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(openapi.paths).sort());
    for (const path of [
      '/v1/terminals/{terminalId}/batches',
      '/v1/load-authorizations',
      '/v1/admin/alerts',
      '/v1/admin/deny-list',
      '/v1/admin/settlement',
      '/v1/topups/mpesa',
      '/v1/terminals/{terminalId}/deny-list',
      '/v1/admin/deny-list/terminals',
      '/healthz',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
  });

  it('refuses paths outside its assets without a 5xx', async () => {
    for (const url of [
      '/docs/static/../../package.json',
      '/docs/static/%2e%2e/app.ts',
      '/docs/static/x%00.js',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
    }
  });
});
