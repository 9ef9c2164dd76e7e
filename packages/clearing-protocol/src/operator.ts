/** Bodies of the operator's read routes (`/v1/admin/*` with a bearer token, `/v1/console/*` with a session). */
import { type Static, Type } from '@sinclair/typebox';
import {
  BillRef,
  CardNumber,
  Index,
  PaymentCents,
  ServiceCode,
  StringEnum,
  TerminalId,
  Text,
} from './limits';

/** One terminal's deny-list state: the version it last fetched (null: never) and how far behind it is. */
export const TerminalDenyListState = Type.Object({
  terminalId: TerminalId(),
  versionHeld: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  fetchedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  versionsBehind: Type.Integer({ minimum: 0 }),
});
export type TerminalDenyListState = Static<typeof TerminalDenyListState>;

/**
 * `GET /v1/admin/deny-list/terminals` (and `/v1/console/deny-list/terminals`): how many active
 * terminals hold the current deny-list version, and the ones behind, most behind first.
 */
export const DenyListTerminals = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  terminalCount: Type.Integer({ minimum: 0 }),
  holdingCurrent: Type.Integer({ minimum: 0 }),
  behind: Type.Array(TerminalDenyListState),
});
export type DenyListTerminals = Static<typeof DenyListTerminals>;

/** JSON Schema `type: [string, null]`: kept in that form (not anyOf) so the OpenAPI document reads the same. */
const StringOrNull = () => Type.Unsafe<string | null>({ type: ['string', 'null'] });
/** Any JSON object (free-form details). */
const FreeObject = () => Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });

/** `GET /v1/admin/alerts` query: paged by alert id. */
export const AlertsQuery = Type.Object(
  {
    after: Type.Optional(Index({ default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
export type AlertsQuery = Static<typeof AlertsQuery>;

export const Alert = Type.Object({
  alertId: Type.Integer(),
  kind: Type.String(),
  severity: StringEnum(['info', 'warning', 'critical'] as const),
  terminalId: Type.Optional(StringOrNull()),
  cardNumber: Type.Optional(StringOrNull()),
  details: FreeObject(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Alert = Static<typeof Alert>;

/** `GET /v1/admin/alerts` answer. */
export const AlertList = Type.Object({ alerts: Type.Array(Alert) });
export type AlertList = Static<typeof AlertList>;

/** `POST /v1/admin/cards`: the issuer's import of issued card numbers. */
export const CardImportRequest = Type.Object(
  {
    cardNumbers: Type.Array(CardNumber(), { minItems: 1, maxItems: 10000 }),
    source: Type.Optional(Text(100)),
  },
  { additionalProperties: false },
);
export type CardImportRequest = Static<typeof CardImportRequest>;

export const CardImportResult = Type.Object({ imported: Type.Integer(), alreadyKnown: Type.Integer() });
export type CardImportResult = Static<typeof CardImportResult>;

/** `GET /v1/admin/counter-gaps` query. */
export const CounterGapsQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 500 })) },
  { additionalProperties: false },
);
export type CounterGapsQuery = Static<typeof CounterGapsQuery>;

const DenyListAction = () => StringEnum(['add', 'remove'] as const);

/** `POST /v1/admin/deny-list`: add a card to, or remove it from, the deny list. */
export const DenyListChangeRequest = Type.Object(
  {
    cardNumber: CardNumber(),
    action: DenyListAction(),
    reason: Text(500, 1),
    operator: Type.Optional(Text(100, 0, { description: 'who asked, for the audit trail' })),
  },
  { additionalProperties: false },
);
export type DenyListChangeRequest = Static<typeof DenyListChangeRequest>;

export const DenyListChange = Type.Object({
  version: Type.Integer(),
  cardNumber: CardNumber(),
  action: DenyListAction(),
});
export type DenyListChange = Static<typeof DenyListChange>;

/** `POST /v1/admin/terminals/:terminalId/revoke` body. */
export const TerminalRevokeRequest = Type.Object(
  { reason: Text(500, 1), operator: Type.Optional(Text(100)) },
  { additionalProperties: false },
);
export type TerminalRevokeRequest = Static<typeof TerminalRevokeRequest>;

/** `POST /v1/admin/bills`: register an eCitizen bill. */
export const BillRegistration = Type.Object(
  { billRef: BillRef(), serviceCode: ServiceCode(), amountCents: PaymentCents() },
  { additionalProperties: false },
);
export type BillRegistration = Static<typeof BillRegistration>;

/** `GET /v1/admin/settlement` query: one Africa/Nairobi business day, JSON or CSV. */
export const SettlementQuery = Type.Object(
  {
    date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }),
    format: Type.Optional(StringEnum(['json', 'csv'] as const, { default: 'json' })),
  },
  { additionalProperties: false },
);
export type SettlementQuery = Static<typeof SettlementQuery>;

const settlementLine = {
  debitCount: Type.Optional(Type.Integer()),
  grossDebitsCents: Type.Optional(Type.Integer()),
  cancelCount: Type.Optional(Type.Integer()),
  cancelsCents: Type.Optional(Type.Integer()),
  netCents: Type.Optional(Type.Integer()),
};

/** `GET /v1/admin/settlement` JSON answer (integer cents). */
export const Settlement = Type.Object({
  date: Type.String(),
  currency: StringEnum(['KES'] as const),
  merchants: Type.Array(
    Type.Object({
      merchantId: Type.Optional(Type.String()),
      merchantName: Type.Optional(Type.String()),
      ...settlementLine,
    }),
  ),
  totals: Type.Object(settlementLine),
});
export type Settlement = Static<typeof Settlement>;
