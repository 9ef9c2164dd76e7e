import { type Static, Type } from '@sinclair/typebox';

/** The one shape of every answer that is not a success. `error` is the stable machine code. */
export const ErrorBody = Type.Object({
  error: Type.String({ pattern: '^ERR_[A-Z0-9_]+$' }),
  message: Type.String(),
  field: Type.Optional(Type.String({ description: 'the offending input: body.x, query.y, header.z' })),
  seq: Type.Optional(Type.Integer({ description: 'upload refusals: the first record refused' })),
});
export type ErrorBody = Static<typeof ErrorBody>;

/** Error answers a route may give, one schema for each status. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}
