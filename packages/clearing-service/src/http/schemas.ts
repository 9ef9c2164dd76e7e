/**
 * Shared schema pieces for every route's params, query and body, from the wire contract
 * (@huduma/clearing-protocol, whose limits know what the database can hold), and the same
 * checks for values decoded outside Ajv (records inside a CBOR batch).
 */

import {
  BillRef,
  CardNumber,
  ErrorBody,
  Hex,
  Id,
  Index,
  NO_CONTROL_PATTERN,
  PaymentCents,
  PublicRef,
  ServiceCode,
  ShiftId,
  TerminalId,
  Text,
  U32,
} from '@huduma/clearing-protocol';

export {
  errorResponses,
  MAX_ID,
  MAX_PAYMENT_CENTS,
  MAX_RECORD_TIME_MS,
  MAX_U32,
  NO_CONTROL_PATTERN,
  SHIFT_ID_PATTERN,
} from '@huduma/clearing-protocol';

// The wire contract lives in @huduma/clearing-protocol; these names keep the routes' schemas short.
export const idSchema = Id();
export const indexSchema = Index();
export const u32Schema = U32();
export const paymentCentsSchema = PaymentCents();
export const serviceCodeSchema = ServiceCode();
export const textSchema = (maxLength: number, minLength = 0) => Text(maxLength, minLength);
export const cardNumberSchema = CardNumber();
export const terminalIdSchema = TerminalId();
export const billRefSchema = BillRef();
export const shiftIdSchema = ShiftId();
export const hexSchema = (bytes: number) => Hex(bytes);
export const publicRefSchema = PublicRef();
/** The one error shape of every answer that is not a success. */
export const errorSchema = ErrorBody;

/** Printable, NUL-free text a value has, or why not (for values checked outside Ajv: decoded records). */
export function textProblem(
  value: string,
  maxLength: number,
  pattern = NO_CONTROL_PATTERN,
): string | undefined {
  if (value.length > maxLength) return `longer than ${maxLength} characters`;
  if (!new RegExp(pattern, 'u').test(value))
    return 'contains control characters or characters outside its alphabet';
  // In unicode mode a surrogate pair is one code point: only unpaired halves match.
  if (/[\ud800-\udfff]/u.test(value)) return 'contains an unpaired surrogate';
  return undefined;
}
