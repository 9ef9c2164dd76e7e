/** Bodies of the mobile-money top-up notification (`POST /v1/topups/mpesa`, Safaricom Daraja C2B confirmation). */
import { type Static, Type } from '@sinclair/typebox';
import { ErrorBody } from './errors';
import { MAX_PAYMENT_CENTS, NO_CONTROL_PATTERN, Text } from './limits';
import { Topup } from './public';

/**
 * The Daraja C2B confirmation payload, the fields the service reads. Unknown fields are ignored
 * (no `additionalProperties: false`): Safaricom adds fields without notice. TransAmount arrives as
 * a KES string or number.
 */
export const MpesaConfirmation = Type.Object({
  TransID: Text(64, 1),
  TransAmount: Type.Union([
    Type.String({ maxLength: 20, pattern: NO_CONTROL_PATTERN }),
    Type.Number({ minimum: 0, maximum: MAX_PAYMENT_CENTS / 100 }),
  ]),
  BillRefNumber: Text(32, 1),
  MSISDN: Type.Optional(Text(128)),
});
export type MpesaConfirmation = Static<typeof MpesaConfirmation>;

/** The answer Daraja expects (ResultCode 0: accepted), with the pending top-up it created or found. */
export const MpesaConfirmationAnswer = Type.Object({
  ResultCode: Type.Integer(),
  ResultDesc: Type.String(),
  duplicate: Type.Boolean(),
  topup: Topup,
});
export type MpesaConfirmationAnswer = Static<typeof MpesaConfirmationAnswer>;

/** The error shape plus Daraja's fields, so the gateway sees the refusal. */
export const DarajaErrorBody = Type.Object({
  ...ErrorBody.properties,
  ResultCode: Type.Optional(Type.Unsafe<string | number>({ type: ['string', 'integer'] })),
  ResultDesc: Type.Optional(Type.String()),
});
export type DarajaErrorBody = Static<typeof DarajaErrorBody>;
