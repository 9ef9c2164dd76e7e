/**
 * The receipt code: what every receipt's QR code holds (the printed receipt, the cashier's web
 * receipt) and what the public receipt check page reads. It names one accepted sale the way the
 * public check asks for it (GET /v1/receipt-check?terminalId&seq&proof):
 *
 *   HPR1:<terminal id>:<transaction number>:<proof reference>     e.g. HPR1:T-HC1:42:A1B2C3D4
 *
 * Every character is in the QR alphanumeric set (0-9 A-Z - :), so the longest code (33 characters)
 * fits a version 2 symbol at error level M: 33 modules with the quiet zone, 25 mm at module size 6
 * on a 203 dpi printer, well inside a 58 mm roll. No amount, card or merchant: the page shows
 * those from the card-signed record it verifies, never from the code.
 *
 * Browser-safe and free of imports: the public page's script bundles this file itself
 * (`@huduma/clearing-protocol/receipt-code`), so the terminal and the page parse with one parser.
 */

/** `HPR` (Huduma Pay Receipt) followed by the format version. */
export const RECEIPT_CODE_PREFIX = 'HPR';
export const RECEIPT_CODE_VERSION = 1;
/** The longest well-formed code: prefix, 8-character terminal id, u32 seq, 8 hex digits. */
export const RECEIPT_CODE_MAX_LENGTH = 33;

/** What a receipt code names. */
export interface ReceiptCodeFields {
  /** The terminal id, 1..8 of A-Z 0-9 and '-' (as the clearing service knows it). */
  terminalId: string;
  /** The receipt's transaction number: the card-signed terminal seq, a u32. */
  terminalSeq: number;
  /** The printed proof reference: the first 8 hex digits of the card proof's SHA-256, upper case. */
  proofRef: string;
}

export type ReceiptCodeField = 'code' | 'prefix' | 'version' | 'terminalId' | 'terminalSeq' | 'proofRef';

/** A code (or fields) that is not a receipt code; `field` names the part that is wrong. */
export class ReceiptCodeError extends Error {
  readonly code = 'ERR_RECEIPT_CODE';
  override name = 'ReceiptCodeError';
  readonly field: ReceiptCodeField;
  constructor(field: ReceiptCodeField, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

const TERMINAL_ID = /^[A-Z0-9-]{1,8}$/;
const SEQ = /^(0|[1-9][0-9]{0,9})$/;
const PROOF_REF = /^[0-9A-F]{8}$/;
const MAX_SEQ = 0xffff_ffff;

function checkFields(f: ReceiptCodeFields): void {
  if (typeof f.terminalId !== 'string' || !TERMINAL_ID.test(f.terminalId))
    throw new ReceiptCodeError('terminalId', 'must be 1 to 8 of A-Z, 0-9 and "-"');
  if (!Number.isInteger(f.terminalSeq) || f.terminalSeq < 0 || f.terminalSeq > MAX_SEQ)
    throw new ReceiptCodeError('terminalSeq', `must be a whole number from 0 to ${MAX_SEQ}`);
  if (typeof f.proofRef !== 'string' || !PROOF_REF.test(f.proofRef))
    throw new ReceiptCodeError('proofRef', 'must be 8 hex digits');
}

/** The receipt code of a sale; throws ReceiptCodeError naming a field the format cannot carry. */
export function encodeReceiptCode(fields: ReceiptCodeFields): string {
  const f = { ...fields, proofRef: typeof fields.proofRef === 'string' ? fields.proofRef.toUpperCase() : '' };
  checkFields(f);
  return `${RECEIPT_CODE_PREFIX}${RECEIPT_CODE_VERSION}:${f.terminalId}:${f.terminalSeq}:${f.proofRef}`;
}

/**
 * Reads a scanned or typed receipt code. Surrounding white space and letter case do not matter
 * (people type codes from the paper); the fields come back canonical (upper case). Throws
 * ReceiptCodeError naming the first field that is wrong, for any input, never anything else.
 */
export function parseReceiptCode(text: unknown): ReceiptCodeFields {
  if (typeof text !== 'string') throw new ReceiptCodeError('code', 'must be text');
  const code = text.trim().toUpperCase();
  if (code.length === 0) throw new ReceiptCodeError('code', 'is empty');
  // Checked before the version so a long code of a later version is still told apart.
  const parts = code.split(':', 5);
  const head = parts[0]!;
  if (!head.startsWith(RECEIPT_CODE_PREFIX))
    throw new ReceiptCodeError('prefix', `must start with ${RECEIPT_CODE_PREFIX}${RECEIPT_CODE_VERSION}:`);
  const version = head.slice(RECEIPT_CODE_PREFIX.length);
  if (!/^[1-9][0-9]{0,3}$/.test(version))
    throw new ReceiptCodeError('prefix', `must start with ${RECEIPT_CODE_PREFIX}${RECEIPT_CODE_VERSION}:`);
  if (Number(version) !== RECEIPT_CODE_VERSION)
    throw new ReceiptCodeError('version', `version ${Number(version)} is not known (this reader knows 1)`);
  if (code.length > RECEIPT_CODE_MAX_LENGTH)
    throw new ReceiptCodeError('code', `is longer than ${RECEIPT_CODE_MAX_LENGTH} characters`);
  if (parts.length !== 4)
    throw new ReceiptCodeError('code', 'must have four parts: HPR1:terminal:number:proof reference');
  const [, terminalId, seqText, proofRef] = parts as [string, string, string, string];
  if (!TERMINAL_ID.test(terminalId))
    throw new ReceiptCodeError('terminalId', 'must be 1 to 8 of A-Z, 0-9 and "-"');
  if (!SEQ.test(seqText) || Number(seqText) > MAX_SEQ)
    throw new ReceiptCodeError('terminalSeq', `must be a whole number from 0 to ${MAX_SEQ}`);
  if (!PROOF_REF.test(proofRef)) throw new ReceiptCodeError('proofRef', 'must be 8 hex digits');
  return { terminalId, terminalSeq: Number(seqText), proofRef };
}
