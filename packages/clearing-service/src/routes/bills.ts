/**
 * eCitizen bills. Bill references are guessable, so the public answer says only whether a bill
 * is paid, when, and how to check it: never the card number, the card certificate or the
 * card-signed proof. Those go to the operator and to the terminal that took the payment.
 */
import { BillRefParams } from '@huduma/clearing-protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors';
import { errorResponses } from '../http/schemas';
import { LEAF_INDEX_SQL } from '../ingest';
import { hex, type RouteDeps } from './deps';

type BillRow = {
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
};

export async function billQueryRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db } = deps;

  /**
   * Who may see the card behind a payment: the operator, or the terminal that recorded it (a
   * signed request is authenticated from its headers by the terminal-request hooks).
   */
  function mayseeCard(request: FastifyRequest, paidByTerminal: string | null): boolean {
    const kind = request.principal?.kind;
    if (kind === 'operator' || kind === 'auditor') return true;
    return paidByTerminal !== null && request.terminal?.terminalId === paidByTerminal;
  }

  api.get<{ Params: { billRef: string } }>(
    '/v1/bills/:billRef',
    {
      ...deps.terminalRequest({ allowOperator: true, optional: true }),
      schema: {
        summary: 'An eCitizen bill: status; for the operator or the paying terminal, the card-signed proof',
        description:
          'Without credentials: bill, status, paid time and the Merkle leaf of the payment record. With the operator token, or signed by the terminal that took the payment: also the card number, card certificate, card proof and record bytes.',
        params: BillRefParams,
        response: { ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const rows = await db.query<BillRow>(
        `SELECT b.bill_ref, b.service_code, b.amount_cents, b.status, b.paid_at, r.terminal_id, r.seq, r.record,
           ${LEAF_INDEX_SQL.replaceAll('b.', 'bt.')} AS merkle_leaf_index, r.card_number, r.card_counter, r.batch_id
         FROM bills b LEFT JOIN accepted_records r ON r.record_id = b.paid_record_id
           LEFT JOIN batches bt ON bt.batch_id = r.batch_id
         WHERE b.bill_ref = $1`,
        [request.params.billRef],
      );
      const b = rows[0];
      if (!b)
        throw new HttpError(404, 'ERR_NOT_FOUND', `no bill ${request.params.billRef}`, 'params.billRef');
      let payment = null;
      if (b.status === 'paid' && b.record) {
        const paidAt = b.paid_at ? new Date(b.paid_at).toISOString() : null;
        if (mayseeCard(request, b.terminal_id)) {
          const { decodeRecord } = await import('@huduma/txlog');
          const rec = decodeRecord(b.record) as { cardProof?: Uint8Array; cardCertificate?: Uint8Array };
          payment = {
            paidAt,
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
        } else {
          payment = { paidAt, merkleLeafIndex: b.merkle_leaf_index };
        }
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
}
