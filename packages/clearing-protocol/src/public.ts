/** Bodies of the public routes a terminal (or anyone) reads: deny list, catalog, service key, Merkle tree, pending top-ups. */
import { type Static, Type } from '@sinclair/typebox';
import { CardNumber, Id, Index, StringEnum } from './limits';

const DenyAction = Type.Union([Type.Literal('add'), Type.Literal('remove')]);

/**
 * `GET /v1/terminals/:terminalId/deny-list?since=` (terminal-signed, so the service records which
 * version each terminal holds): changes since a version, signed by the service key.
 */
export const SignedDenyList = Type.Object({
  sinceVersion: Type.Integer(),
  version: Type.Integer(),
  issuedAtMs: Type.Integer(),
  entries: Type.Array(Type.Object({ version: Type.Integer(), cardNumber: CardNumber(), action: DenyAction })),
  keyId: Type.String(),
  signature: Type.String({ description: 'raw r||s, 64 bytes, hex' }),
});
export type SignedDenyList = Static<typeof SignedDenyList>;

/** `GET /v1/catalog`: government services payable with the card, fees in integer cents. */
export const Catalog = Type.Object({
  currency: Type.Literal('KES'),
  services: Type.Array(
    Type.Object({
      serviceCode: Type.Integer(),
      name: Type.String(),
      agency: Type.String(),
      feeCents: Type.Integer(),
    }),
  ),
});
export type Catalog = Static<typeof Catalog>;

export const ServiceKey = Type.Object({
  keyId: Type.String(),
  publicKey: Type.String({ description: 'uncompressed SEC1 point, hex' }),
  algorithm: Type.Literal('ECDSA-P256-SHA256-RAW'),
});
export type ServiceKey = Static<typeof ServiceKey>;

export const SignedTreeHead = Type.Object({
  treeSize: Type.Integer(),
  rootHash: Type.String({ description: 'hex' }),
  timestampMs: Type.Integer(),
  keyId: Type.String(),
  signature: Type.String({ description: 'raw r||s over the TREE-HEAD/v1 encoding, hex' }),
});
export type SignedTreeHead = Static<typeof SignedTreeHead>;

export const InclusionProof = Type.Object({
  leafIndex: Type.Integer(),
  treeSize: Type.Integer(),
  leafHash: Type.String(),
  proof: Type.Array(Type.String()),
});
export type InclusionProof = Static<typeof InclusionProof>;

export const TopupStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('authorized'),
  Type.Literal('loaded'),
  Type.Literal('expired'),
]);

export const Topup = Type.Object({
  topupId: Type.Integer(),
  provider: Type.String(),
  providerTxnId: Type.String(),
  cardNumber: CardNumber(),
  amountCents: Type.Integer(),
  status: TopupStatus,
  receivedAt: Type.String({ format: 'date-time' }),
});
export type Topup = Static<typeof Topup>;

/** `GET /v1/cards/:cardNumber/pending-topups`: paid, not yet loaded onto the card. */
export const PendingTopups = Type.Object({
  cardNumber: CardNumber(),
  totalCents: Type.Integer(),
  topups: Type.Array(Topup),
});
export type PendingTopups = Static<typeof PendingTopups>;

/** `GET /health` (200 ok, 503 degraded): database kind, storage writability, tree size, service key id. */
export const Health = Type.Object({
  status: StringEnum(['ok', 'degraded'] as const),
  database: StringEnum(['pglite', 'postgres'] as const),
  storage: Type.Object({
    writable: Type.Boolean(),
    detail: Type.Optional(Type.String()),
    checkedAt: Type.String({ format: 'date-time' }),
  }),
  treeSize: Type.Unsafe<number | null>({ type: ['integer', 'null'] }),
  keyId: Type.String(),
});
export type Health = Static<typeof Health>;

/** `GET /v1/merkle/inclusion-proof` query: a leaf, in the tree of a given size (default: current). */
export const MerkleInclusionProofQuery = Type.Object(
  { leafIndex: Index(), treeSize: Type.Optional(Id()) },
  { additionalProperties: false },
);
export type MerkleInclusionProofQuery = Static<typeof MerkleInclusionProofQuery>;

/** `GET /assets/:name` params: a page asset's file name. */
export const AssetParams = Type.Object({ name: Type.String({ maxLength: 64 }) });
export type AssetParams = Static<typeof AssetParams>;

/** `GET /v1/receipt-check/keys`: the public keys a receipt check verifies with (uncompressed P-256, hex). */
export const ReceiptCheckKeys = Type.Object({
  servicePublicKey: Type.String(),
  issuerCaKeys: Type.Array(Type.String()),
});
export type ReceiptCheckKeys = Static<typeof ReceiptCheckKeys>;
