import type { RefusalReason } from '@huduma/terminal';

/** Languages of the cashier page. */
export type WebLanguage = 'en' | 'sw';
export const WEB_LANGUAGES: readonly WebLanguage[] = ['en', 'sw'];

/** Values a refusal sentence may mention; amounts already formatted for the language. */
export interface RefusalParams {
  amount?: string;
  balance?: string;
  triesLeft?: number;
}

/** What happened (nothing taken, unless said) and what the cashier does next. */
export interface RefusalWording {
  text: string;
  next: string;
}

type Wording = (p: RefusalParams) => RefusalWording;
const w =
  (text: string, next: string): Wording =>
  () => ({ text, next });

const EN: Record<RefusalReason, Wording> = {
  'deny-listed': w(
    'This card is on the deny list and has been blocked.',
    'Keep the card and refer the holder to a Huduma Centre.',
  ),
  'card-blocked': w('This card is blocked.', 'Keep the card and refer the holder to a Huduma Centre.'),
  'card-certificate-expired': w('This card has expired.', 'The holder renews it at a Huduma Centre.'),
  'card-certificate-invalid': w(
    'This is not a genuine Huduma card.',
    'Do not accept it; call support if in doubt.',
  ),
  'terminal-certificate-expired': w(
    "This terminal's certificate has expired.",
    'Renew the terminal certificate before more payments.',
  ),
  'terminal-not-authorized': w('This terminal is not allowed to do this.', 'Call support.'),
  'per-sale-limit': w(
    "The amount is above this terminal's offline limit per sale.",
    'Take a smaller amount or another payment method.',
  ),
  'card-offline-limit': w(
    'This card has reached its offline spending limit.',
    'The holder reloads it at a Huduma Centre first.',
  ),
  'offline-too-long': w(
    'The terminal has been offline too long.',
    'Connect and press Sync now before more payments.',
  ),
  'too-many-unsynced': w(
    'Too many payments are waiting to be uploaded.',
    'Connect and press Sync now before more payments.',
  ),
  'insufficient-funds': (p) => ({
    text: `Not enough money on the card${p.balance ? ` (balance ${p.balance})` : ''}. No payment was taken.`,
    next: 'Ask for a smaller amount, another card, or a reload first.',
  }),
  'wrong-pin': (p) => ({
    text: `Wrong PIN${p.triesLeft === undefined ? '' : `: ${p.triesLeft} ${p.triesLeft === 1 ? 'try' : 'tries'} left`}. No payment was taken.`,
    next: 'Start the sale again and let the customer re-enter the PIN.',
  }),
  'pin-blocked': w(
    'The PIN is blocked. No payment was taken.',
    'The holder unblocks the PIN with the PUK at a Huduma Centre.',
  ),
  'pin-cancelled': w(
    'PIN entry was cancelled. No payment was taken.',
    'Start again when the customer is ready.',
  ),
  'card-removed': w(
    'The card was removed too early. Nothing was charged.',
    'Start again and ask the customer to hold the card still.',
  ),
  'outcome-unknown': (p) => ({
    text: `The card was removed during the payment${p.amount ? ` of ${p.amount}` : ''}: it is not known yet whether it was charged.`,
    next: 'Do NOT charge again. Ask for the same card and tap it to finish.',
  }),
  'pending-unresolved': w(
    'This card has an unfinished earlier payment that could not be settled.',
    'Settle it with the clearing service (call support).',
  ),
  'journal-failed': w(
    'The card was updated but the terminal could not save it.',
    'Do NOT charge again. Tap the same card once storage is fixed.',
  ),
  'undebit-refused': w(
    'The card refused the cancellation (used since, or too late).',
    'Refund by the office procedure instead.',
  ),
  'nothing-to-cancel': w(
    'There is no sale to cancel on this card.',
    'Check the card and the last sale shown.',
  ),
  'max-balance': w('The reload would take the card above its maximum balance.', 'Load a smaller amount.'),
  'load-declined': w(
    'The reload was not authorized. No money was loaded.',
    'Check the connection and try again; give the cash back if it fails.',
  ),
  'card-error': w(
    'The card returned an error. No payment was taken.',
    'Try again; if it repeats, refer the holder to a Huduma Centre.',
  ),
  'storage-full': w(
    "The terminal's storage is full. No payment was taken.",
    'Sync, or call support, before taking payments.',
  ),
  'storage-failed': w(
    'The terminal could not write to its storage. No payment was taken.',
    'Call support before taking payments.',
  ),
  'terminal-revoked': w(
    'This terminal has been revoked by the acquirer.',
    'Contact the acquirer; take no card payments.',
  ),
  'clock-invalid': w(
    "The terminal's clock is wrong. No payment was taken.",
    'Set the date and time (or sync), then try again.',
  ),
  'no-cvm-limit-reached': w(
    "The card's allowance for payments without PIN is used up. No payment was taken.",
    'Start again: the customer enters the PIN.',
  ),
  'puk-blocked': w(
    "The card's PUK is blocked: its PIN can never be unblocked. No payment was taken.",
    'Refer the holder to a Huduma Centre.',
  ),
  'sync-required': w(
    'This card must go online before more payments. No payment was taken.',
    'Reload it (any amount, even KES 0) at a Huduma Centre.',
  ),
  'currency-mismatch': w(
    'This card holds another currency. No payment was taken.',
    'Take another payment method.',
  ),
  'secure-messaging': w(
    'The card and the terminal could not talk securely. No payment was taken.',
    'Tap again; if it repeats, refer the holder to a Huduma Centre.',
  ),
  'card-changed': w(
    'The card recorded another transaction meanwhile: this payment was NOT taken.',
    'Try again.',
  ),
};

const SW: Record<RefusalReason, Wording> = {
  'deny-listed': w(
    'Kadi hii iko kwenye orodha ya marufuku na imefungwa.',
    'Shika kadi na umpeleke mwenye kadi kwenye Kituo cha Huduma.',
  ),
  'card-blocked': w('Kadi hii imefungwa.', 'Shika kadi na umpeleke mwenye kadi kwenye Kituo cha Huduma.'),
  'card-certificate-expired': w(
    'Muda wa kadi hii umekwisha.',
    'Mwenye kadi aifanye upya kwenye Kituo cha Huduma.',
  ),
  'card-certificate-invalid': w(
    'Hii si kadi halali ya Huduma.',
    'Usiikubali; piga simu kwa msaada ukiwa na shaka.',
  ),
  'terminal-certificate-expired': w(
    'Muda wa cheti cha kifaa hiki umekwisha.',
    'Fanya upya cheti cha kifaa kabla ya malipo zaidi.',
  ),
  'terminal-not-authorized': w('Kifaa hiki hakiruhusiwi kufanya hivi.', 'Piga simu kwa msaada.'),
  'per-sale-limit': w(
    'Kiasi kinazidi kikomo cha kifaa hiki kwa kila mauzo nje ya mtandao.',
    'Chukua kiasi kidogo au njia nyingine ya malipo.',
  ),
  'card-offline-limit': w(
    'Kadi hii imefikia kikomo chake cha matumizi nje ya mtandao.',
    'Mwenye kadi aiongezee salio kwenye Kituo cha Huduma kwanza.',
  ),
  'offline-too-long': w(
    'Kifaa kimekaa nje ya mtandao muda mrefu mno.',
    'Unganisha na ubonyeze Sawazisha sasa kabla ya malipo zaidi.',
  ),
  'too-many-unsynced': w(
    'Malipo mengi mno yanasubiri kupakiwa.',
    'Unganisha na ubonyeze Sawazisha sasa kabla ya malipo zaidi.',
  ),
  'insufficient-funds': (p) => ({
    text: `Pesa haitoshi kwenye kadi${p.balance ? ` (salio ${p.balance})` : ''}. Hakuna malipo yaliyochukuliwa.`,
    next: 'Omba kiasi kidogo, kadi nyingine, au kuongeza salio kwanza.',
  }),
  'wrong-pin': (p) => ({
    text: `PIN si sahihi${p.triesLeft === undefined ? '' : `: majaribio ${p.triesLeft} yamebaki`}. Hakuna malipo yaliyochukuliwa.`,
    next: 'Anza mauzo tena na mteja aweke PIN upya.',
  }),
  'pin-blocked': w(
    'PIN imefungwa. Hakuna malipo yaliyochukuliwa.',
    'Mwenye kadi afungue PIN kwa PUK kwenye Kituo cha Huduma.',
  ),
  'pin-cancelled': w(
    'Uwekaji wa PIN umeghairiwa. Hakuna malipo yaliyochukuliwa.',
    'Anza tena mteja akiwa tayari.',
  ),
  'card-removed': w(
    'Kadi iliondolewa mapema mno. Hakuna kilichotozwa.',
    'Anza tena na umwombe mteja ashikilie kadi bila kuisogeza.',
  ),
  'outcome-unknown': (p) => ({
    text: `Kadi iliondolewa wakati wa malipo${p.amount ? ` ya ${p.amount}` : ''}: bado haijulikani kama imetozwa.`,
    next: 'USITOZE tena. Omba kadi ile ile na uiguse ili kukamilisha.',
  }),
  'pending-unresolved': w(
    'Kadi hii ina malipo ya awali ambayo hayakuweza kumalizwa.',
    'Yamalize na huduma ya malipo (piga simu kwa msaada).',
  ),
  'journal-failed': w(
    'Kadi imebadilishwa lakini kifaa hakikuweza kuhifadhi.',
    'USITOZE tena. Gusa kadi ile ile hifadhi ikirekebishwa.',
  ),
  'undebit-refused': w(
    'Kadi imekataa kufuta (imetumika tangu hapo, au imechelewa).',
    'Rudisha pesa kwa utaratibu wa ofisi.',
  ),
  'nothing-to-cancel': w(
    'Hakuna mauzo ya kufuta kwenye kadi hii.',
    'Angalia kadi na mauzo ya mwisho yaliyoonyeshwa.',
  ),
  'max-balance': w('Kuongeza huku kungezidi salio la juu la kadi.', 'Ongeza kiasi kidogo.'),
  'load-declined': w(
    'Kuongeza salio hakukuidhinishwa. Hakuna pesa iliyoongezwa.',
    'Angalia mtandao na ujaribu tena; rudisha pesa taslimu ikishindikana.',
  ),
  'card-error': w(
    'Kadi imerudisha hitilafu. Hakuna malipo yaliyochukuliwa.',
    'Jaribu tena; ikijirudia, mpeleke mwenye kadi kwenye Kituo cha Huduma.',
  ),
  'storage-full': w(
    'Hifadhi ya kifaa imejaa. Hakuna malipo yaliyochukuliwa.',
    'Sawazisha, au piga simu kwa msaada, kabla ya kupokea malipo.',
  ),
  'storage-failed': w(
    'Kifaa hakikuweza kuandika kwenye hifadhi. Hakuna malipo yaliyochukuliwa.',
    'Piga simu kwa msaada kabla ya kupokea malipo.',
  ),
  'terminal-revoked': w(
    'Kifaa hiki kimefutiwa idhini na benki mpokeaji.',
    'Wasiliana na benki mpokeaji; usipokee malipo ya kadi.',
  ),
  'clock-invalid': w(
    'Saa ya kifaa si sahihi. Hakuna malipo yaliyochukuliwa.',
    'Weka tarehe na saa (au sawazisha), kisha jaribu tena.',
  ),
  'no-cvm-limit-reached': w(
    'Kiwango cha malipo bila PIN kimekwisha. Hakuna malipo yaliyochukuliwa.',
    'Anza tena: mteja aweke PIN.',
  ),
  'puk-blocked': w(
    'PUK ya kadi imefungwa: PIN yake haiwezi kufunguliwa tena. Hakuna malipo yaliyochukuliwa.',
    'Mpeleke mwenye kadi kwenye Kituo cha Huduma.',
  ),
  'sync-required': w(
    'Kadi hii lazima iunganishwe mtandaoni kabla ya malipo zaidi. Hakuna malipo yaliyochukuliwa.',
    'Iongezee salio (kiasi chochote, hata KES 0) kwenye Kituo cha Huduma.',
  ),
  'currency-mismatch': w(
    'Kadi hii ina sarafu nyingine. Hakuna malipo yaliyochukuliwa.',
    'Chukua njia nyingine ya malipo.',
  ),
  'secure-messaging': w(
    'Kadi na kifaa havikuweza kuwasiliana kwa usalama. Hakuna malipo yaliyochukuliwa.',
    'Gusa tena; ikijirudia, mpeleke mwenye kadi kwenye Kituo cha Huduma.',
  ),
  'card-changed': w(
    'Kadi ilirekodi muamala mwingine wakati huo: malipo haya HAYAKUCHUKULIWA.',
    'Jaribu tena.',
  ),
};

const CATALOG: Record<WebLanguage, Record<RefusalReason, Wording>> = { en: EN, sw: SW };

/**
 * The one place the page turns an engine refusal reason into words. Unknown reasons (a newer
 * engine) fall back to a generic sentence, never to the engine's English.
 */
export function refusalText(reason: string, lang: WebLanguage, params: RefusalParams = {}): RefusalWording {
  const table = CATALOG[lang];
  const wording = Object.hasOwn(table, reason) ? table[reason as RefusalReason] : undefined;
  if (wording) return wording(params);
  return lang === 'sw'
    ? { text: `Imekataliwa (${reason}).`, next: 'Jaribu tena au piga simu kwa msaada.' }
    : { text: `Declined (${reason}).`, next: 'Try again or call support.' };
}

/** Every reason the catalogs word (for tests). */
export const WORDED_REASONS = Object.keys(EN) as RefusalReason[];
