import type { WebLanguage } from './refusals';

/** Kenya's locales for Intl: amounts in KES, times in Africa/Nairobi, in both page languages. */
export const LOCALES: Record<WebLanguage, string> = { en: 'en-KE', sw: 'sw-KE' };

/** Integer cents → "Ksh 1,234.50" as Intl words it for Kenya (display only; never parsed back). */
export function formatKesFor(cents: number, lang: WebLanguage): string {
  return new Intl.NumberFormat(LOCALES[lang], {
    style: 'currency',
    currency: 'KES',
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(cents / 100);
}
