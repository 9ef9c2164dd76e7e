/**
 * The traffic model: when counters are open and how busy each hour is. Huduma Centres open
 * 08:00–17:00 on weekdays, busiest mid-morning and after lunch; partner merchants 07:00–20:00
 * every day, busiest at lunch and after work. Hours are Africa/Nairobi (UTC+3, no DST).
 */
export type CounterKind = 'huduma-centre' | 'partner-merchant';

const NAIROBI_OFFSET_MS = 3 * 3600_000;

/** Relative busyness per opening hour (index = hour of day). */
const HOURLY_WEIGHT: Record<CounterKind, Partial<Record<number, number>>> = {
  'huduma-centre': { 8: 0.6, 9: 1, 10: 1.2, 11: 1, 12: 0.5, 13: 0.8, 14: 1, 15: 0.8, 16: 0.5 },
  'partner-merchant': {
    7: 0.3,
    8: 0.5,
    9: 0.5,
    10: 0.6,
    11: 0.8,
    12: 1.2,
    13: 1,
    14: 0.6,
    15: 0.6,
    16: 0.8,
    17: 1.1,
    18: 1,
    19: 0.5,
  },
};

/** Nairobi midnight at or before `ms`. */
export function nairobiMidnight(ms: number): number {
  const local = ms + NAIROBI_OFFSET_MS;
  return local - (local % 86_400_000) - NAIROBI_OFFSET_MS;
}

/** Day of week in Nairobi (0 = Sunday). */
export function nairobiWeekday(ms: number): number {
  return new Date(ms + NAIROBI_OFFSET_MS).getUTCDay();
}

/** The weight of hour `hour` (0–23) on a day starting at `dayStart` for this kind of counter. */
export function hourWeight(kind: CounterKind, dayStart: number, hour: number): number {
  const weekday = nairobiWeekday(dayStart);
  if (kind === 'huduma-centre' && (weekday === 0 || weekday === 6)) return 0;
  return HOURLY_WEIGHT[kind][hour] ?? 0;
}
