/** Bodies of the operator console's routes (`/v1/console/*`, with a person's session; actions are audited). */
import { type Static, Type } from '@sinclair/typebox';
import { CardNumber, Id, Index, StringEnum, Text } from './limits';
import { BusinessDate } from './merchant';

/** Where an alert's triage stands. */
export const TRIAGE_STATUSES = ['open', 'investigating', 'resolved', 'false-positive'] as const;
export type TriageStatus = (typeof TRIAGE_STATUSES)[number];

/** `GET /v1/console/alerts` query: alerts by triage status (`all`: every one). */
export const ConsoleAlertsQuery = Type.Object(
  {
    status: Type.Optional(StringEnum([...TRIAGE_STATUSES, 'all'] as const, { default: 'open' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
  },
  { additionalProperties: false },
);
export type ConsoleAlertsQuery = Static<typeof ConsoleAlertsQuery>;

export const AlertIdParams = Type.Object({ alertId: Id() });
export type AlertIdParams = Static<typeof AlertIdParams>;

/** `POST /v1/console/alerts/:alertId/triage` body. */
export const AlertTriageRequest = Type.Object(
  { status: StringEnum(TRIAGE_STATUSES), note: Text(1000, 1) },
  { additionalProperties: false },
);
export type AlertTriageRequest = Static<typeof AlertTriageRequest>;

/** `POST /v1/console/deny-list` body: the person acting is the session's, not a field. */
export const ConsoleDenyListChangeRequest = Type.Object(
  { cardNumber: CardNumber(), action: StringEnum(['add', 'remove'] as const), reason: Text(500, 1) },
  { additionalProperties: false },
);
export type ConsoleDenyListChangeRequest = Static<typeof ConsoleDenyListChangeRequest>;

/** `GET /v1/console/settlement` query: both ends of the range required. */
export const ConsoleSettlementQuery = Type.Object(
  {
    from: BusinessDate(),
    to: BusinessDate(),
    format: Type.Optional(StringEnum(['json', 'csv'] as const, { default: 'json' })),
  },
  { additionalProperties: false },
);
export type ConsoleSettlementQuery = Static<typeof ConsoleSettlementQuery>;

/** `POST /v1/console/merchants` body: onboard a merchant. */
export const MerchantOnboardRequest = Type.Object(
  { merchantId: Type.String({ pattern: '^[A-Z0-9-]{1,16}$' }), name: Text(100, 1), reason: Text(500, 1) },
  { additionalProperties: false },
);
export type MerchantOnboardRequest = Static<typeof MerchantOnboardRequest>;

/** `GET /v1/console/audit` query: paged by entry id. */
export const AuditQuery = Type.Object(
  {
    after: Type.Optional(Index({ default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;
