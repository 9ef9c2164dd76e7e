/** Query parameters shared by the console and the portal: business-day ranges and CSV output. */
import { HttpError } from '../errors';

export const dateSchema = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' } as const;
export const MAX_RANGE_DAYS = 366;

function dayNumber(date: string, field: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new HttpError(400, 'ERR_VALIDATION', `${date} is not a calendar date`, field);
  }
  return ms / 86_400_000;
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
