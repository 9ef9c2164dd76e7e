/**
 * Cashier wording for the refusals about the terminal itself (its storage, its clock, its
 * standing with the acquirer), in English and Kiswahili. Each says what happened to the money
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
} as const satisfies Record<string, Record<CashierLanguage, string>>;

export type CashierMessageKey = keyof typeof MESSAGES;

export function cashierText(key: CashierMessageKey, language: CashierLanguage = 'en'): string {
  return MESSAGES[key][language];
}
