/**
 * DEPRECATED English fallback for TransactionRefusedError.cashierMessage, kept while consumers
 * move to the counter app's catalogs (terminal-app/src/messages, English and Kiswahili), which
 * word every reason from its code and params. New wording goes there, not here.
 */
/** @deprecated The app's catalogs carry the languages (terminal-app/src/messages). */
export type CashierLanguage = 'en';

const MESSAGES = {
  'storage-full': {
    en: "The terminal's storage is full: no payment was taken. Free space (sync, or call support) before taking payments.",
  },
  'storage-failed': {
    en: 'The terminal could not write to its storage: no payment was taken. Call support before taking payments.',
  },
  'storage-full-charged': {
    en: 'The card was charged but the full storage could not record it: do NOT charge again; tap the same card once space is freed to complete the record.',
  },
  'storage-failed-charged': {
    en: 'The card was charged but storage failed to record it: do NOT charge again; tap the same card once storage is fixed to complete the record.',
  },
  'storage-full-settle': {
    en: 'An earlier interrupted payment of this card could not be recorded (storage full): nothing new was charged. Free space, then tap the card again.',
  },
  'storage-failed-settle': {
    en: 'An earlier interrupted payment of this card could not be recorded (storage error): nothing new was charged. Call support, then tap the card again.',
  },
  'terminal-revoked': {
    en: 'This terminal has been revoked by the acquirer: it cannot take payments. Contact the acquirer.',
  },
  'clock-invalid': {
    en: "The terminal's clock is wrong: no payment was taken. Set the date and time (or sync), then try again.",
  },
  // Card refusals new in applet v2: each says that nothing was taken and what happens next.
  'no-cvm-limit-reached': {
    en: "This card's allowance for payments without PIN is used up: the holder must enter the PIN. No payment was taken.",
  },
  'puk-blocked': {
    en: "The card's PUK is blocked, so its PIN can no longer be unblocked: refer the holder to a Huduma Centre. No payment was taken.",
  },
  'sync-required': {
    en: 'This card must go online before more payments: reload it (any amount, even KES 0) at a Huduma Centre. No payment was taken.',
  },
  'currency-mismatch': {
    en: 'This card holds another currency than this terminal takes: no payment was taken.',
  },
  'secure-messaging': {
    en: 'The card and the terminal could not talk securely (faulty or not genuine card): no payment was taken. Tap again; if it repeats, refer the holder to a Huduma Centre.',
  },
  'card-changed': {
    en: 'The card recorded another transaction in the meantime: this payment was NOT taken. Try again.',
  },
} as const satisfies Record<string, Record<'en', string>>;

export type CashierMessageKey = keyof typeof MESSAGES;

/** @deprecated English only; word reasons with the app's catalogs. */
export function cashierText(key: CashierMessageKey, _language: CashierLanguage = 'en'): string {
  return MESSAGES[key].en;
}
