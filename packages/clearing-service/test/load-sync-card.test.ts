/**
 * The reload sync rule against a real v2 card (the simulator, through the SDK): the service
 * authorizes the first load, refuses the second until the card's unsynced records come with the
 * request, and the card accepts the authorization it then signs. Relative imports: the SDK and the
 * simulator are not dependencies of the service, only of this test.
 */
import { CURRENCY_KES } from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import { signTerminalRequest } from '@huduma/txlog';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestCard } from '../../../simulators/card/src/index';
import { HudumaCard, InMemoryCardLinkCache } from '../../sdk/src/index';
import { createClearingService } from '../src/app';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { openTestPglite } from './support/pglite-pool';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('reload sync rule with a v2 card (simulator + SDK)', () => {
  let db: Db;
  let app: FastifyInstance;
  const pki = DevPki.inMemory();

  beforeAll(async () => {
    db = await openTestPglite();
    app = createClearingService({
      db,
      signer: generateSigner(),
      operatorToken: 'operator-token-for-tests-0123456789',
      logger: false,
      trust: { issuerCaKeys: [pki.issuerCaPublicKey], acquirerCaKeys: [pki.acquirerCaPublicKey] },
      loadAuthority: pki.loadAuthority,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('refuses the second reload until the ring comes along, then the card takes the authorization', async () => {
    const { reader } = await issueTestCard({
      pki,
      purse: {
        maxBalance: 10_000_000,
        offlineLimit: 10_000_000,
        cvmLimit: 1_000_000,
        noCvmLimit: 10_000_000,
        currency: CURRENCY_KES,
      },
    });
    const terminal = await pki.issueTerminal({
      terminalId: 'HC-CARD',
      merchantId: 'M-HC',
      capabilities: ['DEBIT', 'RELOAD'],
    });
    const options = {
      trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
      terminal: { certificate: terminal.certificate, privateKey: terminal.privateKey },
      linkCache: new InMemoryCardLinkCache(),
    };
    let seq = 0;
    const load = async (card: HudumaCard, extra: Record<string, unknown>) => {
      const ctx = await card.reloadContext();
      const url = '/v1/load-authorizations';
      const payload = JSON.stringify({
        cardNumber: ctx.cardNumber,
        counter: ctx.counter,
        challenge: hex(ctx.challenge),
        terminalSeq: ++seq,
        terminalNonce: seq.toString(16).padStart(16, '0'),
        source: 'cash',
        amountCents: 1_000_00,
        ...extra,
      });
      const headers = signTerminalRequest({
        method: 'POST',
        path: url,
        body: payload,
        certificate: terminal.certificate,
        privateKey: terminal.privateKey,
        publicKey: terminal.publicKey,
      });
      return app.inject({
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': 'application/json' },
        payload,
      });
    };

    let card = await HudumaCard.select(reader, options);
    const first = await load(card, {});
    expect(first.statusCode, first.body).toBe(200);
    await card.reload(new Uint8Array(Buffer.from(first.json().authorization, 'hex')));

    card = await HudumaCard.select(reader, options);
    for (const amount of [150_00, 75_00]) {
      const r = await card.debit({ amount, terminalSeq: ++seq, billRef: `B-${seq}`, serviceCode: 1 });
      expect(r.outcome).toBe('executed');
    }
    const refused = await load(card, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toBe('ERR_CARD_NOT_SYNCED');

    const ring = await card.unsyncedRecords();
    expect(ring.map((p) => p.record.counter)).toEqual([3, 2]);
    const certificate = await card.certificate();
    const synced = await load(card, {
      cardRecords: ring.map((p) => hex(new Uint8Array([...p.recordBytes, ...p.signature]))),
      cardCertificate: hex(certificate.bytes),
    });
    expect(synced.statusCode, synced.body).toBe(200);
    const proof = await card.reload(new Uint8Array(Buffer.from(synced.json().authorization, 'hex')));
    expect(proof.record).toMatchObject({
      counter: 4,
      balanceAfter: 2_000_00 - 225_00,
      currency: CURRENCY_KES,
    });
    const purse = await card.readPurse();
    expect(purse.syncedThrough).toBe(4);
  });
});
