/** Bodies of the merchant portal's routes (`/v1/merchant/*`, with a merchant's session). */
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from './limits';

/** A Nairobi business day, `YYYY-MM-DD` (the service also checks it is a real calendar date). */
export const BusinessDate = (options: object = {}) =>
  Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', ...options });

/** A range of Nairobi business days and the answer's format (JSON in integer cents, or CSV in KES). */
export const BusinessDayRangeQuery = Type.Object(
  {
    from: Type.Optional(
      BusinessDate({ description: 'first Nairobi business day (default: 6 days before `to`)' }),
    ),
    to: Type.Optional(
      BusinessDate({ description: "last Nairobi business day, inclusive (default: Nairobi's today)" }),
    ),
    format: Type.Optional(StringEnum(['json', 'csv'] as const, { default: 'json' })),
  },
  { additionalProperties: false },
);
export type BusinessDayRangeQuery = Static<typeof BusinessDayRangeQuery>;
