/**
 * Phase 2 routes: batch upload, terminal state, receipts and inclusion proofs, load
 * authorizations, shift close, bills, and the operator's terminal/card views.
 */

import { Capability } from '@huduma/card-applet-spec';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken, secretsEqual } from './auth';
import type { Db } from './db/types';
import { registerForkReportRoute } from './fork-reports';
import { SHIFT_CLOSE_BODY_LIMIT, UPLOAD_BODY_LIMIT } from './http/limits';
import type { TerminalRequestGuard } from './http/terminal-request';
import { type IngestContext, type IngestResult, ingestBatch, LEAF_INDEX_SQL } from './ingest';
import { issueLoadAuthorization, type LoadAuthoritySigner } from './loads';
import { inclusionProof } from './merkle';
import { reconcileShift } from './reconcile';
import { decodeBatchReceipt } from './signed-messages';
import type { Signer } from './signer';

export interface TerminalRouteDeps {
  db: Db;
  signer: Signer;
  operatorToken: string;
  /** Undefined when no trust anchors are configured: uploads answer 503. */
  ingest: IngestContext | undefined;
  /** Hooks of every terminal-signed route (http/terminal-request.ts). */
  terminalRequest: TerminalRequestGuard;
  loadAuthority: LoadAuthoritySigner | undefined;
  now: () => number;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' }, seq: { type: 'integer' } },
} as const;
const terminalIdSchema = { type: 'string', pattern: '^[A-Z0-9-]{1,8}$' } as const;
const cardNumberSchema = { type: 'string', pattern: '^[0-9]{16}$' } as const;
const hexSchema = (bytes: number) => ({ type: 'string', pattern: `^[0-9a-fA-F]{${bytes * 2}}$` }) as const;

const receiptSchema = {
  type: 'object',
  required: [
    'status',
    'receiptId',
    'terminalId',
    'heldUpToSeq',
    'newRecords',
    'duplicateRecords',
    'receipt',
    'signature',
    'keyId',
  ],
  properties: {
    status: { type: 'string', enum: ['accepted', 'duplicate'] },
    receiptId: { type: ['integer', 'null'] },
    terminalId: { type: 'string' },
    heldUpToSeq: { type: 'integer' },
    headHash: { type: 'string' },
    newRecords: { type: 'integer' },
    duplicateRecords: { type: 'integer' },
    alerts: { type: 'integer' },
    totals: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          count: { type: 'integer' },
          amountCents: { type: 'integer' },
        },
      },
    },
    treeHead: {
      type: 'object',
      properties: {
        treeSize: { type: 'integer' },
        rootHash: { type: 'string' },
        timestampMs: { type: 'integer' },
      },
    },
    leaves: {
      type: 'array',
      items: { type: 'object', properties: { seq: { type: 'integer' }, leafIndex: { type: 'integer' } } },
    },
    receipt: {
      type: 'string',
      description: 'receipt bytes (BATCH-RECEIPT/v1), hex: what the signature covers',
    },
    signature: { type: 'string', description: 'service key, raw r||s over SHA-256(receipt), hex' },
    keyId: { type: 'string' },
  },
} as const;

function receiptJson(
  result: Pick<IngestResult, 'status' | 'receiptId' | 'receipt' | 'receiptBytes' | 'signature' | 'alerts'>,
  keyId: string,
) {
  const r = result.receipt;
  return {
    status: result.status,
    receiptId: result.receiptId,
    terminalId: r.terminalId,
    heldUpToSeq: r.heldUpToSeq,
    headHash: hex(r.headHash),
    newRecords: r.newCount,
    duplicateRecords: r.duplicateCount,
    alerts: result.alerts,
    totals: r.totals,
    treeHead: { treeSize: r.treeSize, rootHash: hex(r.rootHash), timestampMs: r.treeTimestampMs },
    leaves: r.leaves,
    receipt: hex(result.receiptBytes),
    signature: hex(result.signature),
    keyId,
  };
}

export function registerTerminalRoutes(api: FastifyInstance, deps: TerminalRouteDeps): void {
  const { db, signer } = deps;

  const isOperator = (request: FastifyRequest) => {
    const token = bearerToken(request);
    return token !== undefined && secretsEqual(token, deps.operatorToken);
  };

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
          'Body: application/cbor map {v: 1, terminalCertificate: bstr(165), records: [bstr…], seal?: bstr(64)}: exact txlog record payloads with consecutive seqs, ending in a terminal signature over the chain head: the last record a checkpoint, or a seal (the terminal signature over the checkpoint message for the last record). Idempotent: records already held are acknowledged as duplicates. See the package README for the byte layout and every check.',
        params: { type: 'object', required: ['terminalId'], properties: { terminalId: terminalIdSchema } },
        response: {
          200: receiptSchema,
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          409: errorSchema,
          415: errorSchema,
          422: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      if (!deps.ingest) {
        return reply
          .status(503)
          .send({ error: 'ERR_UPLOADS_DISABLED', message: 'no trust anchors are configured' });
      }
      if (!(request.body instanceof Uint8Array)) {
        return reply
          .status(415)
          .send({ error: 'ERR_CONTENT_TYPE', message: 'send the batch as application/cbor' });
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
          401: errorSchema,
          403: errorSchema,
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

  const receiptRowColumns = 'batch_id, terminal_id, receipt, receipt_signature, tree_size';
  async function loadReceipt(receiptId: number) {
    const rows = await db.query<{
      batch_id: number;
      terminal_id: string;
      receipt: Uint8Array | null;
      receipt_signature: Uint8Array | null;
    }>(`SELECT ${receiptRowColumns} FROM batches WHERE batch_id = $1`, [receiptId]);
    const row = rows[0];
    return row?.receipt && row.receipt_signature
      ? { ...row, receipt: row.receipt, signature: row.receipt_signature }
      : undefined;
  }

  api.get<{ Params: { receiptId: number } }>(
    '/v1/receipts/:receiptId',
    {
      schema: {
        summary: 'A stored batch receipt (signed by the service key)',
        params: {
          type: 'object',
          required: ['receiptId'],
          properties: { receiptId: { type: 'integer', minimum: 1 } },
        },
        response: { 200: receiptSchema, 404: errorSchema },
      },
    },
    async (request, reply) => {
      const row = await loadReceipt(request.params.receiptId);
      if (!row)
        return reply
          .status(404)
          .send({ error: 'ERR_NOT_FOUND', message: `no receipt ${request.params.receiptId}` });
      return receiptJson(
        {
          status: 'accepted',
          receiptId: row.batch_id,
          receipt: decodeBatchReceipt(row.receipt),
          receiptBytes: row.receipt,
          signature: row.signature,
          alerts: 0,
        },
        signer.keyId,
      );
    },
  );

  api.get<{ Params: { receiptId: number }; Querystring: { seq: number } }>(
    '/v1/receipts/:receiptId/inclusion-proof',
    {
      schema: {
        summary: "Inclusion proof of one record of a receipt in the receipt's tree head (RFC 9162)",
        description:
          'leafHash = SHA-256(0x00 ‖ record bytes); verify the proof against the rootHash and treeSize the signed receipt carries.',
        params: {
          type: 'object',
          required: ['receiptId'],
          properties: { receiptId: { type: 'integer', minimum: 1 } },
        },
        querystring: {
          type: 'object',
          required: ['seq'],
          properties: { seq: { type: 'integer', minimum: 0 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['receiptId', 'terminalId', 'seq', 'leafIndex', 'treeSize', 'leafHash', 'proof'],
            properties: {
              receiptId: { type: 'integer' },
              terminalId: { type: 'string' },
              seq: { type: 'integer' },
              leafIndex: { type: 'integer' },
              treeSize: { type: 'integer' },
              leafHash: { type: 'string' },
              proof: { type: 'array', items: { type: 'string' } },
            },
          },
          404: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const row = await loadReceipt(request.params.receiptId);
      if (!row)
        return reply
          .status(404)
          .send({ error: 'ERR_NOT_FOUND', message: `no receipt ${request.params.receiptId}` });
      const receipt = decodeBatchReceipt(row.receipt);
      const leaf = receipt.leaves.find((l) => l.seq === request.query.seq);
      if (!leaf) {
        return reply.status(404).send({
          error: 'ERR_NOT_FOUND',
          message: `receipt ${row.batch_id} does not cover seq ${request.query.seq}`,
        });
      }
      const p = await inclusionProof(db, leaf.leafIndex, receipt.treeSize);
      return {
        receiptId: row.batch_id,
        terminalId: receipt.terminalId,
        seq: leaf.seq,
        leafIndex: leaf.leafIndex,
        treeSize: p.treeSize,
        leafHash: hex(p.leafHash),
        proof: p.proof.map(hex),
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
            counter: { type: 'integer', minimum: 0, maximum: 0xfffffffe },
            challenge: hexSchema(16),
            terminalSeq: { type: 'integer', minimum: 0, maximum: 0xffffffff },
            terminalNonce: hexSchema(8),
            source: { type: 'string', enum: ['cash', 'topup'] },
            amountCents: { type: 'integer', minimum: 1, maximum: 0xffffffff },
            topupId: { type: 'integer', minimum: 1 },
            loadRef: { type: 'string', minLength: 1, maxLength: 16 },
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
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
          409: errorSchema,
          422: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      if (!deps.loadAuthority) {
        return reply
          .status(503)
          .send({ error: 'ERR_LOADS_DISABLED', message: 'no load-authority key is configured' });
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
            shiftId: { type: 'string', minLength: 1, maxLength: 256 },
            count: { type: 'integer', minimum: 0 },
            amountCents: { type: 'integer', minimum: 0 },
            saleSeqs: { type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: 100000 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => reconcileShift(db, request.params.terminalId, request.body.shiftId, request.body),
  );

  api.get<{ Params: { billRef: string } }>(
    '/v1/bills/:billRef',
    {
      schema: {
        summary: 'An eCitizen bill: status and, once paid, the card-signed proof of payment',
        params: {
          type: 'object',
          required: ['billRef'],
          properties: { billRef: { type: 'string', minLength: 1, maxLength: 16 } },
        },
      },
    },
    async (request, reply) => {
      const rows = await db.query<{
        bill_ref: string;
        service_code: number;
        amount_cents: number;
        status: string;
        paid_at: Date | null;
        terminal_id: string | null;
        seq: number | null;
        record: Uint8Array | null;
        merkle_leaf_index: number | null;
        card_number: string | null;
        card_counter: number | null;
        batch_id: number | null;
      }>(
        `SELECT b.bill_ref, b.service_code, b.amount_cents, b.status, b.paid_at, r.terminal_id, r.seq, r.record,
           ${LEAF_INDEX_SQL.replaceAll('b.', 'bt.')} AS merkle_leaf_index, r.card_number, r.card_counter, r.batch_id
         FROM bills b LEFT JOIN accepted_records r ON r.record_id = b.paid_record_id
           LEFT JOIN batches bt ON bt.batch_id = r.batch_id
         WHERE b.bill_ref = $1`,
        [request.params.billRef],
      );
      const b = rows[0];
      if (!b)
        return reply
          .status(404)
          .send({ error: 'ERR_NOT_FOUND', message: `no bill ${request.params.billRef}` });
      let payment = null;
      if (b.status === 'paid' && b.record) {
        const { decodeRecord } = await import('@huduma/txlog');
        const rec = decodeRecord(b.record) as { cardProof?: Uint8Array; cardCertificate?: Uint8Array };
        payment = {
          paidAt: b.paid_at ? new Date(b.paid_at).toISOString() : null,
          terminalId: b.terminal_id,
          seq: b.seq,
          cardNumber: b.card_number,
          cardCounter: b.card_counter,
          receiptId: b.batch_id,
          merkleLeafIndex: b.merkle_leaf_index,
          cardProof: rec.cardProof ? hex(rec.cardProof) : null,
          cardCertificate: rec.cardCertificate ? hex(rec.cardCertificate) : null,
          record: hex(b.record),
        };
      }
      return {
        billRef: b.bill_ref,
        serviceCode: b.service_code,
        amountCents: b.amount_cents,
        status: b.status,
        payment,
      };
    },
  );

  api.register(async (admin) => {
    admin.addHook('preHandler', async (request, reply) => {
      if (!isOperator(request)) {
        await reply
          .status(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: 'ERR_UNAUTHORIZED', message: 'operator bearer token missing or wrong' });
      }
    });

    admin.post<{ Body: { billRef: string; serviceCode: number; amountCents: number } }>(
      '/v1/admin/bills',
      {
        schema: {
          summary: 'Register an eCitizen bill (normally fed by the eCitizen integration)',
          security: [{ operator: [] }],
          body: {
            type: 'object',
            required: ['billRef', 'serviceCode', 'amountCents'],
            properties: {
              billRef: { type: 'string', pattern: '^[\\x21-\\x7e][\\x20-\\x7e]{0,15}$' },
              serviceCode: { type: 'integer' },
              amountCents: { type: 'integer', minimum: 1 },
            },
            additionalProperties: false,
          },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const rows = await db.query(
          `INSERT INTO bills (bill_ref, service_code, amount_cents) VALUES ($1, $2, $3) ON CONFLICT (bill_ref) DO NOTHING RETURNING bill_ref`,
          [b.billRef, b.serviceCode, b.amountCents],
        );
        if (rows.length === 0)
          return reply.status(409).send({ error: 'ERR_BILL_EXISTS', message: `bill ${b.billRef} exists` });
        return { billRef: b.billRef, status: 'open' };
      },
    );

    admin.post<{ Params: { terminalId: string }; Body: { reason: string; operator?: string } }>(
      '/v1/admin/terminals/:terminalId/revoke',
      {
        schema: {
          summary: 'Revoke a terminal: its uploads and signed requests are refused from now on',
          security: [{ operator: [] }],
          params: { type: 'object', required: ['terminalId'], properties: { terminalId: terminalIdSchema } },
          body: {
            type: 'object',
            required: ['reason'],
            properties: {
              reason: { type: 'string', minLength: 1, maxLength: 500 },
              operator: { type: 'string', maxLength: 100 },
            },
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const { terminalId } = request.params;
        await db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO revoked_terminals (terminal_id, reason, revoked_by) VALUES ($1, $2, $3) ON CONFLICT (terminal_id) DO NOTHING`,
            [terminalId, request.body.reason, request.body.operator ?? 'operator'],
          );
          await tx.query(
            `UPDATE terminals SET status = 'revoked', revoked_at = now() WHERE terminal_id = $1`,
            [terminalId],
          );
        });
        request.log.warn({ terminalId }, 'terminal revoked');
        return { terminalId, status: 'revoked' };
      },
    );

    admin.get<{ Querystring: { limit: number } }>(
      '/v1/admin/counter-gaps',
      {
        schema: {
          summary:
            'Cards whose known counters have holes (records not uploaded yet, or lost): informative, not alerts',
          security: [{ operator: [] }],
          querystring: {
            type: 'object',
            properties: { limit: { type: 'integer', minimum: 1, maximum: 10000, default: 500 } },
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const rows = await db.query<{ card_number: string; after_counter: number; next_counter: number }>(
          `SELECT card_number, prev AS after_counter, counter AS next_counter FROM (
             SELECT card_number, counter, lag(counter) OVER (PARTITION BY card_number ORDER BY counter) AS prev
             FROM card_counters) c
           WHERE prev IS NOT NULL AND counter - prev > 1 ORDER BY card_number, counter LIMIT $1`,
          [request.query.limit],
        );
        return {
          gaps: rows.map((r) => ({
            cardNumber: r.card_number,
            missingFrom: r.after_counter + 1,
            missingTo: r.next_counter - 1,
          })),
        };
      },
    );

    admin.get<{ Params: { cardNumber: string } }>(
      '/v1/admin/cards/:cardNumber',
      {
        schema: {
          summary: 'A card as the service sees it: counters held, shadow balance, gaps, status',
          security: [{ operator: [] }],
          params: { type: 'object', required: ['cardNumber'], properties: { cardNumber: cardNumberSchema } },
        },
      },
      async (request) => {
        const n = request.params.cardNumber;
        const counters = await db.query<{
          counter: number;
          tx_type: number | null;
          amount_cents: number | null;
          balance_after: number | null;
          terminal_id: string;
          seq: number;
        }>(
          'SELECT counter, tx_type, amount_cents, balance_after, terminal_id, seq FROM card_counters WHERE card_number = $1 ORDER BY counter',
          [n],
        );
        const card = await db.query<{ status: string }>('SELECT status FROM cards WHERE card_number = $1', [
          n,
        ]);
        const deny = await db.query<{ action: string }>(
          'SELECT action FROM deny_list WHERE card_number = $1 ORDER BY version DESC LIMIT 1',
          [n],
        );
        const gaps: Array<{ from: number; to: number }> = [];
        for (let i = 1; i < counters.length; i++) {
          const a = counters[i - 1]!.counter;
          const b = counters[i]!.counter;
          if (b - a > 1) gaps.push({ from: a + 1, to: b - 1 });
        }
        const latest = counters[counters.length - 1];
        return {
          cardNumber: n,
          status: card[0]?.status ?? 'active',
          denied: deny[0]?.action === 'add',
          lastCounter: latest?.counter ?? null,
          shadowBalanceCents: latest?.balance_after ?? null,
          gaps,
          counters: counters.map((c) => ({
            counter: c.counter,
            type: c.tx_type === 1 ? 'debit' : c.tx_type === 2 ? 'undebit' : c.tx_type === 3 ? 'reload' : null,
            amountCents: c.amount_cents,
            balanceAfter: c.balance_after,
            terminalId: c.terminal_id,
            seq: c.seq,
          })),
        };
      },
    );
  });
}
