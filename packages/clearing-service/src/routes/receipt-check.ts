/**
 * The public receipt check's API. Anyone holding a receipt gives the terminal, the record's seq
 * and the proof reference printed on it (8 hex digits) or carried by its QR code (the full
 * SHA-256 of the card proof, 64 hex digits). The answer carries only what the browser needs to
 * verify, with public keys, that the service accepted the sale: the record bytes, its inclusion
 * proof and the signed checkpoint it is proven against, and the card proof and certificate
 * (byte strings inside the record). A wrong proof reference answers exactly like a missing record,
 * so the route is no oracle for walking another terminal's sales.
 */

import { ReceiptCheck, ReceiptCheckQuery } from '@huduma/clearing-protocol';
import { decodeRecord } from '@huduma/txlog';
import type { FastifyInstance } from 'fastify';
import { checkpointTreeHead } from '../checkpoints';
import { HttpError } from '../errors';
import { errorResponses } from '../http/schemas';
import { LEAF_INDEX_SQL } from '../ingest';
import { inclusionProof } from '../merkle';
import { sha256 } from '../sha256';
import { hex, type RouteDeps } from './deps';

export async function receiptCheckRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db, signer, now } = deps;

  api.get<{ Querystring: { terminalId: string; seq: number; proof: string } }>(
    '/v1/receipt-check',
    {
      schema: {
        summary:
          'What a browser needs to verify a receipt with public keys (record, inclusion proof, signed checkpoint)',
        querystring: ReceiptCheckQuery,
        response: {
          200: ReceiptCheck,
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const { terminalId, seq, proof } = request.query;
      const notFound = new HttpError(
        404,
        'ERR_NOT_FOUND',
        'no accepted sale matches this receipt',
        'query.proof',
      );
      // The receipt's transaction number is the card-signed terminal seq (a cancel has its own).
      const rows = await db.query<{ record: Uint8Array; leaf_index: number | null }>(
        `SELECT r.record, ${LEAF_INDEX_SQL} AS leaf_index FROM accepted_records r LEFT JOIN batches b ON b.batch_id = r.batch_id
         WHERE r.terminal_id = $1 AND r.terminal_seq = $2 AND r.record_type IN ('debit', 'cancel', 'reload')
         ORDER BY r.seq LIMIT 4`,
        [terminalId, seq],
      );
      let found:
        | {
            row: (typeof rows)[number];
            decoded: Extract<ReturnType<typeof decodeRecord>, { cardProof: Uint8Array }>;
          }
        | undefined;
      for (const row of rows) {
        const decoded = decodeRecord(row.record);
        if (row.leaf_index === null || !('cardProof' in decoded)) continue;
        if (hex(sha256(decoded.cardProof)).startsWith(proof.toLowerCase())) found = { row, decoded };
      }
      if (!found) throw notFound;
      const { row, decoded } = found;
      const leafIndex = row.leaf_index!;
      const head = await checkpointTreeHead(db, signer, now);
      const p = await inclusionProof(db, leafIndex, head.treeSize);
      return {
        terminalId,
        seq,
        record: hex(row.record),
        leafIndex,
        inclusionProof: p.proof.map(hex),
        checkpoint: {
          treeSize: head.treeSize,
          rootHash: hex(head.rootHash),
          timestampMs: head.timestampMs,
          keyId: signer.keyId,
          signature: hex(head.signature),
        },
        cardProof: hex(decoded.cardProof),
        cardCertificate: hex(decoded.cardCertificate),
      };
    },
  );
}
