/** Query parameters shared by the console and the portal: business-day ranges and CSV output. */
import { HttpError } from '../errors';
import { nairobiBusinessDate } from '../store';

export const MAX_RANGE_DAYS = 366;
/** What the merchant portal shows when no range is asked for: the last 7 Nairobi days, today included. */
export const DEFAULT_RANGE_DAYS = 7;
const DAY_MS = 86_400_000;

function dayNumber(date: string, field: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new HttpError(400, 'ERR_VALIDATION', `${date} is not a calendar date`, field);
  }
  return ms / 86_400_000;
}

/**
 * The last `days` Africa/Nairobi business days (UTC+3 all year, no daylight saving) up to the one
 * holding `nowMs`: at 21:00 UTC Nairobi is already on the next day, and so is this range.
 */
export function lastNairobiDays(nowMs: number, days = DEFAULT_RANGE_DAYS): { from: string; to: string } {
  const to = nairobiBusinessDate(Math.floor(nowMs / 1000));
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * DAY_MS).toISOString().slice(0, 10);
  return { from, to };
}

/**
 * The range a request asks for, each end defaulting on its own: `to` to Nairobi's today, `from`
 * to the 7-day window ending at `to`. Checked (calendar dates, order, length) before it is used.
 */
export function requestedRange(
  query: { from?: string; to?: string },
  nowMs: number,
): { from: string; to: string } {
  const to = query.to ?? lastNairobiDays(nowMs).to;
  const toDay = dayNumber(to, 'query.to');
  const from = query.from ?? new Date((toDay - (DEFAULT_RANGE_DAYS - 1)) * DAY_MS).toISOString().slice(0, 10);
  checkRange(from, to);
  return { from, to };
}

/** Checks an inclusive from..to range of Africa/Nairobi business days. */
export function checkRange(from: string, to: string): void {
  const a = dayNumber(from, 'query.from');
  const b = dayNumber(to, 'query.to');
  if (b < a) throw new HttpError(400, 'ERR_VALIDATION', 'to is before from', 'query.to');
  if (b - a >= MAX_RANGE_DAYS) {
    throw new HttpError(400, 'ERR_VALIDATION', `at most ${MAX_RANGE_DAYS} days at a time`, 'query.to');
  }
}

/** RFC 4180 CSV; cells starting with = + - @ are prefixed with ' so spreadsheets never run them. */
export function toCsv(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null>>,
): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${[header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

/** Integer cents as the decimal KES a spreadsheet sums exactly (no float, no thousands separator). */
export function centsToKes(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}
