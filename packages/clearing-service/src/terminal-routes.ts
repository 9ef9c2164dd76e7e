/**
 * Terminal routes: batch upload, fork reports, terminal state, load authorizations and shift
 * close. Every one is terminal-signed: `...terminalGuard({ … })` spreads the hooks of
 * http/terminal-request.ts, which authenticate from the headers before any body byte is read.
 */

import { Capability } from '@huduma/card-applet-spec';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors';
import { registerForkReportRoute } from './fork-reports';
import { SHIFT_CLOSE_BODY_LIMIT, UPLOAD_BODY_LIMIT } from './http/limits';
import {
  cardNumberSchema,
  errorResponses,
  hexSchema,
  idSchema,
  indexSchema,
  MAX_ID,
  MAX_U32,
  shiftIdSchema,
  terminalIdSchema,
} from './http/schemas';
import { ingestBatch } from './ingest';
import { issueLoadAuthorization } from './loads';
import { reconcileShift } from './reconcile';
import { hex, type RouteDeps } from './routes/deps';
import { receiptJson, receiptSchema } from './routes/receipts';

export async function terminalRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db, signer } = deps;
  const terminalGuard = deps.terminalRequest;

  api.post<{ Params: { terminalId: string } }>(
    '/v1/terminals/:terminalId/batches',
    {
      bodyLimit: UPLOAD_BODY_LIMIT,
      config: { contentTypes: ['application/cbor'] },
      ...terminalGuard({ matchParam: true }),
      schema: {
        summary:
          'Upload a batch of the terminal log (CBOR), verified record by record, stored all-or-nothing',
        description:
          'Body: application/cbor map {v: 1, terminalCertificate: bstr(165), records: [bstr…], seal?: bstr(64)}: exact txlog record payloads with consecutive seqs, ending in a terminal signature over the chain head: the last record a checkpoint, or a seal (the terminal signature over the checkpoint message for the last record). Terminal-signed (X-Huduma-* headers) under the certificate the batch carries. Idempotent: records already held are acknowledged as duplicates. See the package README for the byte layout and every check.',
        params: { type: 'object', required: ['terminalId'], properties: { terminalId: terminalIdSchema } },
        response: {
          200: receiptSchema,
          ...errorResponses(400, 401, 403, 409, 413, 415, 422, 503),
        },
      },
    },
    async (request) => {
      if (!deps.ingest) {
        throw new HttpError(503, 'ERR_UPLOADS_DISABLED', 'no trust anchors are configured');
      }
      if (!(request.body instanceof Uint8Array)) {
        throw new HttpError(
          415,
          'ERR_CONTENT_TYPE',
          'send the batch as application/cbor',
          'header.content-type',
        );
      }
      const result = await ingestBatch(
        deps.ingest,
        request.params.terminalId,
        request.body,
        request.terminal?.certificate,
      );
      request.log.info(
        {
          terminalId: request.params.terminalId,
          newRecords: result.receipt.newCount,
          duplicates: result.receipt.duplicateCount,
          heldUpToSeq: result.receipt.heldUpToSeq,
          alerts: result.alerts,
        },
        'batch stored',
      );
      return receiptJson(result, signer.keyId);
    },
  );

  registerForkReportRoute(api, { db, guard: terminalGuard({ matchParam: true }) });

  api.get<{ Params: { terminalId: string } }>(
    '/v1/terminals/:terminalId/state',
    {
      ...terminalGuard({ matchParam: true, allowOperator: true }),
      schema: {
        summary: 'Where a terminal resumes its upload: the last seq held and its hash',
        params: { type: 'object', required: ['terminalId'], properties: { terminalId: terminalIdSchema } },
        response: {
          200: {
            type: 'object',
            required: ['terminalId', 'lastSeq', 'headHash', 'status'],
            properties: {
              terminalId: { type: 'string' },
              lastSeq: { type: ['integer', 'null'] },
              headHash: { type: ['string', 'null'] },
              status: { type: 'string', enum: ['unknown', 'active', 'revoked'] },
            },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const rows = await db.query<{ last_seq: number | null; head_hash: Uint8Array | null; status: string }>(
        'SELECT last_seq, head_hash, status FROM terminals WHERE terminal_id = $1',
        [request.params.terminalId],
      );
      const revoked = await db.query('SELECT 1 FROM revoked_terminals WHERE terminal_id = $1', [
        request.params.terminalId,
      ]);
      const row = rows[0];
      return {
        terminalId: request.params.terminalId,
        lastSeq: row?.last_seq ?? null,
        headHash: row?.head_hash ? hex(row.head_hash) : null,
        status: revoked.length > 0 ? 'revoked' : row ? 'active' : 'unknown',
      };
    },
  );

  api.post<{
    Body: {
      cardNumber: string;
      counter: number;
      challenge: string;
      terminalSeq: number;
      terminalNonce: string;
      source: 'cash' | 'topup';
      amountCents?: number;
      topupId?: number;
      loadRef?: string;
      currency?: number;
      cardRecords?: string[];
      cardCertificate?: string;
    };
  }>(
    '/v1/load-authorizations',
    {
      ...terminalGuard({ capability: Capability.RELOAD }),
      schema: {
        summary:
          'Online load authorization for RELOAD (146 bytes, card applet v2, signed by the load authority)',
        description:
          'Terminal-signed request (X-Huduma-Certificate/Timestamp/Signature), certificate with the RELOAD capability. source "cash": money taken at the counter, amountCents required. source "topup": a pending mobile-money top-up of this card (topupId); its amount is loaded. SPEC.md §6.10: signed only when the service holds every record of the card up to `counter` (uploaded logs, or the card\'s unsynced ring proofs sent as cardRecords with cardCertificate), else 409 ERR_CARD_NOT_SYNCED. currency: BCD ISO 4217 (default KES 0x0404, the only one loaded).',
        body: {
          type: 'object',
          required: ['cardNumber', 'counter', 'challenge', 'terminalSeq', 'terminalNonce', 'source'],
          properties: {
            cardNumber: cardNumberSchema,
            counter: { type: 'integer', minimum: 0, maximum: MAX_U32 - 1 },
            challenge: hexSchema(16),
            terminalSeq: { type: 'integer', minimum: 0, maximum: MAX_U32 },
            terminalNonce: hexSchema(8),
            source: { type: 'string', enum: ['cash', 'topup'] },
            amountCents: { type: 'integer', minimum: 1, maximum: MAX_U32 },
            topupId: idSchema,
            loadRef: { type: 'string', pattern: '^[\\x21-\\x7e][\\x20-\\x7e]{0,15}$' },
            currency: { type: 'integer', minimum: 0, maximum: 0xffff },
            // The card's ring holds 32 entries (§2.7): never more unsynced records than that.
            cardRecords: { type: 'array', maxItems: 32, items: hexSchema(130) },
            cardCertificate: hexSchema(230),
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['authorizationId', 'authorization', 'amountCents', 'loadRef', 'time', 'keyId'],
            properties: {
              authorizationId: { type: 'integer' },
              authorization: { type: 'string', description: '146 bytes, hex: the RELOAD command data' },
              amountCents: { type: 'integer' },
              loadRef: { type: 'string' },
              time: { type: 'integer' },
              topupId: { type: ['integer', 'null'] },
              keyId: { type: 'string' },
            },
          },
          ...errorResponses(400, 401, 403, 404, 409, 422, 503),
        },
      },
    },
    async (request) => {
      if (!deps.loadAuthority) {
        throw new HttpError(503, 'ERR_LOADS_DISABLED', 'no load-authority key is configured');
      }
      const b = request.body;
      const issued = await issueLoadAuthorization(
        db,
        deps.loadAuthority,
        request.terminal!.terminalId,
        {
          cardNumber: b.cardNumber,
          counter: b.counter,
          challenge: new Uint8Array(Buffer.from(b.challenge, 'hex')),
          terminalSeq: b.terminalSeq,
          terminalNonce: new Uint8Array(Buffer.from(b.terminalNonce, 'hex')),
          source: b.source,
          ...(b.amountCents === undefined ? {} : { amountCents: b.amountCents }),
          ...(b.topupId === undefined ? {} : { topupId: b.topupId }),
          ...(b.loadRef === undefined ? {} : { loadRef: b.loadRef }),
          ...(b.currency === undefined ? {} : { currency: b.currency }),
          ...(b.cardRecords === undefined
            ? {}
            : { cardRecords: b.cardRecords.map((r) => new Uint8Array(Buffer.from(r, 'hex'))) }),
          ...(b.cardCertificate === undefined
            ? {}
            : { cardCertificate: new Uint8Array(Buffer.from(b.cardCertificate, 'hex')) }),
        },
        deps.now(),
        deps.ingest?.trust,
      );
      request.log.info(
        {
          terminalId: request.terminal!.terminalId,
          authorizationId: issued.authorizationId,
          amountCents: issued.amountCents,
          source: b.source,
        },
        'load authorized',
      );
      return {
        authorizationId: issued.authorizationId,
        authorization: hex(issued.authorization),
        amountCents: issued.amountCents,
        loadRef: issued.loadRef,
        time: issued.time,
        topupId: issued.topupId,
        keyId: hex(deps.loadAuthority.keyId),
      };
    },
  );

  api.post<{
    Params: { terminalId: string };
    Body: { shiftId: string; count: number; amountCents: number; saleSeqs?: number[] };
  }>(
    '/v1/terminals/:terminalId/shift-close',
    {
      bodyLimit: SHIFT_CLOSE_BODY_LIMIT,
      ...terminalGuard({ matchParam: true, allowOperator: true }),
      schema: {
        summary: 'Shift-close reconciliation: in balance, out of balance (with what differs), or incomplete',
        description:
          "count and amountCents: the shift's sales (sale + recovered-sale, gross, as the terminal's Z report counts them). saleSeqs (optional): the log seqs of those sales, to list which differ.",
        params: { type: 'object', required: ['terminalId'], properties: { terminalId: terminalIdSchema } },
        body: {
          type: 'object',
          required: ['shiftId', 'count', 'amountCents'],
          properties: {
            shiftId: shiftIdSchema,
            count: { type: 'integer', minimum: 0, maximum: MAX_ID },
            amountCents: { type: 'integer', minimum: 0, maximum: MAX_ID },
            saleSeqs: { type: 'array', items: indexSchema, maxItems: 100000 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => reconcileShift(db, request.params.terminalId, request.body.shiftId, request.body),
  );
}
