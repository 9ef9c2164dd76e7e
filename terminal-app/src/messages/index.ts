/**
 * The counter's wording: the engine raises machine-readable reasons (REFUSAL_REASONS) and
 * notice keys (NOTICE_KEYS) with structured params; these catalogs turn them into sentences for
 * the cashier, in English or Kiswahili, with amounts and dates formatted by Intl for Kenya.
 */
import type { NoticeKey, RecoveryNotice, RefusalParams, RefusalReason } from '@huduma/terminal';
import { en } from './en';
import { sw } from './sw';

export type Language = 'en' | 'sw';
export const LANGUAGES: readonly Language[] = ['en', 'sw'];

/** Everything a sentence may use: a refusal's params, or a notice's facts. */
export interface MessageParams extends RefusalParams {
  op?: RecoveryNotice['op'];
}

/** Formatting helpers for one language (Intl, Kenya, Africa/Nairobi). */
export interface Formatter {
  /** "KES 1,050.00" */
  kes(cents: number | undefined): string;
  /** Date and time in Nairobi. */
  dateTime(ms: number | undefined): string;
  date(ms: number | undefined): string;
  /** Whole hours. */
  hours(ms: number | undefined): string;
  count(n: number | undefined): string;
}

export type MessageKey = RefusalReason | NoticeKey;
export type Message = (p: MessageParams, f: Formatter) => string;
export type Catalog = Record<MessageKey, Message>;

export const CATALOGS: Record<Language, Catalog> = { en, sw };

const LOCALES: Record<Language, string> = { en: 'en-KE', sw: 'sw-KE' };
const TIME_ZONE = 'Africa/Nairobi';

function finite(n: number | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

export function formatter(lang: Language): Formatter {
  const locale = LOCALES[lang];
  const money = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const dateTime = new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: TIME_ZONE,
  });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: TIME_ZONE });
  const when = (ms: number | undefined, f: Intl.DateTimeFormat) => {
    const d = new Date(finite(ms));
    return Number.isNaN(d.getTime()) ? '?' : f.format(d);
  };
  return {
    // Always "KES" (what the receipts and the card say), not the locale's "Ksh".
    kes: (cents) => `KES ${money.format(finite(cents) / 100)}`,
    dateTime: (ms) => when(ms, dateTime),
    date: (ms) => when(ms, date),
    hours: (ms) => whole.format(Math.floor(finite(ms) / 3_600_000)),
    count: (n) => whole.format(finite(n)),
  };
}

const FORMATTERS: Record<Language, Formatter> = { en: formatter('en'), sw: formatter('sw') };

/**
 * The sentence for a refusal reason or a notice key, in `lang`. Never throws: an unknown key
 * (a newer engine) falls back to the key itself, an unknown language to English.
 */
export function translate(
  key: MessageKey | string,
  params: MessageParams = {},
  lang: Language = 'en',
): string {
  const catalog = CATALOGS[lang] ?? CATALOGS.en;
  const message = Object.hasOwn(catalog, key) ? catalog[key as MessageKey] : undefined;
  if (!message) return String(key) || '?';
  return message(params ?? {}, FORMATTERS[lang] ?? FORMATTERS.en);
}

/** The sentence for what a re-tap found (RecoveryNotice). */
export function noticeText(notice: RecoveryNotice, lang: Language = 'en'): string {
  const key: NoticeKey =
    notice.key ??
    (notice.outcome === 'completed'
      ? 'recovered-completed'
      : notice.outcome === 'not-charged'
        ? 'recovered-not-charged'
        : 'recovered-synced');
  return translate(
    key,
    { op: notice.op, amountCents: notice.amountCents, terminalSeq: notice.terminalSeq },
    lang,
  );
}
