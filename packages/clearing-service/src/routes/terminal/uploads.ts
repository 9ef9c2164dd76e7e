/**
 * Terminal routes of the log: batch upload and where a terminal resumes. Every one is
 * terminal-signed: `...terminalGuard({ … })` spreads the hooks of http/terminal-request.ts, which
 * authenticate from the headers before any body byte is read.
 */
import { BatchReceiptAnswer, TerminalIdParams, TerminalState } from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../errors';
import { UPLOAD_BODY_LIMIT } from '../../http/limits';
import { errorResponses } from '../../http/schemas';
import { ingestBatch } from '../../ingest';
import { hex, type RouteDeps } from '../deps';
import { receiptJson } from '../receipts';

export async function uploadRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
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
        params: TerminalIdParams,
        response: {
          200: BatchReceiptAnswer,
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

  api.get<{ Params: { terminalId: string } }>(
    '/v1/terminals/:terminalId/state',
    {
      ...terminalGuard({ matchParam: true, allowOperator: true }),
      schema: {
        summary: 'Where a terminal resumes its upload: the last seq held and its hash',
        params: TerminalIdParams,
        response: {
          200: TerminalState,
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
}
