/** English wording of every reason and notice the engine raises (keys: see index.ts). */
import type { Catalog, MessageParams } from './index';

const what = (p: MessageParams) =>
  p.op === 'undebit' || p.operation === 'cancellation'
    ? 'cancellation'
    : p.op === 'reload' || p.operation === 'reload'
      ? 'reload'
      : p.op === 'debit'
        ? 'sale'
        : 'payment';

export const en: Catalog = {
  'deny-listed': () =>
    'This card is on the deny list and has been blocked: keep it and refer the holder to a Huduma Centre.',
  'card-blocked': () => 'This card is blocked: keep it and refer the holder to a Huduma Centre.',
  'card-certificate-expired': () => 'This card has expired: the holder must renew it at a Huduma Centre.',
  'card-certificate-invalid': () =>
    'This card is not a genuine Huduma card (certificate check failed): no payment was taken.',
  'terminal-certificate-expired': (p, f) =>
    p.expiredAt
      ? `This terminal's certificate expired on ${f.date(p.expiredAt)}: no payments until it is renewed.`
      : "The card rejected this terminal's expired certificate: renew it before more payments.",
  'terminal-not-authorized': () => 'The card does not accept this terminal: call support.',
  'per-sale-limit': (p, f) =>
    `Amount ${f.kes(p.amountCents)} is above this terminal's offline limit of ${f.kes(p.limitCents)} per sale.`,
  'card-offline-limit': (p, f) =>
    p.limitCents !== undefined
      ? `This card has reached its offline spending limit (${f.kes(p.spentCents)} of ${f.kes(p.limitCents)} spent): reload it at a Huduma Centre first.`
      : 'This card has reached its offline spending limit: reload it at a Huduma Centre first.',
  'offline-too-long': (p, f) =>
    `Terminal not synced for ${f.hours(p.offlineMs)} h (limit ${f.hours(p.limitMs)} h): connect and sync before taking more payments.`,
  'too-many-unsynced': (p, f) =>
    `${f.count(p.count)} transactions are waiting to be uploaded (limit ${f.count(p.limit)}): connect and sync before taking more payments.`,
  'insufficient-funds': (p, f) =>
    p.balanceCents !== undefined
      ? `Insufficient balance: the card holds ${f.kes(p.balanceCents)}, the sale is ${f.kes(p.amountCents)}.`
      : 'Insufficient balance on the card.',
  'wrong-pin': (p) =>
    p.triesLeft === undefined
      ? 'The card asked for the PIN: try again and enter the PIN.'
      : `Wrong PIN: ${p.triesLeft} ${p.triesLeft === 1 ? 'try' : 'tries'} left. No payment taken.`,
  'pin-blocked': () => 'The card PIN is blocked: the holder must unblock it with the PUK. No payment taken.',
  'pin-cancelled': (p, f) =>
    p.noPinPad
      ? `A PIN is needed above ${f.kes(p.limitCents)} and this terminal has no PIN pad.`
      : 'PIN entry cancelled: no payment taken.',
  'card-removed': () => 'The card was removed too early: nothing was charged, tap again.',
  'outcome-unknown': (p, f) =>
    `The card's answer was lost during the ${what(p)} of ${f.kes(p.amountCents)} (the card left the reader or the reader's line failed): tap the same card again to finish (it will never be charged twice).`,
  'pending-unresolved': () =>
    'An earlier transaction of this card is not finished: tap the same card again to settle it.',
  'journal-failed': (p, f) =>
    `The card was updated (${f.kes(p.amountCents)}) but the terminal could not save it: tap the same card again once storage is fixed.`,
  'undebit-refused': () =>
    'The sale can no longer be cancelled at the counter (more than 15 minutes old, or the card has been used since).',
  'nothing-to-cancel': (p) =>
    p.maskedCardNumber
      ? `This is not the card of the last sale (${p.maskedCardNumber}).`
      : 'There is no sale to cancel on this terminal.',
  'max-balance': () => 'The reload would take the card above its maximum balance.',
  'load-declined': (p) =>
    p.detail ? `The reload was not authorized: ${p.detail}` : 'The reload was not authorized.',
  'card-error': (p) => (p.detail ? `The card returned an error: ${p.detail}` : 'The card returned an error.'),
  'storage-full': (p) =>
    p.stage === 'charged'
      ? 'The card was charged but the full storage could not record it: do NOT charge again; tap the same card once space is freed to complete the record.'
      : p.stage === 'settle'
        ? 'An earlier interrupted payment of this card could not be recorded (storage full): nothing new was charged. Free space, then tap the card again.'
        : "The terminal's storage is full: no payment was taken. Free space (sync, or call support) before taking payments.",
  'storage-failed': (p) =>
    p.stage === 'charged'
      ? 'The card was charged but storage failed to record it: do NOT charge again; tap the same card once storage is fixed to complete the record.'
      : p.stage === 'settle'
        ? 'An earlier interrupted payment of this card could not be recorded (storage error): nothing new was charged. Call support, then tap the card again.'
        : 'The terminal could not write to its storage: no payment was taken. Call support before taking payments.',
  'terminal-revoked': () =>
    'This terminal has been revoked by the acquirer: it cannot take payments. Contact the acquirer.',
  'clock-invalid': () =>
    "The terminal's clock is wrong: no payment was taken. Set the date and time (or sync), then try again.",
  'no-cvm-limit-reached': () =>
    "This card's allowance for payments without PIN is used up: the holder must enter the PIN. No payment was taken.",
  'puk-blocked': () =>
    "The card's PUK is blocked, so its PIN can no longer be unblocked: refer the holder to a Huduma Centre. No payment was taken.",
  'sync-required': () =>
    'This card must go online before more payments: reload it (any amount, even KES 0) at a Huduma Centre. No payment was taken.',
  'currency-mismatch': () =>
    'This card holds another currency than this terminal takes: no payment was taken.',
  'secure-messaging': () =>
    'The card and the terminal could not talk securely (faulty or not genuine card): no payment was taken. Tap again; if it repeats, refer the holder to a Huduma Centre.',
  'card-changed': () =>
    'The card recorded another transaction in the meantime: this payment was NOT taken. Try again.',
  // A completed one always comes with its receipt, printed next.
  'recovered-completed': (p, f) =>
    `The earlier ${what(p)} of ${f.kes(p.amountCents)} went through — receipt below.`,
  'recovered-not-charged': (p, f) =>
    p.op === 'debit'
      ? `The earlier sale of ${f.kes(p.amountCents)} did NOT go through; the card was not charged.`
      : `The earlier ${what(p)} of ${f.kes(p.amountCents)} did NOT happen on the card.`,
  'recovered-counter-lost': (p, f) =>
    `The terminal lost the card counter of the earlier ${what(p)} of ${f.kes(p.amountCents)} (terminal seq ${p.terminalSeq}): it stays pending for the operator, who asks the clearing service.`,
  'recovered-synced': (p, f) =>
    `The card has already handed the earlier ${what(p)} of ${f.kes(p.amountCents)} (terminal seq ${p.terminalSeq}) to the clearing service: it stays pending for the operator, who asks the clearing service.`,
};
