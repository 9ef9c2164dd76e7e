import type { PrintFailureReason } from './printer-device';

export type PrinterMessageLanguage = 'en' | 'sw';

/**
 * Cashier wording for a print that did not come out, keyed by reason, in English and Kiswahili.
 * Each one says that the payment stands (nothing about money depends on paper) and what to do.
 */
const MESSAGES: Record<PrintFailureReason, Record<PrinterMessageLanguage, string>> = {
  'paper-out': {
    en: 'The printer is out of paper. The payment is complete; load a new roll, then reprint the receipt.',
    sw: 'Printa imeishiwa karatasi. Malipo yamekamilika; weka karatasi mpya, kisha chapisha risiti tena.',
  },
  'cover-open': {
    en: "The printer's cover is open. The payment is complete; close the cover, then reprint the receipt.",
    sw: 'Kifuniko cha printa kiko wazi. Malipo yamekamilika; funga kifuniko, kisha chapisha risiti tena.',
  },
  offline: {
    en: 'The printer is offline. The payment is complete; check the printer, then reprint the receipt.',
    sw: 'Printa haiko mtandaoni. Malipo yamekamilika; kagua printa, kisha chapisha risiti tena.',
  },
  error: {
    en: 'The printer reports an error. The payment is complete; switch the printer off and on, then reprint the receipt.',
    sw: 'Printa inaripoti hitilafu. Malipo yamekamilika; zima na uwashe printa, kisha chapisha risiti tena.',
  },
  unreachable: {
    en: 'The printer does not answer. The payment is complete; check that it is on and connected, then reprint the receipt.',
    sw: 'Printa haijibu. Malipo yamekamilika; hakikisha imewashwa na imeunganishwa, kisha chapisha risiti tena.',
  },
  'write-failed': {
    en: 'The receipt could not be sent to the printer. The payment is complete; reprint the receipt.',
    sw: 'Risiti haikuweza kutumwa kwa printa. Malipo yamekamilika; chapisha risiti tena.',
  },
  'invalid-document': {
    en: 'The receipt could not be laid out for printing. The payment is complete; call support.',
    sw: 'Risiti haikuweza kupangwa kwa uchapishaji. Malipo yamekamilika; piga simu kwa msaada.',
  },
};

export function printerMessage(reason: PrintFailureReason, language: PrinterMessageLanguage = 'en'): string {
  return MESSAGES[reason][language];
}

export const PRINT_FAILURE_REASONS = Object.keys(MESSAGES) as PrintFailureReason[];
