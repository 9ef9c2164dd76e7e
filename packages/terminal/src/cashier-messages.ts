/**
 * Cashier wording for the refusals about the terminal itself (its storage, its clock, its
 * standing with the acquirer) and for the card refusals new in applet v2, in English and Kiswahili. Each says what happened to the money
 * and what the cashier does next. The engine picks the text by key; the console shows it as is.
 */
export type CashierLanguage = 'en' | 'sw';

const MESSAGES = {
  'storage-full': {
    en: "The terminal's storage is full: no payment was taken. Free space (sync, or call support) before taking payments.",
    sw: 'Hifadhi ya kifaa imejaa: hakuna malipo yaliyochukuliwa. Toa nafasi (sawazisha, au piga simu kwa msaada) kabla ya kupokea malipo.',
  },
  'storage-failed': {
    en: 'The terminal could not write to its storage: no payment was taken. Call support before taking payments.',
    sw: 'Kifaa hakikuweza kuandika kwenye hifadhi yake: hakuna malipo yaliyochukuliwa. Piga simu kwa msaada kabla ya kupokea malipo.',
  },
  'storage-full-charged': {
    en: 'The card was charged but the full storage could not record it: do NOT charge again; tap the same card once space is freed to complete the record.',
    sw: 'Kadi imetozwa lakini hifadhi iliyojaa haikuweza kuirekodi: USITOZE tena; gusa kadi hiyo hiyo nafasi ikipatikana ili kukamilisha rekodi.',
  },
  'storage-failed-charged': {
    en: 'The card was charged but storage failed to record it: do NOT charge again; tap the same card once storage is fixed to complete the record.',
    sw: 'Kadi imetozwa lakini hifadhi imeshindwa kuirekodi: USITOZE tena; gusa kadi hiyo hiyo hifadhi ikirekebishwa ili kukamilisha rekodi.',
  },
  'storage-full-settle': {
    en: 'An earlier interrupted payment of this card could not be recorded (storage full): nothing new was charged. Free space, then tap the card again.',
    sw: 'Malipo ya awali ya kadi hii yaliyokatizwa hayakuweza kurekodiwa (hifadhi imejaa): hakuna tozo jipya. Toa nafasi, kisha gusa kadi tena.',
  },
  'storage-failed-settle': {
    en: 'An earlier interrupted payment of this card could not be recorded (storage error): nothing new was charged. Call support, then tap the card again.',
    sw: 'Malipo ya awali ya kadi hii yaliyokatizwa hayakuweza kurekodiwa (hitilafu ya hifadhi): hakuna tozo jipya. Piga simu kwa msaada, kisha gusa kadi tena.',
  },
  'terminal-revoked': {
    en: 'This terminal has been revoked by the acquirer: it cannot take payments. Contact the acquirer.',
    sw: 'Kifaa hiki kimefutiwa idhini na benki mpokeaji: hakiwezi kupokea malipo. Wasiliana na benki mpokeaji.',
  },
  'clock-invalid': {
    en: "The terminal's clock is wrong: no payment was taken. Set the date and time (or sync), then try again.",
    sw: 'Saa ya kifaa si sahihi: hakuna malipo yaliyochukuliwa. Weka tarehe na saa (au sawazisha), kisha jaribu tena.',
  },
  // Card refusals new in applet v2: each says that nothing was taken and what happens next.
  'no-cvm-limit-reached': {
    en: "This card's allowance for payments without PIN is used up: the holder must enter the PIN. No payment was taken.",
    sw: 'Kiwango cha malipo bila PIN kwenye kadi hii kimekwisha: mwenye kadi lazima aweke PIN. Hakuna malipo yaliyochukuliwa.',
  },
  'puk-blocked': {
    en: "The card's PUK is blocked, so its PIN can no longer be unblocked: refer the holder to a Huduma Centre. No payment was taken.",
    sw: 'PUK ya kadi imefungwa, kwa hivyo PIN yake haiwezi kufunguliwa tena: mpeleke mwenye kadi kwenye Kituo cha Huduma. Hakuna malipo yaliyochukuliwa.',
  },
  'sync-required': {
    en: 'This card must go online before more payments: reload it (any amount, even KES 0) at a Huduma Centre. No payment was taken.',
    sw: 'Kadi hii lazima iunganishwe mtandaoni kabla ya malipo zaidi: iongezee salio (kiasi chochote, hata KES 0) kwenye Kituo cha Huduma. Hakuna malipo yaliyochukuliwa.',
  },
  'currency-mismatch': {
    en: 'This card holds another currency than this terminal takes: no payment was taken.',
    sw: 'Kadi hii ina sarafu tofauti na ile kifaa hiki kinapokea: hakuna malipo yaliyochukuliwa.',
  },
  'secure-messaging': {
    en: 'The card and the terminal could not talk securely (faulty or not genuine card): no payment was taken. Tap again; if it repeats, refer the holder to a Huduma Centre.',
    sw: 'Kadi na kifaa havikuweza kuwasiliana kwa usalama (kadi ina hitilafu au si halali): hakuna malipo yaliyochukuliwa. Gusa tena; ikijirudia, mpeleke mwenye kadi kwenye Kituo cha Huduma.',
  },
  'card-changed': {
    en: 'The card recorded another transaction in the meantime: this payment was NOT taken. Try again.',
    sw: 'Kadi ilirekodi muamala mwingine wakati huo huo: malipo haya HAYAKUCHUKULIWA. Jaribu tena.',
  },
} as const satisfies Record<string, Record<CashierLanguage, string>>;

export type CashierMessageKey = keyof typeof MESSAGES;

export function cashierText(key: CashierMessageKey, language: CashierLanguage = 'en'): string {
  return MESSAGES[key][language];
}
