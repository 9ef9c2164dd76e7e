/**
 * The fleet's world: a development PKI, a clearing service on loopback (PGlite in the run's
 * directory, or a PostgreSQL server), provisioned terminals running the real engine over a
 * one-slot simulated reader each, and file-backed simulated cards.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CURRENCY_KES } from '@huduma/card-applet-spec';
import { issueTestCard, SimulatedCard, SimulatedReader } from '@huduma/card-simulator';
import { type RunningService, serve } from '@huduma/clearing-service';
import { DevPki } from '@huduma/pki';
import {
  BatchUploader,
  ClearingClient,
  clearingLoadAuthorizer,
  initTerminal,
  loadTerminalConfig,
  pollingCardReader,
  TerminalEngine,
} from '@huduma/terminal';
import type { CounterKind } from './model';

export const OPERATOR_TOKEN = 'fleet-operator-token-0123456789abcdef';
export const TOPUP_TOKEN = 'fleet-mpesa-callback-token-0123456789';

export interface FleetCard {
  label: string;
  cardNumber: string;
  path: string;
  card: SimulatedCard;
  /** A copy made by a fraudster: same keys and counter, spent elsewhere. */
  cloneOf?: string;
}

export interface Counter {
  terminalId: string;
  merchantId: string;
  kind: CounterKind;
  engine: TerminalEngine;
  uploader: BatchUploader;
  client: ClearingClient;
  reader: SimulatedReader;
  /** The terminal's private key (raw P-256): what a tampering operator signs its uploads with. */
  privateKey: Uint8Array;
}

export interface World {
  pki: DevPki;
  service: RunningService;
  counters: Counter[];
  cards: FleetCard[];
  /** The simulated time every terminal reads. */
  clock: { now: number };
  operator(path: string, init?: { method?: string; body?: unknown }): Promise<unknown>;
  close(): Promise<void>;
}

export async function buildWorld(args: {
  dir: string;
  terminals: number;
  cards: number;
  startMs: number;
  databaseUrl?: string;
}): Promise<World> {
  const pki = DevPki.inMemory();
  const clock = { now: args.startMs };
  const notBefore = () => Math.floor(args.startMs / 1000) - 86_400;
  const service = await serve({
    dataDir: join(args.dir, 'clearing'),
    ...(args.databaseUrl ? { databaseUrl: args.databaseUrl } : {}),
    host: '127.0.0.1',
    port: 0,
    logger: Boolean(process.env.FLEET_SERVICE_LOG),
    operatorToken: OPERATOR_TOKEN,
    topupCallbackToken: TOPUP_TOKEN,
    trust: { issuerCaKeys: [pki.issuerCaPublicKey], acquirerCaKeys: [pki.acquirerCaPublicKey] },
    loadAuthority: pki.loadAuthority,
    // The rate limits count requests per wall-clock minute; the fleet runs a simulated day in
    // about a second, so a Huduma Centre terminal asking for pending top-ups at every tap makes
    // weeks of requests in a minute and would be refused (429) for speed no cashier reaches.
    edge: { rateLimit: false },
  });
  const operator = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    // Every operator call here is idempotent; one retry covers a keep-alive socket the service
    // closed while the simulator was busy issuing cards.
    const call = () =>
      fetch(`${service.url}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${OPERATOR_TOKEN}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    const res = await call().catch(call);
    const json = await res.json();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const keyAnswer = (await (await fetch(`${service.url}/v1/service-key`)).json()) as { publicKey: string };
  const servicePublicKey = new Uint8Array(Buffer.from(keyAnswer.publicKey, 'hex'));

  const counters: Counter[] = [];
  for (let i = 0; i < args.terminals; i++) {
    // One counter in three is at a Huduma Centre (they load cards); the rest are partner merchants.
    const kind: CounterKind = i % 3 === 0 ? 'huduma-centre' : 'partner-merchant';
    const terminalId = `T-${String(i + 1).padStart(4, '0')}`;
    const merchantId =
      kind === 'huduma-centre' ? `HC-${String(Math.floor(i / 6) + 1).padStart(3, '0')}` : `PM-${i + 1}`;
    const dir = join(args.dir, 'terminals', terminalId);
    // Certificates valid from before the first simulated day (the dev PKI would start them now).
    const capabilities =
      kind === 'huduma-centre' ? ['DEBIT', 'UNDEBIT', 'RELOAD', 'BLOCK'] : ['DEBIT', 'UNDEBIT', 'BLOCK'];
    const issued = await pki.issueTerminal({ terminalId, merchantId, capabilities, notBefore: notBefore() });
    await initTerminal({
      dir,
      importCert: {
        certificate: issued.certificate,
        privateKey: issued.privateKey,
        issuerCaPublicKeys: [pki.issuerCaPublicKey],
      },
      now: args.startMs,
      terminalId,
      merchantId,
      location: { kind, name: `${kind === 'huduma-centre' ? 'Huduma Centre' : 'Merchant'} ${i + 1}` },
      limits: { maxUnsyncedRecords: 9_999, cvmLimitCents: 10_000_000 },
    });
    const config = await loadTerminalConfig(dir);
    const credentials = {
      terminalId,
      certificateBytes: config.certificateBytes,
      privateKey: config.privateKey,
      publicKey: config.certificate.keyAgreementKey,
    };
    const client = new ClearingClient({ baseUrl: service.url, terminal: credentials });
    const reader = new SimulatedReader();
    const link = { transmit: (c: Uint8Array) => reader.transmit(c) };
    const engine = await TerminalEngine.open({
      dir,
      reader: pollingCardReader(() => (reader.cardPresent ? link : undefined), { pollMs: 1 }),
      clock: () => clock.now,
      ...(kind === 'huduma-centre' ? { loadAuthorizer: clearingLoadAuthorizer(client) } : {}),
    });
    const uploader = new BatchUploader({
      engine,
      client,
      servicePublicKey,
      maxBatchRecords: 500,
      retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 500 },
    });
    counters.push({
      terminalId,
      merchantId,
      kind,
      engine,
      uploader,
      client,
      reader,
      privateKey: config.privateKey,
    });
  }

  const cards: FleetCard[] = [];
  const cardDir = join(args.dir, 'cards');
  mkdirSync(cardDir, { recursive: true });
  for (let i = 0; i < args.cards; i++) {
    const label = `card${i}`;
    const path = join(cardDir, `${label}.cbor`);
    // No balance at issuance: cards are loaded at Huduma Centre counters, so the clearing
    // service sees every load (a balance loaded outside would be a shadow-balance mismatch).
    const issued = await issueTestCard({
      pki,
      path,
      identity: null,
      notBefore: notBefore(),
      purse: {
        maxBalance: 50_000_000,
        offlineLimit: 20_000_000,
        cvmLimit: 10_000_000,
        noCvmLimit: 50_000_000,
        currency: CURRENCY_KES,
      },
    });
    issued.reader.remove();
    cards.push({ label, cardNumber: issued.cardNumber, path, card: issued.card });
  }
  await operator('/v1/admin/cards', {
    method: 'POST',
    body: { cardNumbers: cards.map((c) => c.cardNumber) },
  });

  return {
    pki,
    service,
    counters,
    cards,
    clock,
    operator,
    async close() {
      for (const c of counters) await c.engine.close();
      await service.close();
    },
  };
}

/** Copies a card's file and opens the copy: same keys, same counter, same balance. */
export function cloneCard(original: FleetCard, label: string): FleetCard {
  const path = original.path.replace(/[^/]+\.cbor$/, `${label}.cbor`);
  copyFileSync(original.path, path);
  return { ...original, label, path, card: SimulatedCard.open(path), cloneOf: original.label };
}
