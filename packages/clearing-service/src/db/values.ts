import { DbValueError } from '../errors';

/** OIDs of the PostgreSQL types whose text form both backends parse the same way. */
export const OID = { INT8: 20, BYTEA: 17, DATE: 1082 } as const;

export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new DbValueError(`BIGINT value ${text} is outside the safe integer range of a JS number`);
  }
  return value;
}

export function parseDate(text: string): string {
  return text;
}
