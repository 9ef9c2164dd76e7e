/** Bodies of the batch-receipt routes (`/v1/receipts/:receiptId` and its inclusion proofs). */
import { type Static, Type } from '@sinclair/typebox';
import { Id, Index, TerminalId } from './limits';

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

/** A receipt's proof reference: the first 8 hex of the card proof's SHA-256, or all 64. */
export const PROOF_REF_PATTERN = '^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{64})$';

/** `GET /v1/receipt-check` query: what a printed receipt carries. */
export const ReceiptCheckQuery = Type.Object(
  {
    terminalId: TerminalId(),
    seq: Index({ description: "the receipt's transaction number (the card-signed terminal seq)" }),
    proof: Type.String({
      pattern: PROOF_REF_PATTERN,
      description: 'proof reference (8 hex) or SHA-256 of the card proof (64 hex)',
    }),
  },
  { additionalProperties: false },
);
export type ReceiptCheckQuery = Static<typeof ReceiptCheckQuery>;

/** What a browser needs to verify a receipt with public keys: record, inclusion proof, signed checkpoint (hex bytes). */
export const ReceiptCheck = Type.Object({
  terminalId: Type.String(),
  seq: Type.Integer(),
  record: Type.String({ description: 'the record bytes (Merkle leaf data), hex' }),
  leafIndex: Type.Integer(),
  inclusionProof: Type.Array(Type.String()),
  checkpoint: Type.Object({
    treeSize: Type.Integer(),
    rootHash: Type.String(),
    timestampMs: Type.Integer(),
    keyId: Type.String(),
    signature: Type.String(),
  }),
  cardProof: Type.String(),
  cardCertificate: Type.String(),
});
export type ReceiptCheck = Static<typeof ReceiptCheck>;
