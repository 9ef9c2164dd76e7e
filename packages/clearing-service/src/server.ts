import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DevPki, readPkiManifest } from '@huduma/pki';
import type { FastifyInstance } from 'fastify';
import { createClearingService } from './app';
import { migrate } from './db/migrations';
import { openPgliteDb } from './db/pglite';
import { openPostgresDb } from './db/postgres';
import type { Db } from './db/types';
import { InputError } from './errors';
import type { EdgeOptions } from './http/limits';
import type { LoadAuthoritySigner } from './loads';
import { loadOrCreateFileSigner } from './signer';
import type { TrustAnchors } from './trust';

export interface ServeOptions {
  /** Folder for the embedded database, the service key and the generated operator token. */
  dataDir?: string;
  /** PostgreSQL server instead of the embedded database. */
  databaseUrl?: string;
  /** PKCS#8 PEM key file; default `<dataDir>/service-key.pem`. Required with databaseUrl alone. */
  keyFile?: string;
  /** Default: $HUDUMA_OPERATOR_TOKEN, else `<dataDir>/operator-token` (created on first start). */
  operatorToken?: string;
  topupCallbackToken?: string;
  host?: string;
  port?: number;
  logger?: boolean;
  /** Issuer/acquirer CA keys for uploads and terminal requests. */
  trust?: TrustAnchors;
  loadAuthority?: LoadAuthoritySigner;
  /**
   * A development PKI directory (`huduma pki init`): trust anchors from its pki.json and, when
   * its key file is present, the load-authority key.
   */
  pkiDir?: string;
  /** Timeouts and request rates (defaults in http/limits.ts). */
  edge?: EdgeOptions;
}

export interface RunningService {
  app: FastifyInstance;
  db: Db;
  url: string;
  /** Where the operator token was read from or written to, when it came from a file. */
  operatorTokenFile?: string;
  close(): Promise<void>;
}

function readOrCreateOperatorToken(dataDir: string): { token: string; file: string } {
  const file = join(dataDir, 'operator-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), file };
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { token, file };
}

/** Opens storage, migrates, loads keys and listens (loopback unless told otherwise). */
export async function serve(options: ServeOptions): Promise<RunningService> {
  if (options.dataDir === undefined && options.databaseUrl === undefined) {
    throw new InputError('ERR_SERVE_OPTIONS', 'give --data DIR (embedded database) or --database-url URL');
  }
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keyFile = options.keyFile ?? (dataDir === undefined ? undefined : join(dataDir, 'service-key.pem'));
  if (keyFile === undefined) {
    throw new InputError('ERR_SERVE_OPTIONS', '--key FILE is required when no --data folder is given');
  }

  let operatorToken = options.operatorToken ?? process.env.HUDUMA_OPERATOR_TOKEN;
  let operatorTokenFile: string | undefined;
  if (operatorToken === undefined) {
    if (dataDir === undefined) {
      throw new InputError('ERR_SERVE_OPTIONS', 'set HUDUMA_OPERATOR_TOKEN when no --data folder is given');
    }
    ({ token: operatorToken, file: operatorTokenFile } = readOrCreateOperatorToken(dataDir));
  }

  const { signer } = loadOrCreateFileSigner(keyFile);
  let trust = options.trust;
  let loadAuthority = options.loadAuthority;
  if (options.pkiDir !== undefined) {
    const manifest = readPkiManifest(options.pkiDir);
    trust ??= {
      issuerCaKeys: [manifest.issuerCa.publicKey],
      acquirerCaKeys: [manifest.acquirerCa.publicKey],
    };
    if (existsSync(join(options.pkiDir, 'load-authority.key')))
      loadAuthority ??= DevPki.open(options.pkiDir).loadAuthority;
  }
  const db =
    options.databaseUrl !== undefined
      ? await openPostgresDb(options.databaseUrl)
      : await openPgliteDb(join(dataDir!, 'pgdata'));
  try {
    await migrate(db);
    const app = createClearingService({
      db,
      signer,
      operatorToken,
      topupCallbackToken: options.topupCallbackToken ?? process.env.HUDUMA_TOPUP_CALLBACK_TOKEN,
      logger: options.logger ?? true,
      ...(trust ? { trust } : {}),
      ...(loadAuthority ? { loadAuthority } : {}),
      ...(options.edge ? { edge: options.edge } : {}),
    });
    const url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
    return {
      app,
      db,
      url,
      ...(operatorTokenFile === undefined ? {} : { operatorTokenFile }),
      async close() {
        await app.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
