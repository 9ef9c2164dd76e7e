import { availableParallelism } from 'node:os';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { bearerToken, rejectAllTerminals, secretsEqual, type TerminalAuthenticator } from './auth';
import { checkpointTreeHead } from './checkpoints';
import type { Db } from './db/types';
import { ClearingError, InputError, MerkleError } from './errors';
import { isEdgeError, registerEdge, sendEdgeError } from './http/edge';
import { type EdgeOptions, edgeServerOptions } from './http/limits';
import { registerRateLimits } from './http/rate-limit';
import { terminalRequestGuard } from './http/terminal-request';
import { type IngestContext, isTerminalRevoked, UploadRejected } from './ingest';
import type { LoadAuthoritySigner } from './loads';
import { currentTreeHead, inclusionProof } from './merkle';
import { CardProofRecordVerifier } from './record-verifier';
import { RequestNonces } from './request-nonces';
import { encodeDenyListDelta } from './signed-messages';
import type { Signer } from './signer';
import {
  appendDenyListEntry,
  denyListSince,
  listAlerts,
  listCatalog,
  listPendingTopups,
  recordTopupNotification,
  settlementForDate,
  settlementToCsv,
} from './store';
import { CertificateTerminalAuthenticator } from './terminal-auth';
import { registerTerminalRoutes } from './terminal-routes';
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
  /** Timeouts, body limits and request rates (http/limits.ts has the defaults). */
  edge?: EdgeOptions;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

const cardNumberSchema = {
  type: 'string',
  pattern: '^[0-9]{16}$',
  description: '16-digit Huduma card number',
} as const;

const topupSchema = {
  type: 'object',
  required: ['topupId', 'provider', 'providerTxnId', 'cardNumber', 'amountCents', 'status', 'receivedAt'],
  properties: {
    topupId: { type: 'integer' },
    provider: { type: 'string' },
    providerTxnId: { type: 'string' },
    cardNumber: cardNumberSchema,
    amountCents: { type: 'integer' },
    status: { type: 'string', enum: ['pending', 'authorized', 'loaded', 'expired'] },
    receivedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const settlementLineProperties = {
  debitCount: { type: 'integer' },
  grossDebitsCents: { type: 'integer' },
  cancelCount: { type: 'integer' },
  cancelsCents: { type: 'integer' },
  netCents: { type: 'integer' },
} as const;

/** Parses a KES amount ("1500", "1500.5", "1500.50") to integer cents without floating point. */
export function kesToCents(amount: string | number): number {
  const text = typeof amount === 'number' ? String(amount) : amount.trim();
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match)
    throw new InputError(
      'ERR_AMOUNT',
      `amount ${JSON.stringify(amount)} is not a KES amount with at most 2 decimals`,
    );
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

function isRealDate(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

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
    ? { db, signer, trust: trustStore, verifier: new CardProofRecordVerifier(trustStore), now, signaturePool }
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
  });
  registerEdge(app);
  const terminalRequest = terminalRequestGuard({
    terminalAuth,
    operatorToken,
    nonces: new RequestNonces(db, now),
    limitTerminal: registerRateLimits(app, options.edge?.rateLimit),
  });

  app.setErrorHandler((error: Error & { validation?: unknown; statusCode?: number }, request, reply) => {
    if (isEdgeError(error, request)) return sendEdgeError(error, request, reply);
    if (error instanceof UploadRejected) {
      request.log.warn({ code: error.code, seq: error.seq, reason: error.message }, 'upload refused');
      return reply.status(error.statusCode).send({
        error: error.code,
        message: error.message,
        ...(error.seq === undefined ? {} : { seq: error.seq }),
      });
    }
    if (error.validation) {
      return reply.status(400).send({ error: 'ERR_VALIDATION', message: error.message });
    }
    if (error instanceof MerkleError && error.code === 'ERR_MERKLE_RANGE') {
      return reply.status(400).send({ error: error.code, message: error.message });
    }
    if (error instanceof InputError) {
      const status =
        error.code === 'ERR_TOPUP_NOT_FOUND'
          ? 404
          : [
                'ERR_TOPUP_CONFLICT',
                'ERR_TOPUP_NOT_PENDING',
                'ERR_TOPUP_IN_PROGRESS',
                'ERR_CARD_NOT_SYNCED',
                'ERR_CARD_RECORD_CONFLICT',
              ].includes(error.code)
            ? 409
            : error.code === 'ERR_CARD_RECORD_INVALID'
              ? 422
              : 400;
      return reply.status(status).send({ error: error.code, message: error.message });
    }
    if (error instanceof ClearingError) {
      request.log.error({ err: error }, 'clearing error');
      return reply.status(500).send({ error: error.code, message: error.message });
    }
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return reply.status(error.statusCode).send({ error: 'ERR_REQUEST', message: error.message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send({ error: 'ERR_INTERNAL', message: 'internal error' });
  });

  async function requireOperator(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = bearerToken(request);
    if (token === undefined || !secretsEqual(token, operatorToken)) {
      request.log.warn({ route: request.routeOptions.url }, 'operator authentication failed');
      await reply.status(401).header('www-authenticate', 'Bearer').send({
        error: 'ERR_UNAUTHORIZED',
        message: 'operator bearer token missing or wrong',
      });
    }
  }

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
        },
      },
    },
  });

  app.register(async (api) => {
    api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());

    registerTerminalRoutes(api, {
      db,
      signer,
      operatorToken,
      ingest,
      terminalRequest,
      loadAuthority: options.loadAuthority,
      now,
    });

    api.get(
      '/healthz',
      {
        schema: {
          summary: 'Liveness and database reachability',
          response: {
            200: {
              type: 'object',
              required: ['status', 'database', 'treeSize', 'keyId'],
              properties: {
                status: { type: 'string', enum: ['ok'] },
                database: { type: 'string', enum: ['pglite', 'postgres'] },
                treeSize: { type: 'integer' },
                keyId: { type: 'string' },
              },
            },
          },
        },
      },
      async () => ({
        status: 'ok',
        database: db.kind,
        treeSize: (await currentTreeHead(db)).treeSize,
        keyId: signer.keyId,
      }),
    );

    api.get(
      '/v1/service-key',
      {
        schema: {
          summary: 'The clearing service P-256 public key that signs deny lists and tree heads',
          response: {
            200: {
              type: 'object',
              required: ['keyId', 'publicKey', 'algorithm'],
              properties: {
                keyId: { type: 'string' },
                publicKey: { type: 'string', description: 'uncompressed SEC1 point, hex' },
                algorithm: { type: 'string', enum: ['ECDSA-P256-SHA256-RAW'] },
              },
            },
          },
        },
      },
      async () => ({
        keyId: signer.keyId,
        publicKey: hex(signer.publicKey),
        algorithm: 'ECDSA-P256-SHA256-RAW',
      }),
    );

    const signedTreeHeadSchema = {
      type: 'object',
      required: ['treeSize', 'rootHash', 'timestampMs', 'keyId', 'signature'],
      properties: {
        treeSize: { type: 'integer' },
        rootHash: { type: 'string', description: 'hex' },
        timestampMs: { type: 'integer' },
        keyId: { type: 'string' },
        signature: { type: 'string', description: 'raw r||s over the TREE-HEAD/v1 encoding, hex' },
      },
    } as const;

    api.get(
      '/v1/merkle/checkpoint',
      {
        schema: {
          summary: 'Signed head of the Merkle tree over accepted records (signs the current head if new)',
          response: { 200: signedTreeHeadSchema },
        },
      },
      async () => {
        const sth = await checkpointTreeHead(db, signer, now);
        return {
          treeSize: sth.treeSize,
          rootHash: hex(sth.rootHash),
          timestampMs: sth.timestampMs,
          keyId: signer.keyId,
          signature: hex(sth.signature),
        };
      },
    );

    api.get<{ Querystring: { leafIndex: number; treeSize?: number } }>(
      '/v1/merkle/inclusion-proof',
      {
        schema: {
          summary: 'RFC 9162 inclusion proof of a leaf in the tree of a given size (default: current)',
          querystring: {
            type: 'object',
            required: ['leafIndex'],
            properties: {
              leafIndex: { type: 'integer', minimum: 0 },
              treeSize: { type: 'integer', minimum: 1 },
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              required: ['leafIndex', 'treeSize', 'leafHash', 'proof'],
              properties: {
                leafIndex: { type: 'integer' },
                treeSize: { type: 'integer' },
                leafHash: { type: 'string' },
                proof: { type: 'array', items: { type: 'string' } },
              },
            },
            400: errorSchema,
          },
        },
      },
      async (request) => {
        const p = await inclusionProof(db, request.query.leafIndex, request.query.treeSize);
        return {
          leafIndex: request.query.leafIndex,
          treeSize: p.treeSize,
          leafHash: hex(p.leafHash),
          proof: p.proof.map(hex),
        };
      },
    );

    api.get(
      '/v1/catalog',
      {
        schema: {
          summary: 'Government services payable with the card, with fees in cents',
          response: {
            200: {
              type: 'object',
              required: ['currency', 'services'],
              properties: {
                currency: { type: 'string', enum: ['KES'] },
                services: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['serviceCode', 'name', 'agency', 'feeCents'],
                    properties: {
                      serviceCode: { type: 'integer' },
                      name: { type: 'string' },
                      agency: { type: 'string' },
                      feeCents: { type: 'integer' },
                    },
                  },
                },
              },
            },
          },
        },
      },
      async () => ({ currency: 'KES', services: await listCatalog(db) }),
    );

    api.get<{ Querystring: { since: number } }>(
      '/v1/deny-list',
      {
        schema: {
          summary: 'Deny-list changes since a version, signed by the service key',
          description:
            'signature = ECDSA P-256 (raw r||s, hex) over SHA-256 of the canonical encoding "HUDUMA-CLEARING/DENY-LIST/v1" 0x00 | u64 sinceVersion | u64 version | u64 issuedAtMs | u32 count | count × (u64 version | 8-byte BCD card number | u8 action: 1 add, 2 remove), big-endian.',
          querystring: {
            type: 'object',
            properties: { since: { type: 'integer', minimum: 0, default: 0 } },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              required: ['sinceVersion', 'version', 'issuedAtMs', 'entries', 'keyId', 'signature'],
              properties: {
                sinceVersion: { type: 'integer' },
                version: { type: 'integer' },
                issuedAtMs: { type: 'integer' },
                entries: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['version', 'cardNumber', 'action'],
                    properties: {
                      version: { type: 'integer' },
                      cardNumber: cardNumberSchema,
                      action: { type: 'string', enum: ['add', 'remove'] },
                    },
                  },
                },
                keyId: { type: 'string' },
                signature: { type: 'string', description: 'raw r||s, 64 bytes, hex' },
              },
            },
            400: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { version, entries } = await denyListSince(db, request.query.since);
        if (request.query.since > version) {
          return reply.status(400).send({
            error: 'ERR_DENY_LIST_VERSION',
            message: `version ${request.query.since} is newer than the current deny-list version ${version}`,
          });
        }
        const delta = { sinceVersion: request.query.since, version, issuedAtMs: now(), entries };
        const signature = await signer.sign(encodeDenyListDelta(delta));
        return { ...delta, keyId: signer.keyId, signature: hex(signature) };
      },
    );

    api.post<{
      Body: { TransID: string; TransAmount: string | number; BillRefNumber: string; MSISDN?: string };
    }>(
      '/v1/topups/mpesa',
      {
        schema: {
          summary: 'M-Pesa C2B payment confirmation: creates a pending top-up for the card in BillRefNumber',
          description:
            'Idempotent on TransID. Requires X-Callback-Token. Fields follow the Daraja C2B confirmation payload; unknown fields are ignored.',
          security: [{ callbackToken: [] }],
          body: {
            type: 'object',
            required: ['TransID', 'TransAmount', 'BillRefNumber'],
            properties: {
              TransID: { type: 'string', minLength: 1, maxLength: 64 },
              TransAmount: { anyOf: [{ type: 'string' }, { type: 'number' }] },
              BillRefNumber: { type: 'string' },
              MSISDN: { type: 'string' },
            },
          },
          response: {
            200: {
              type: 'object',
              required: ['ResultCode', 'ResultDesc', 'duplicate', 'topup'],
              properties: {
                ResultCode: { type: 'integer' },
                ResultDesc: { type: 'string' },
                duplicate: { type: 'boolean' },
                topup: topupSchema,
              },
            },
            400: errorSchema,
            401: errorSchema,
            409: errorSchema,
            503: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const expected = options.topupCallbackToken;
        if (expected === undefined) {
          return reply
            .status(503)
            .send({ error: 'ERR_TOPUPS_DISABLED', message: 'no top-up callback token is configured' });
        }
        const given = request.headers['x-callback-token'];
        if (typeof given !== 'string' || !secretsEqual(given, expected)) {
          return reply
            .status(401)
            .send({ error: 'ERR_UNAUTHORIZED', message: 'callback token missing or wrong' });
        }
        const body = request.body;
        const cardNumber = body.BillRefNumber.replace(/[\s-]/g, '');
        const result = await recordTopupNotification(db, {
          provider: 'mpesa',
          providerTxnId: body.TransID,
          cardNumber,
          amountCents: kesToCents(body.TransAmount),
          payer: body.MSISDN ?? null,
        });
        request.log.info(
          { topupId: result.topup.topupId, txn: body.TransID, duplicate: !result.created },
          'mobile-money top-up notified',
        );
        return { ResultCode: 0, ResultDesc: 'Accepted', duplicate: !result.created, topup: result.topup };
      },
    );

    api.get<{ Params: { cardNumber: string } }>(
      '/v1/cards/:cardNumber/pending-topups',
      {
        ...terminalRequest({ allowOperator: true }),
        schema: {
          summary: 'Top-ups paid but not yet loaded onto the card',
          security: [{ operator: [] }],
          params: { type: 'object', required: ['cardNumber'], properties: { cardNumber: cardNumberSchema } },
          response: {
            200: {
              type: 'object',
              required: ['cardNumber', 'totalCents', 'topups'],
              properties: {
                cardNumber: cardNumberSchema,
                totalCents: { type: 'integer' },
                topups: { type: 'array', items: topupSchema },
              },
            },
            401: errorSchema,
          },
        },
      },
      async (request) => {
        const topups = await listPendingTopups(db, request.params.cardNumber);
        return {
          cardNumber: request.params.cardNumber,
          totalCents: topups.reduce((sum, t) => sum + t.amountCents, 0),
          topups,
        };
      },
    );

    api.register(async (admin) => {
      admin.addHook('preHandler', requireOperator);

      admin.get<{ Querystring: { after: number; limit: number } }>(
        '/v1/admin/alerts',
        {
          schema: {
            summary: 'Fraud and integrity alerts, oldest first, paged by alert id',
            security: [{ operator: [] }],
            querystring: {
              type: 'object',
              properties: {
                after: { type: 'integer', minimum: 0, default: 0 },
                limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
              },
              additionalProperties: false,
            },
            response: {
              200: {
                type: 'object',
                required: ['alerts'],
                properties: {
                  alerts: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['alertId', 'kind', 'severity', 'details', 'createdAt'],
                      properties: {
                        alertId: { type: 'integer' },
                        kind: { type: 'string' },
                        severity: { type: 'string', enum: ['info', 'warning', 'critical'] },
                        terminalId: { type: ['string', 'null'] },
                        cardNumber: { type: ['string', 'null'] },
                        details: { type: 'object', additionalProperties: true },
                        createdAt: { type: 'string', format: 'date-time' },
                      },
                    },
                  },
                },
              },
              401: errorSchema,
            },
          },
        },
        async (request) => ({
          alerts: await listAlerts(db, { afterId: request.query.after, limit: request.query.limit }),
        }),
      );

      admin.post<{
        Body: { cardNumber: string; action: 'add' | 'remove'; reason: string; operator?: string };
      }>(
        '/v1/admin/deny-list',
        {
          schema: {
            summary: 'Add a card to, or remove it from, the deny list',
            security: [{ operator: [] }],
            body: {
              type: 'object',
              required: ['cardNumber', 'action', 'reason'],
              properties: {
                cardNumber: cardNumberSchema,
                action: { type: 'string', enum: ['add', 'remove'] },
                reason: { type: 'string', minLength: 1, maxLength: 500 },
                operator: { type: 'string', maxLength: 100, description: 'who asked, for the audit trail' },
              },
              additionalProperties: false,
            },
            response: {
              200: {
                type: 'object',
                required: ['version', 'cardNumber', 'action'],
                properties: {
                  version: { type: 'integer' },
                  cardNumber: cardNumberSchema,
                  action: { type: 'string', enum: ['add', 'remove'] },
                },
              },
              401: errorSchema,
            },
          },
        },
        async (request) => {
          const { cardNumber, action, reason } = request.body;
          const version = await db.transaction((tx) =>
            appendDenyListEntry(tx, {
              cardNumber,
              action,
              reason,
              createdBy: request.body.operator ?? 'operator',
            }),
          );
          request.log.info({ cardNumber, action, version }, 'deny list changed');
          return { version, cardNumber, action };
        },
      );

      admin.get<{ Querystring: { date: string; format: 'json' | 'csv' } }>(
        '/v1/admin/settlement',
        {
          schema: {
            summary: 'Per-merchant settlement for one Africa/Nairobi business day',
            description:
              'Counts and sums accepted debit and cancel records whose terminal time falls on the date (UTC+3). net = gross debits − cancels; totals equal the sums over accepted_records.',
            security: [{ operator: [] }],
            querystring: {
              type: 'object',
              required: ['date'],
              properties: {
                date: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
                format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
              },
              additionalProperties: false,
            },
            response: {
              200: {
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      required: ['date', 'currency', 'merchants', 'totals'],
                      properties: {
                        date: { type: 'string' },
                        currency: { type: 'string', enum: ['KES'] },
                        merchants: {
                          type: 'array',
                          items: {
                            type: 'object',
                            properties: {
                              merchantId: { type: 'string' },
                              merchantName: { type: 'string' },
                              ...settlementLineProperties,
                            },
                          },
                        },
                        totals: { type: 'object', properties: settlementLineProperties },
                      },
                    },
                  },
                  'text/csv': { schema: { type: 'string' } },
                },
              },
              400: errorSchema,
              401: errorSchema,
            },
          },
        },
        async (request, reply) => {
          const { date, format } = request.query;
          if (!isRealDate(date)) {
            return reply
              .status(400)
              .send({ error: 'ERR_VALIDATION', message: `${date} is not a calendar date` });
          }
          const report = await settlementForDate(db, date);
          if (format === 'csv') {
            return reply
              .type('text/csv; charset=utf-8')
              .header('content-disposition', `attachment; filename="settlement-${date}.csv"`)
              .send(settlementToCsv(report));
          }
          return reply.type('application/json').send({ ...report, currency: 'KES' });
        },
      );
    });
  });

  if (signaturePool) app.addHook('onClose', () => signaturePool.close());
  return app;
}
