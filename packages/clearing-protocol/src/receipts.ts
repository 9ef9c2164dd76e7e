/** Bodies of the batch-receipt routes (`/v1/receipts/:receiptId` and its inclusion proofs). */
import { type Static, Type } from '@sinclair/typebox';
import { Id, Index } from './limits';

export const ReceiptIdParams = Type.Object({ receiptId: Id() });
export type ReceiptIdParams = Static<typeof ReceiptIdParams>;

/** `GET /v1/receipts/:receiptId/proof` query: the record, by its seq. */
export const InclusionProofQuery = Type.Object({ seq: Index() }, { additionalProperties: false });
export type InclusionProofQuery = Static<typeof InclusionProofQuery>;

/** Inclusion proof of one record in the receipt's tree head (RFC 9162); leafHash and proof are hex. */
export const ReceiptInclusionProof = Type.Object({
  receiptId: Type.Integer(),
  terminalId: Type.String(),
  seq: Type.Integer(),
  leafIndex: Type.Integer(),
  treeSize: Type.Integer(),
  leafHash: Type.String(),
  proof: Type.Array(Type.String()),
});
export type ReceiptInclusionProof = Static<typeof ReceiptInclusionProof>;
