/**
 * The wire contract's limits (@huduma/clearing-protocol holds every route's params, query and body
 * schemas), and the same checks for values decoded outside Ajv (records inside a CBOR batch).
 */

import { NO_CONTROL_PATTERN } from '@huduma/clearing-protocol';

export {
  errorResponses,
  MAX_ID,
  MAX_PAYMENT_CENTS,
  MAX_RECORD_TIME_MS,
  MAX_U32,
  NO_CONTROL_PATTERN,
  SHIFT_ID_PATTERN,
} from '@huduma/clearing-protocol';

/** Printable, NUL-free text a value has, or why not (for values checked outside Ajv: decoded records). */
export function textProblem(
  value: string,
  maxLength: number,
  pattern = NO_CONTROL_PATTERN,
): string | undefined {
  if (value.length > maxLength) return `longer than ${maxLength} characters`;
  if (!new RegExp(pattern, 'u').test(value))
    return 'contains control characters or characters outside its alphabet';
  // In unicode mode a surrogate pair is one code point: only unpaired halves match.
  if (/[\ud800-\udfff]/u.test(value)) return 'contains an unpaired surrogate';
  return undefined;
}
