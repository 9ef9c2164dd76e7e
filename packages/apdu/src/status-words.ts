import { ApduEncodeError } from './errors';

/** What a status word means: a stable upper-snake-case `name`, a human `meaning`, and its `kind`. */
export interface StatusWordInfo {
  sw: number;
  name: string;
  meaning: string;
  kind: 'success' | 'warning' | 'error';
}

/**
 * Named ISO 7816-4 status words. Entries ending in `_BASE` (or whose low byte carries a value,
 * like `BYTES_REMAINING` and `WRONG_LE`) are the first SW of a range: combine with the low bits,
 * e.g. `SW.VERIFY_FAILED_BASE | retries`.
 */
export const SW = {
  OK: 0x9000,
  BYTES_REMAINING: 0x6100,
  WARNING_NO_INFO: 0x6200,
  PART_CORRUPTED: 0x6281,
  END_OF_FILE: 0x6282,
  FILE_DEACTIVATED: 0x6283,
  FCI_BAD_FORMAT: 0x6284,
  TERMINATION_STATE: 0x6285,
  NO_SENSOR_INPUT: 0x6286,
  WARNING_STATE_CHANGED: 0x6300,
  FILE_FILLED_UP: 0x6381,
  VERIFY_FAILED_BASE: 0x63c0,
  EXECUTION_ERROR: 0x6400,
  RESPONSE_REQUIRED: 0x6401,
  MEMORY_FAILURE: 0x6581,
  WRONG_LENGTH: 0x6700,
  CLA_FUNCTION_NOT_SUPPORTED: 0x6800,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  LAST_COMMAND_EXPECTED: 0x6883,
  CHAINING_NOT_SUPPORTED: 0x6884,
  COMMAND_NOT_ALLOWED: 0x6900,
  COMMAND_INCOMPATIBLE: 0x6981,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED_NO_EF: 0x6986,
  SM_DATA_MISSING: 0x6987,
  SM_DATA_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  NOT_ENOUGH_MEMORY: 0x6a84,
  NC_INCONSISTENT_WITH_TLV: 0x6a85,
  INCORRECT_P1P2: 0x6a86,
  NC_INCONSISTENT_WITH_P1P2: 0x6a87,
  DATA_NOT_FOUND: 0x6a88,
  FILE_ALREADY_EXISTS: 0x6a89,
  DF_NAME_ALREADY_EXISTS: 0x6a8a,
  WRONG_P1P2: 0x6b00,
  WRONG_LE: 0x6c00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
} as const;

type Kind = StatusWordInfo['kind'];

const ISO_EXACT: ReadonlyArray<readonly [keyof typeof SW, Kind, string]> = [
  ['OK', 'success', 'Normal processing: no further qualification'],
  ['WARNING_NO_INFO', 'warning', 'State of non-volatile memory unchanged: no information given'],
  [
    'PART_CORRUPTED',
    'warning',
    'State of non-volatile memory unchanged: part of returned data may be corrupted',
  ],
  ['END_OF_FILE', 'warning', 'End of file or record reached before reading Ne bytes'],
  ['FILE_DEACTIVATED', 'warning', 'Selected file deactivated'],
  ['FCI_BAD_FORMAT', 'warning', 'File control information not formatted according to ISO 7816-4'],
  ['TERMINATION_STATE', 'warning', 'Selected file in termination state'],
  ['NO_SENSOR_INPUT', 'warning', 'No input data available from a sensor on the card'],
  ['WARNING_STATE_CHANGED', 'warning', 'State of non-volatile memory changed: no information given'],
  ['FILE_FILLED_UP', 'warning', 'File filled up by the last write'],
  ['EXECUTION_ERROR', 'error', 'Execution error, state of non-volatile memory unchanged'],
  ['RESPONSE_REQUIRED', 'error', 'Immediate response required by the card'],
  ['MEMORY_FAILURE', 'error', 'Execution error, state of non-volatile memory changed: memory failure'],
  ['WRONG_LENGTH', 'error', 'Wrong length; no further indication'],
  ['CLA_FUNCTION_NOT_SUPPORTED', 'error', 'Functions in CLA not supported'],
  ['LOGICAL_CHANNEL_NOT_SUPPORTED', 'error', 'Logical channel not supported'],
  ['SECURE_MESSAGING_NOT_SUPPORTED', 'error', 'Secure messaging not supported'],
  ['LAST_COMMAND_EXPECTED', 'error', 'Last command of the chain expected'],
  ['CHAINING_NOT_SUPPORTED', 'error', 'Command chaining not supported'],
  ['COMMAND_NOT_ALLOWED', 'error', 'Command not allowed; no information given'],
  ['COMMAND_INCOMPATIBLE', 'error', 'Command incompatible with file structure'],
  ['SECURITY_STATUS_NOT_SATISFIED', 'error', 'Security status not satisfied'],
  ['AUTH_METHOD_BLOCKED', 'error', 'Authentication method blocked'],
  ['REFERENCE_DATA_NOT_USABLE', 'error', 'Reference data not usable'],
  ['CONDITIONS_NOT_SATISFIED', 'error', 'Conditions of use not satisfied'],
  ['COMMAND_NOT_ALLOWED_NO_EF', 'error', 'Command not allowed (no current EF)'],
  ['SM_DATA_MISSING', 'error', 'Expected secure messaging data objects missing'],
  ['SM_DATA_INCORRECT', 'error', 'Incorrect secure messaging data objects'],
  ['WRONG_DATA', 'error', 'Incorrect parameters in the command data field'],
  ['FUNCTION_NOT_SUPPORTED', 'error', 'Function not supported'],
  ['FILE_NOT_FOUND', 'error', 'File or application not found'],
  ['RECORD_NOT_FOUND', 'error', 'Record not found'],
  ['NOT_ENOUGH_MEMORY', 'error', 'Not enough memory space in the file'],
  ['NC_INCONSISTENT_WITH_TLV', 'error', 'Nc inconsistent with TLV structure'],
  ['INCORRECT_P1P2', 'error', 'Incorrect parameters P1-P2'],
  ['NC_INCONSISTENT_WITH_P1P2', 'error', 'Nc inconsistent with parameters P1-P2'],
  ['DATA_NOT_FOUND', 'error', 'Referenced data or reference data not found'],
  ['FILE_ALREADY_EXISTS', 'error', 'File already exists'],
  ['DF_NAME_ALREADY_EXISTS', 'error', 'DF name already exists'],
  ['WRONG_P1P2', 'error', 'Wrong parameters P1-P2'],
  ['INS_NOT_SUPPORTED', 'error', 'Instruction code not supported or invalid'],
  ['CLA_NOT_SUPPORTED', 'error', 'Class not supported'],
  ['NO_PRECISE_DIAGNOSIS', 'error', 'No precise diagnosis'],
];

const builtin = new Map<number, StatusWordInfo>();
for (const [name, kind, meaning] of ISO_EXACT) {
  builtin.set(SW[name], { sw: SW[name], name, meaning, kind });
}

const registered = new Map<number, StatusWordInfo>();

function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/** Families of status words where SW2 (or its low nibble) carries a value or only SW1 is defined. */
function describeRange(sw: number): StatusWordInfo | undefined {
  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  switch (sw1) {
    case 0x61:
      return {
        sw,
        name: 'BYTES_REMAINING',
        meaning: `${sw2 === 0 ? '256 or more' : sw2} response bytes still available (send GET RESPONSE)`,
        kind: 'success',
      };
    case 0x6c:
      return {
        sw,
        name: 'WRONG_LE',
        meaning: `Wrong Le field; ${sw2 === 0 ? 256 : sw2} data bytes available (resend with that Le)`,
        kind: 'error',
      };
    case 0x62:
      return {
        sw,
        name: 'WARNING_STATE_UNCHANGED',
        meaning:
          sw2 >= 0x02 && sw2 <= 0x80
            ? `State of non-volatile memory unchanged: ${sw2} bytes of triggering by the card`
            : 'State of non-volatile memory unchanged',
        kind: 'warning',
      };
    case 0x63:
      if ((sw2 & 0xf0) === 0xc0) {
        return {
          sw,
          name: 'VERIFY_FAILED',
          meaning: `Verification failed or counter: ${sw2 & 0x0f} retries remaining`,
          kind: 'warning',
        };
      }
      return {
        sw,
        name: 'WARNING_STATE_CHANGED',
        meaning: 'State of non-volatile memory changed',
        kind: 'warning',
      };
    case 0x64:
      return {
        sw,
        name: 'EXECUTION_ERROR',
        meaning: 'Execution error, state of non-volatile memory unchanged',
        kind: 'error',
      };
    case 0x65:
      return {
        sw,
        name: 'MEMORY_CHANGED_ERROR',
        meaning: 'Execution error, state of non-volatile memory changed',
        kind: 'error',
      };
    case 0x66:
      return { sw, name: 'SECURITY_ERROR', meaning: 'Security-related issue', kind: 'error' };
    case 0x67:
      return { sw, name: 'WRONG_LENGTH', meaning: 'Wrong length', kind: 'error' };
    case 0x68:
      return {
        sw,
        name: 'CLA_FUNCTION_NOT_SUPPORTED',
        meaning: 'Functions in CLA not supported',
        kind: 'error',
      };
    case 0x69:
      return { sw, name: 'COMMAND_NOT_ALLOWED', meaning: 'Command not allowed', kind: 'error' };
    case 0x6a:
      return { sw, name: 'WRONG_PARAMETERS', meaning: 'Wrong parameters P1-P2', kind: 'error' };
    default:
      return undefined;
  }
}

/**
 * Describes a status word. Lookup order: SWs added with {@link registerStatusWords}, then the exact
 * ISO 7816-4 table, then ISO ranges (61xx, 6Cxx, 63Cx, and the generic meaning of SW1 62-6A).
 * Anything else gets name `UNKNOWN` and kind `error`.
 */
export function describeStatusWord(sw: number): StatusWordInfo {
  const found = registered.get(sw) ?? builtin.get(sw) ?? describeRange(sw);
  if (found) return { ...found };
  return {
    sw,
    name: 'UNKNOWN',
    meaning: `Unknown status word ${swHex(sw)}`,
    kind: 'error',
  };
}

/**
 * Adds application-specific status words (e.g. the 9Fxx codes of the Huduma applet spec). A later
 * registration of the same SW replaces the earlier one, and registered SWs take precedence over the
 * ISO table. Throws {@link ApduEncodeError} (`ERR_APDU_BAD_FIELD`) for an SW outside 0..0xFFFF.
 */
export function registerStatusWords(infos: StatusWordInfo[]): void {
  for (const info of infos) {
    if (!Number.isInteger(info.sw) || info.sw < 0 || info.sw > 0xffff) {
      throw new ApduEncodeError(
        'ERR_APDU_BAD_FIELD',
        `status word must be an integer 0..0xFFFF, got ${info.sw}`,
      );
    }
  }
  for (const info of infos) registered.set(info.sw, { ...info });
}
