/** Bodies of the terminal's routes: state, batch upload receipt, fork reports, load authorizations, shift close. */
import { type Static, Type } from '@sinclair/typebox';
import {
  CardNumber,
  Hex,
  Id,
  Index,
  MAX_CARD_RING_RECORDS,
  MAX_ID,
  MAX_SHIFT_SALE_SEQS,
  MAX_U32,
  Nullable,
  REF16_PATTERN,
  ShiftId,
  U32,
} from './limits';

/** `GET /v1/terminals/:id/state`: where the service's copy of this terminal's log ends. */
export const TerminalState = Type.Object({
  terminalId: Type.String(),
  /** Last seq held, null when the service has nothing of this terminal yet. */
  lastSeq: Nullable(Type.Integer()),
  headHash: Nullable(Type.String()),
  status: Type.Union([Type.Literal('unknown'), Type.Literal('active'), Type.Literal('revoked')]),
});
export type TerminalState = Static<typeof TerminalState>;

/** The JSON receipt of an upload (`POST /v1/terminals/:id/batches`, `GET /v1/receipts/:id`). */
export const BatchReceiptAnswer = Type.Object({
  status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate')]),
  receiptId: Nullable(Type.Integer()),
  terminalId: Type.String(),
  heldUpToSeq: Type.Integer(),
  headHash: Type.Optional(Type.String()),
  newRecords: Type.Integer(),
  duplicateRecords: Type.Integer(),
  alerts: Type.Optional(Type.Integer()),
  totals: Type.Optional(
    Type.Array(
      Type.Object({
        type: Type.Optional(Type.String()),
        count: Type.Optional(Type.Integer()),
        amountCents: Type.Optional(Type.Integer()),
      }),
    ),
  ),
  treeHead: Type.Optional(
    Type.Object({
      treeSize: Type.Optional(Type.Integer()),
      rootHash: Type.Optional(Type.String()),
      timestampMs: Type.Optional(Type.Integer()),
    }),
  ),
  leaves: Type.Optional(
    Type.Array(Type.Object({ seq: Type.Optional(Type.Integer()), leafIndex: Type.Optional(Type.Integer()) })),
  ),
  receipt: Type.String({ description: 'receipt bytes (BATCH-RECEIPT/v1), hex: what the signature covers' }),
  signature: Type.String({ description: 'service key, raw r||s over SHA-256(receipt), hex' }),
  quarantined: Type.Optional(
    Type.Array(
      Type.Object({
        seq: Type.Optional(Type.Integer()),
        field: Type.Optional(Type.String()),
        message: Type.Optional(Type.String()),
      }),
      {
        description:
          'records stored as bytes only, outside settlement, until an operator rules on them: a value the database cannot hold (not part of the signed receipt bytes)',
      },
    ),
  ),
  keyId: Type.String(),
});
export type BatchReceiptAnswer = Static<typeof BatchReceiptAnswer>;

const Hash32Lower = () => Type.String({ pattern: '^[0-9a-f]{64}$' });

/** `POST /v1/terminals/:id/fork-reports`: the seq where the logs differ and both record hashes. */
export const ForkReportRequest = Type.Object(
  { seq: Index(), localHash: Hash32Lower(), serviceHash: Hash32Lower() },
  { additionalProperties: false },
);
export type ForkReportRequest = Static<typeof ForkReportRequest>;

export const ForkReportAnswer = Type.Object({
  alertId: Type.Integer(),
  status: Type.Union([Type.Literal('raised'), Type.Literal('known')]),
});
export type ForkReportAnswer = Static<typeof ForkReportAnswer>;

/** `POST /v1/load-authorizations` (SPEC.md §6.10). */
export const LoadAuthorizationRequest = Type.Object(
  {
    cardNumber: CardNumber(),
    counter: Type.Integer({ minimum: 0, maximum: MAX_U32 - 1 }),
    challenge: Hex(16),
    terminalSeq: U32(),
    terminalNonce: Hex(8),
    source: Type.Union([Type.Literal('cash'), Type.Literal('topup')]),
    amountCents: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_U32 })),
    topupId: Type.Optional(Id()),
    loadRef: Type.Optional(Type.String({ pattern: REF16_PATTERN })),
    currency: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffff })),
    cardRecords: Type.Optional(Type.Array(Hex(130), { maxItems: MAX_CARD_RING_RECORDS })),
    cardCertificate: Type.Optional(Hex(230)),
  },
  { additionalProperties: false },
);
export type LoadAuthorizationRequest = Static<typeof LoadAuthorizationRequest>;

export const LoadAuthorizationAnswer = Type.Object({
  authorizationId: Type.Integer(),
  authorization: Type.String({ description: '146 bytes, hex: the RELOAD command data' }),
  amountCents: Type.Integer(),
  loadRef: Type.String(),
  time: Type.Integer(),
  topupId: Nullable(Type.Integer()),
  keyId: Type.String(),
});
export type LoadAuthorizationAnswer = Static<typeof LoadAuthorizationAnswer>;

/** `POST /v1/terminals/:id/shift-close`: the shift's sales as the terminal's Z report counts them. */
export const ShiftCloseRequest = Type.Object(
  {
    shiftId: ShiftId(),
    count: Type.Integer({ minimum: 0, maximum: MAX_ID }),
    amountCents: Type.Integer({ minimum: 0, maximum: MAX_ID }),
    saleSeqs: Type.Optional(Type.Array(Index(), { maxItems: MAX_SHIFT_SALE_SEQS })),
  },
  { additionalProperties: false },
);
export type ShiftCloseRequest = Static<typeof ShiftCloseRequest>;

/** `GET /v1/terminals/:terminalId/deny-list` query: changes after this version. */
export const DenyListSinceQuery = Type.Object(
  { since: Type.Optional(Index({ default: 0 })) },
  { additionalProperties: false },
);
export type DenyListSinceQuery = Static<typeof DenyListSinceQuery>;
