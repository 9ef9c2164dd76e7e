/** Bodies of the operator's read routes (`/v1/admin/*` with a bearer token, `/v1/console/*` with a session). */
import { type Static, Type } from '@sinclair/typebox';
import { TerminalId } from './limits';

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
