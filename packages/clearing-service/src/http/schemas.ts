/**
 * Shared JSON-schema pieces for every route's params, query and body. Each one knows what the
 * database can hold, so a value PostgreSQL would refuse (a bigint beyond 2^63, a NUL in TEXT, a
 * date past year 9999) is refused at the edge with 400 ERR_VALIDATION naming the field, before
 * any SQL runs. Ajv coerces query and path strings to numbers ("1e20" becomes 1e20, an integer
 * to Ajv), so the numeric bounds below are what stops them.
 */

/** Largest id or counter the service accepts: BIGINT holds more, a JS number not exactly. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;
/** Amounts on the card are u32 cents (SPEC.md): nothing larger can ever be loaded or spent. */
export const MAX_U32 = 0xffff_ffff;
/**
 * Business limit of one bill or one mobile-money top-up: KES 250,000, the M-Pesa limit per
 * transaction. A bigger payment is an error or an attack, never a real Huduma fee or top-up.
 */
export const MAX_PAYMENT_CENTS = 250_000_00;
/** Terminal record times (ms since the epoch) the service can store: before 10000-01-01 (DATE's upper bound in practice). */
export const MAX_RECORD_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999) - 3 * 3600 * 1000;

/** Printable text: no NUL (PostgreSQL TEXT cannot hold it) and no other C0 control or DEL. */
export const NO_CONTROL_PATTERN = '^[^\\x00-\\x1f\\x7f]*$';

export const idSchema = { type: 'integer', minimum: 1, maximum: MAX_ID } as const;
export const indexSchema = { type: 'integer', minimum: 0, maximum: MAX_ID } as const;
export const u32Schema = { type: 'integer', minimum: 0, maximum: MAX_U32 } as const;
export const paymentCentsSchema = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_PAYMENT_CENTS,
  description: `integer cents, 1..${MAX_PAYMENT_CENTS} (KES 250,000, one payment's business limit)`,
} as const;
export const serviceCodeSchema = { type: 'integer', minimum: 1, maximum: 65535 } as const;

export const textSchema = (maxLength: number, minLength = 0) =>
  ({ type: 'string', minLength, maxLength, pattern: NO_CONTROL_PATTERN }) as const;

export const cardNumberSchema = {
  type: 'string',
  pattern: '^[0-9]{16}$',
  description: '16-digit Huduma card number',
} as const;
export const terminalIdSchema = { type: 'string', pattern: '^[A-Z0-9-]{1,8}$' } as const;
/** Bill references: printable ASCII, 1..16 (the card signs them as 16 bytes). */
export const billRefSchema = { type: 'string', pattern: '^[\\x21-\\x7e][\\x20-\\x7e]{0,15}$' } as const;
/** Shift ids: printable ASCII, 1..64 (terminals use a time-based id). */
export const SHIFT_ID_PATTERN = '^[\\x21-\\x7e][\\x20-\\x7e]{0,63}$';
export const shiftIdSchema = { type: 'string', pattern: SHIFT_ID_PATTERN } as const;
export const hexSchema = (bytes: number) =>
  ({ type: 'string', pattern: `^[0-9a-fA-F]{${bytes * 2}}$` }) as const;
/** An unguessable public reference: 32 bytes of hash, hex. */
export const publicRefSchema = hexSchema(32);

/** The one error shape of every answer that is not a success. */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', pattern: '^ERR_[A-Z0-9_]+$' },
    message: { type: 'string' },
    field: { type: 'string' },
    seq: { type: 'integer' },
  },
} as const;

/** Error answers a route may give, one schema for each status. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorSchema]));
}

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
