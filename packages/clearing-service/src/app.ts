import { availableParallelism } from 'node:os';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Admission } from './admission';
import { rejectAllTerminals, type TerminalAuthenticator } from './auth';
import type { Db } from './db/types';
import { InputError } from './errors';
import { registerEdge } from './http/edge';
import { frameworkErrors, installErrorMapper } from './http/error-mapper';
import { type EdgeOptions, edgeServerOptions } from './http/limits';
import { type Authenticator, OperatorTokenAuthenticator } from './http/principal';
import { registerRateLimits } from './http/rate-limit';
import { terminalRequestGuard } from './http/terminal-request';
import { type IngestContext, isTerminalRevoked } from './ingest';
import type { LoadAuthoritySigner } from './loads';
import { peopleRoutes } from './people/plugin';
import { CardProofRecordVerifier } from './record-verifier';
import { RequestNonces } from './request-nonces';
import type { RouteDeps } from './routes/deps';
import { merchantRoutes } from './routes/merchant';
import { operatorRoutes } from './routes/operator';
import { publicRoutes } from './routes/public';
import { terminalRoutes } from './routes/terminal';
import { topupRoutes } from './routes/topups';
import type { Signer } from './signer';
import { type StorageProbe, WriteStorageProbe } from './storage-probe';
import { CertificateTerminalAuthenticator } from './terminal-auth';
import { type TrustAnchors, TrustStore } from './trust';
import { SignatureVerifyPool } from './verify-pool';

export interface ClearingServiceOptions {
  /** Migrated database (see `migrate`). */
  db: Db;
  signer: Signer;
  /** Secret for `Authorization: Bearer …` on /v1/admin/* routes. */
  operatorToken: string;
  /**
   * Shared secret the mobile-money gateway sends in `X-Callback-Token`. Without it the top-up
   * notification route answers 503: accepting unauthenticated payment notifications would let
   * anyone mint card loads.
   */
  topupCallbackToken?: string;
  /** A pino logger, or false to log nothing. Default: pino at 'info' to stdout. */
  logger?: FastifyBaseLogger | boolean;
  /**
   * Default: terminals authenticate with their certificate (chained to `trust.acquirerCaKeys`)
   * and a request signature (terminal-auth.ts); without `trust`, no terminal is accepted.
   */
  terminalAuth?: TerminalAuthenticator;
  /** Issuer and acquirer CA keys. Without them uploads answer 503. */
  trust?: TrustAnchors;
  /** The load-authority key that signs load authorizations. Without it loads answer 503. */
  loadAuthority?: LoadAuthoritySigner;
  now?: () => number;
  /**
   * Worker threads verifying card signatures of uploads (terminated by `app.close()`).
   * Default: the available parallelism, at most 2; 0 verifies on the main thread.
   */
  verifyThreads?: number;
  /**
   * Uploads in their store phase (one database transaction each) at once; the others, verified
   * already, wait their turn. Every upload's transaction ends under the one Merkle lock, so more
   * than two at once only queue there, holding a connection, their terminal's row lock and their
   * counter claims, and on a small machine take CPU from the verifiers. Default 2.
   */
  storeConcurrency?: number;
  /** Whether storage can take writes, for /healthz. Default: a real write probe cached 2 s. */
  storageProbe?: StorageProbe;
  /** Timeouts, body limits and request rates (http/limits.ts has the defaults). */
  edge?: EdgeOptions;
  /**
   * More credentials for people (sessions of operators, auditors, merchants), tried after the
   * operator token (http/principal.ts).
   */
  authenticators?: readonly Authenticator[];
}

export { kesToCents } from './routes/topups';

/**
 * The clearing service's HTTP API as a Fastify app (not listening yet: call `.listen()` or
 * `.inject()`). The database must already be migrated.
 */
export function createClearingService(options: ClearingServiceOptions): FastifyInstance {
  const { db, signer, operatorToken } = options;
  const now = options.now ?? Date.now;
  const trustStore = options.trust ? new TrustStore(options.trust) : undefined;
  const terminalAuth =
    options.terminalAuth ??
    (trustStore
      ? new CertificateTerminalAuthenticator(trustStore, (id) => isTerminalRevoked(db, id), now)
      : rejectAllTerminals);
  const verifyThreads = options.verifyThreads ?? Math.min(2, availableParallelism());
  const signaturePool = trustStore && verifyThreads > 0 ? new SignatureVerifyPool(verifyThreads) : undefined;
  const ingest: IngestContext | undefined = trustStore
    ? {
        db,
        signer,
        trust: trustStore,
        verifier: new CardProofRecordVerifier(trustStore),
        now,
        signaturePool,
        storeAdmission: new Admission(options.storeConcurrency ?? 2),
      }
    : undefined;
  if (operatorToken.length < 16) {
    throw new InputError('ERR_OPERATOR_TOKEN', 'the operator token must be at least 16 characters');
  }

  const loggerOption =
    options.logger === undefined || options.logger === true
      ? {
          logger: { level: 'info', redact: ['req.headers.authorization', 'req.headers["x-callback-token"]'] },
        }
      : options.logger === false
        ? { logger: false as const }
        : { loggerInstance: options.logger };
  const app = Fastify({
    ...loggerOption,
    ...edgeServerOptions(options.edge),
    ajv: { customOptions: { removeAdditional: false } },
    frameworkErrors,
  });

  // Header-only refusals (415, 413), the body parsers keeping the raw bytes the terminal
  // signature covers (http/edge.ts); then the one error handler and the 404 (error-mapper.ts).
  registerEdge(app);
  installErrorMapper(app);
  const authenticators = [new OperatorTokenAuthenticator(operatorToken), ...(options.authenticators ?? [])];
  const terminalRequest = terminalRequestGuard({
    terminalAuth,
    operators: authenticators,
    nonces: new RequestNonces(db, now),
    limitTerminal: registerRateLimits(app, options.edge?.rateLimit),
  });

  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Huduma Pay clearing service',
        version: '0.1.0',
        description:
          'Receives terminal uploads, detects cloned cards, publishes the signed deny list and settles per merchant. Amounts are integer cents (KES).',
      },
      components: {
        securitySchemes: {
          operator: { type: 'http', scheme: 'bearer', description: 'Operator token configured at startup' },
          callbackToken: { type: 'apiKey', in: 'header', name: 'X-Callback-Token' },
          session: { type: 'apiKey', in: 'cookie', name: 'huduma_session' },
        },
      },
    },
  });

  const deps: RouteDeps = {
    db,
    signer,
    authenticators,
    topupCallbackToken: options.topupCallbackToken,
    ingest,
    terminalRequest,
    loadAuthority: options.loadAuthority,
    storage: options.storageProbe ?? new WriteStorageProbe(db, now),
    now,
  };
  // One plugin per audience; each guards its own routes (http/principal.ts, terminal-request.ts).
  app.register(async (api) => {
    api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());
    await api.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json' } });
    await api.register(publicRoutes, deps);
    await api.register(terminalRoutes, deps);
    await api.register(topupRoutes, deps);
    await api.register(operatorRoutes, deps);
    await api.register(merchantRoutes, deps);
    await api.register(peopleRoutes, { ...deps, issuerCaKeys: options.trust?.issuerCaKeys ?? [] });
  });

  if (signaturePool) app.addHook('onClose', () => signaturePool.close());
  return app;
}
