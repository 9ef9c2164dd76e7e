/**
 * Engine refusals on the cashier page, worded by the counter's one message catalog
 * (src/messages: the same sentences the console prints, in English and Kiswahili). Each sentence
 * says what happened to the money and what the cashier does next.
 */
import { REFUSAL_REASONS, type RefusalReason } from '@huduma/terminal';
import { type MessageParams, translate } from '../../messages/index';

/** Languages of the cashier page. */
export type WebLanguage = 'en' | 'sw';
export const WEB_LANGUAGES: readonly WebLanguage[] = ['en', 'sw'];

/** What the page shows for a refusal: the catalog's sentence. */
export interface RefusalWording {
  text: string;
}

/** The refusal `reason` in `lang`; an unknown reason (a newer engine) is named, never dropped. */
export function refusalText(reason: string, lang: WebLanguage, params: MessageParams = {}): RefusalWording {
  const known = (REFUSAL_REASONS as readonly string[]).includes(reason);
  if (!known) return { text: lang === 'sw' ? `Imekataliwa (${reason}).` : `Declined (${reason}).` };
  return { text: translate(reason as RefusalReason, params, lang) };
}

/** Every reason the engine can raise (for tests). */
export const WORDED_REASONS: readonly RefusalReason[] = REFUSAL_REASONS;
