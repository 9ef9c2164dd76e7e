/**
 * Amounts for people: integer cents shown as KES with two decimals ("1,234.50" style without the
 * grouping, so a spreadsheet reads it as a number). The API keeps integer cents.
 */
export function centsToKes(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** "KES 1,234.50": an amount in a sentence (logs, alert text, CLI output). */
export function formatKes(cents: number): string {
  const [whole, fraction] = centsToKes(Math.abs(cents)).split('.') as [string, string];
  return `${cents < 0 ? '-' : ''}KES ${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}
