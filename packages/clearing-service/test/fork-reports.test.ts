/**
 * POST /v1/terminals/:terminalId/fork-reports on both backends: terminal-signed, strict body,
 * one critical alert per distinct disagreement, nothing else changed.
 */
import { signTerminalRequest } from '@huduma/txlog';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { BACKENDS } from './backends';
import { TestPki, type TestTerminal } from './fixtures';

const OPERATOR = 'operator-token-for-tests-0123456789';

for (const backend of BACKENDS) {
  describe(`fork reports (${backend.name})`, () => {
    let db: Db;
    let app: FastifyInstance;
    const pki = new TestPki();

    beforeAll(async () => {
      db = await backend.open();
      app = createClearingService({
        db,
        signer: generateSigner(),
        operatorToken: OPERATOR,
        logger: false,
        trust: pki.trust,
      });
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
      await backend.shutdown();
    });

    const report = (t: TestTerminal, body: unknown, terminalId = t.terminalId) => {
      const url = `/v1/terminals/${terminalId}/fork-reports`;
      const payload = JSON.stringify(body);
      const headers = signTerminalRequest({
        method: 'POST',
        path: url,
        body: payload,
        certificate: t.certificate,
        privateKey: t.key.privateKey,
        publicKey: t.key.publicKey,
      });
      return app.inject({
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': 'application/json' },
        payload,
      });
    };
    const forkAlerts = async (terminalId: string) =>
      db.query<{ alert_id: number; severity: string }>(
        `SELECT alert_id, severity FROM alerts WHERE kind = 'terminal-reported-fork' AND terminal_id = $1`,
        [terminalId],
      );

    it('raises one critical alert per distinct report and refuses what is not a signed, well-formed report', async () => {
      const t = pki.terminal('TRM-F1');
      const body = { seq: 7, localHash: 'a'.repeat(64), serviceHash: 'b'.repeat(64) };
      const first = await report(t, body);
      expect(first.statusCode).toBe(202);
      expect(first.json()).toMatchObject({ status: 'raised' });
      const again = await report(t, body);
      expect(again.json()).toEqual({ alertId: first.json().alertId, status: 'known' });
      const other = await report(t, { ...body, seq: 8 });
      expect(other.json().status).toBe('raised');
      const alerts = await forkAlerts('TRM-F1');
      expect(alerts.map((a) => a.severity)).toEqual(['critical', 'critical']);

      for (const bad of [
        { ...body, seq: -1 },
        { ...body, localHash: 'A'.repeat(64) },
        { ...body, serviceHash: 'b'.repeat(63) },
        { ...body, extra: 1 },
        { seq: 1, localHash: body.localHash },
      ]) {
        const r = await report(t, bad);
        expect(r.statusCode, JSON.stringify(bad)).toBe(400);
      }
      expect((await report(t, body, 'TRM-F2')).statusCode).toBe(403);
      const anonymous = await app.inject({
        method: 'POST',
        url: '/v1/terminals/TRM-F1/fork-reports',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect(anonymous.statusCode).toBe(401);
      expect(await forkAlerts('TRM-F1')).toHaveLength(2);
      expect(await forkAlerts('TRM-F2')).toHaveLength(0);
    });
  });
}
