/**
 * The wire contract's limits and primitive values. Each one knows what the service's database can
 * hold, so a value PostgreSQL would refuse (a bigint beyond 2^53, a NUL in TEXT, a date past year
 * 9999) is refused at the edge with 400 ERR_VALIDATION naming the field, before any SQL runs.
 * Ajv coerces query and path strings to numbers ("1e20" becomes 1e20, an integer to Ajv), so the
 * numeric bounds below are what stops them.
 */
import { type TSchema, Type } from '@sinclair/typebox';

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
/** The card's ring holds 32 entries (SPEC.md §2.7): never more unsynced records than that. */
export const MAX_CARD_RING_RECORDS = 32;
/** Sales one shift-close may list by seq. */
export const MAX_SHIFT_SALE_SEQS = 100_000;

/** Printable text: no NUL (PostgreSQL TEXT cannot hold it) and no other C0 control or DEL. */
export const NO_CONTROL_PATTERN = '^[^\\x00-\\x1f\\x7f]*$';
/** Shift ids: printable ASCII, 1..64 (terminals use a time-based id). */
export const SHIFT_ID_PATTERN = '^[\\x21-\\x7e][\\x20-\\x7e]{0,63}$';
/** Bill references and load references: printable ASCII, 1..16 (the card signs them as 16 bytes). */
export const REF16_PATTERN = '^[\\x21-\\x7e][\\x20-\\x7e]{0,15}$';

export const Id = (options: object = {}) => Type.Integer({ minimum: 1, maximum: MAX_ID, ...options });
export const Index = (options: object = {}) => Type.Integer({ minimum: 0, maximum: MAX_ID, ...options });
export const U32 = (options: object = {}) => Type.Integer({ minimum: 0, maximum: MAX_U32, ...options });
export const PaymentCents = () =>
  Type.Integer({
    minimum: 1,
    maximum: MAX_PAYMENT_CENTS,
    description: `integer cents, 1..${MAX_PAYMENT_CENTS} (KES 250,000, one payment's business limit)`,
  });
export const ServiceCode = () => Type.Integer({ minimum: 1, maximum: 65535 });
export const Text = (maxLength: number, minLength = 0, options: object = {}) =>
  Type.String({ minLength, maxLength, pattern: NO_CONTROL_PATTERN, ...options });
export const CardNumber = () =>
  Type.String({ pattern: '^[0-9]{16}$', description: '16-digit Huduma card number' });
export const TerminalId = () => Type.String({ pattern: '^[A-Z0-9-]{1,8}$' });
export const BillRef = () => Type.String({ pattern: REF16_PATTERN });
export const ShiftId = () => Type.String({ pattern: SHIFT_ID_PATTERN });
/** Exactly `bytes` bytes as hex (either case on input). */
export const Hex = (bytes: number, options: object = {}) =>
  Type.String({ pattern: `^[0-9a-fA-F]{${bytes * 2}}$`, ...options });
/** An unguessable public reference: 32 bytes of hash, hex. */
export const PublicRef = () => Hex(32);
/** Nullable, as JSON Schema `type: [T, 'null']` would say it. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A string from a fixed list, as JSON Schema `{ type: 'string', enum }` (not anyOf of constants: the OpenAPI document stays plain). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: object = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** Path parameter objects. */
export const TerminalIdParams = Type.Object({ terminalId: TerminalId() });
export const CardNumberParams = Type.Object({ cardNumber: CardNumber() });
export const BillRefParams = Type.Object({ billRef: BillRef() });
