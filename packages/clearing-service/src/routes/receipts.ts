/**
 * Batch receipts and the inclusion proofs of their records. Receipt ids are sequential, so a
 * receipt is shown only to the terminal that uploaded the batch (terminal-signed request) or to
 * the operator: anyone else could otherwise walk every terminal's takings.
 */
import {
  BatchReceiptAnswer,
  InclusionProofQuery,
  ReceiptIdParams,
  ReceiptInclusionProof,
} from '@huduma/clearing-protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors';
import { errorResponses } from '../http/schemas';
import type { IngestResult } from '../ingest';
import { inclusionProof } from '../merkle';
import { decodeBatchReceipt } from '../signed-messages';
import { hex, type RouteDeps } from './deps';

/** The JSON receipt of an upload, as the protocol defines it. */
export function receiptJson(
  result: Pick<
    IngestResult,
    'status' | 'receiptId' | 'receipt' | 'receiptBytes' | 'signature' | 'alerts' | 'quarantined'
  >,
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
    ...(result.quarantined?.length ? { quarantined: result.quarantined } : {}),
  };
}

const notFound = (receiptId: number) =>
  new HttpError(404, 'ERR_NOT_FOUND', `no receipt ${receiptId}`, 'params.receiptId');

export async function receiptRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db, signer } = deps;

  /**
   * The operator, or the terminal whose batch it is (authenticated from the headers by the
   * terminal-request hooks); a receipt of another terminal is "not found".
   */
  const ownerOrOperator = {
    ...deps.terminalRequest({ allowOperator: true }),
    preHandler: async (request: FastifyRequest): Promise<void> => {
      const terminal = request.terminal;
      if (!terminal) return; // the operator
      const { receiptId } = request.params as { receiptId: number };
      const rows = await db.query<{ terminal_id: string }>(
        'SELECT terminal_id FROM batches WHERE batch_id = $1',
        [receiptId],
      );
      if (rows[0]?.terminal_id !== terminal.terminalId) throw notFound(receiptId);
    },
  };
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
      ...ownerOrOperator,
      schema: {
        summary: 'A stored batch receipt (signed by the service key)',
        params: ReceiptIdParams,
        response: { 200: BatchReceiptAnswer, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await loadReceipt(request.params.receiptId);
      if (!row) throw notFound(request.params.receiptId);
      const receipt = decodeBatchReceipt(row.receipt);
      // Quarantined records of this batch, as their alerts named them.
      const quarantined = await db.query<{ seq: number; field: string; message: string }>(
        `SELECT (a.details->>'seq')::bigint AS seq, a.details->>'field' AS field, a.details->>'reason' AS message
         FROM accepted_records r JOIN alerts a ON a.kind = 'record-quarantined' AND a.terminal_id = r.terminal_id
           AND (a.details->>'seq')::bigint = r.seq
         WHERE r.batch_id = $1 AND r.record_type = 'quarantined' ORDER BY r.seq`,
        [row.batch_id],
      );
      return receiptJson(
        {
          status: 'accepted',
          receiptId: row.batch_id,
          receipt,
          receiptBytes: row.receipt,
          signature: row.signature,
          alerts: 0,
          quarantined,
        },
        signer.keyId,
      );
    },
  );

  api.get<{ Params: { receiptId: number }; Querystring: { seq: number } }>(
    '/v1/receipts/:receiptId/inclusion-proof',
    {
      ...ownerOrOperator,
      schema: {
        summary: "Inclusion proof of one record of a receipt in the receipt's tree head (RFC 9162)",
        description:
          'leafHash = SHA-256(0x00 ‖ record bytes); verify the proof against the rootHash and treeSize the signed receipt carries.',
        params: ReceiptIdParams,
        querystring: InclusionProofQuery,
        response: {
          200: ReceiptInclusionProof,
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const row = await loadReceipt(request.params.receiptId);
      if (!row) throw notFound(request.params.receiptId);
      const receipt = decodeBatchReceipt(row.receipt);
      const leaf = receipt.leaves.find((l) => l.seq === request.query.seq);
      if (!leaf) {
        throw new HttpError(
          404,
          'ERR_NOT_FOUND',
          `receipt ${row.batch_id} does not cover seq ${request.query.seq}`,
          'query.seq',
        );
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
}
