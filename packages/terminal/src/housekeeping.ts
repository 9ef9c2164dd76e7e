/**
 * The engine's own upkeep of what it writes: when to checkpoint without being asked, and the
 * checks that keep records the clearing service could not store (and that would then wedge every
 * later upload) out of the log.
 */
import { cashierText } from './cashier-messages';
import { ShiftFieldFormatError, TransactionRefusedError } from './errors';

/** Checkpoint once this many records are unsigned (a tenth of what one upload batch may hold). */
export const AUTO_CHECKPOINT_RECORDS = 1_000;
/** …or once the oldest unsigned record is this old (checked at the next sale or shift event). */
export const AUTO_CHECKPOINT_AFTER_MS = 15 * 60_000;

export function checkpointDue(
  ledger: { uncheckpointed: number; oldestUncheckpointedAt: number | undefined },
  now: number,
): boolean {
  if (ledger.uncheckpointed >= AUTO_CHECKPOINT_RECORDS) return true;
  return (
    ledger.uncheckpointed > 0 &&
    ledger.oldestUncheckpointedAt !== undefined &&
    now - ledger.oldestUncheckpointedAt >= AUTO_CHECKPOINT_AFTER_MS
  );
}

/**
 * The terminal clock must be in a range a record time can carry and a person could mean: from
 * 2020 (before any Huduma card) to 2100. A clock outside it (a dead RTC battery reads 1970; a
 * corrupted one, year 275760) would write times the service cannot store.
 */
export const MIN_SANE_TIME_MS = Date.UTC(2020, 0, 1);
export const MAX_SANE_TIME_MS = Date.UTC(2100, 0, 1);

export function clockRefusal(now: number): TransactionRefusedError | undefined {
  if (Number.isSafeInteger(now) && now >= MIN_SANE_TIME_MS && now < MAX_SANE_TIME_MS) return undefined;
  return new TransactionRefusedError('clock-invalid', cashierText('clock-invalid'), {
    detail: `terminal clock reads ${now} ms, outside ${new Date(MIN_SANE_TIME_MS).toISOString()} .. ${new Date(MAX_SANE_TIME_MS).toISOString()}`,
  });
}

/** Longest shift or operator id (the service keeps shift ids up to 256 characters; this leaves room). */
export const MAX_SHIFT_FIELD_LENGTH = 64;
const PRINTABLE = /^[\x20-\x7e]+$/;

/** Throws ShiftFieldFormatError (naming the field) for what a shift record must not carry, or a clock out of range. */
export function validateShiftFields(fields: { shiftId: string; operatorId?: string; time: number }): void {
  for (const field of ['shiftId', 'operatorId'] as const) {
    const value = fields[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_SHIFT_FIELD_LENGTH || !PRINTABLE.test(value))
      throw new ShiftFieldFormatError(field, String(value));
  }
  const clock = clockRefusal(fields.time);
  if (clock) throw clock;
}
