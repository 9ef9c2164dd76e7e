import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { BACKENDS } from './backends';
import { cardNumberFor, TestPki } from './fixtures';

for (const backend of BACKENDS) {
  describe(`faults (${backend.name})`, () => {
    let db: Db;
    let app: FastifyInstance;
    let port: number;
    const pki = new TestPki();

    beforeAll(async () => {
      db = await backend.open();
      app = createClearingService({
        db,
        signer: generateSigner(),
        operatorToken: 'operator-token-for-tests-0123456789',
        logger: false,
        trust: pki.trust,
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      port = (app.server.address() as { port: number }).port;
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
      await backend.shutdown();
    });

    it('a connection dropped halfway through an upload stores nothing; the retry stores it once', async () => {
      const t = pki.terminal('TRM-F1');
      const card = pki.card(cardNumberFor(700));
      for (let i = 0; i < 500; i++) t.sale(card, 1_00);
      t.checkpoint();
      const body = t.batch();
      // Send the headers and half the body over real loopback HTTP, then destroy the socket.
      await new Promise<void>((resolve) => {
        const req = request({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/terminals/TRM-F1/batches',
          headers: {
            'content-type': 'application/cbor',
            'content-length': body.length,
            ...t.signRequest('POST', '/v1/terminals/TRM-F1/batches', body),
          },
        });
        req.on('error', () => resolve());
        req.write(Buffer.from(body.subarray(0, body.length >> 1)), () => {
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 50);
        });
      });
      await new Promise((r) => setTimeout(r, 200));
      const held = await db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM accepted_records WHERE terminal_id = $1',
        ['TRM-F1'],
      );
      expect(held[0]!.n).toBe(0);

      const retry = await fetch(`http://127.0.0.1:${port}/v1/terminals/TRM-F1/batches`, {
        method: 'POST',
        headers: {
          'content-type': 'application/cbor',
          ...t.signRequest('POST', '/v1/terminals/TRM-F1/batches', body),
        },
        body: Buffer.from(body),
      });
      expect(retry.status).toBe(200);
      expect(await retry.json()).toMatchObject({ status: 'accepted', newRecords: 501 });
      const again = await fetch(`http://127.0.0.1:${port}/v1/terminals/TRM-F1/batches`, {
        method: 'POST',
        headers: {
          'content-type': 'application/cbor',
          ...t.signRequest('POST', '/v1/terminals/TRM-F1/batches', body),
        },
        body: Buffer.from(body),
      });
      expect(await again.json()).toMatchObject({ status: 'duplicate' });
      const after = await db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM accepted_records WHERE terminal_id = $1',
        ['TRM-F1'],
      );
      expect(after[0]!.n).toBe(501);
    });
  });
}
