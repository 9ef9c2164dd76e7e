import { asciiField, readAsciiField } from './bytes';
import { Size } from './constants';
import { SpecCodecError } from './errors';

/**
 * Terminal and merchant identifiers: 1 to 8 characters of A-Z, 0-9 and '-', stored in 8 bytes
 * right-padded with spaces, so receipts and logs can print them as they are.
 */
export type EntityId = string;

const ID_PATTERN = /^[A-Z0-9-]{1,8}$/;

export function isValidEntityId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function encodeEntityId(id: EntityId, what = 'identifier'): Uint8Array {
  if (!isValidEntityId(id))
    throw new SpecCodecError('ERR_ENTITY_ID', `${what} must be 1-8 of A-Z 0-9 -: "${id}"`);
  return asciiField(id, Size.TERMINAL_ID, 0x20, what);
}

export function decodeEntityId(bytes: Uint8Array, what = 'identifier', offset = 0): EntityId {
  const id = readAsciiField(bytes, 0x20, what, offset);
  if (!isValidEntityId(id))
    throw new SpecCodecError('ERR_ENTITY_ID', `${what} is not a valid identifier`, offset);
  return id;
}

/** Bill references (eCitizen bill numbers, M-Pesa receipts): up to 16 printable ASCII, 0x00-padded. */
export function encodeBillRef(ref: string): Uint8Array {
  return asciiField(ref, Size.BILL_REF, 0x00, 'bill reference');
}

export function decodeBillRef(bytes: Uint8Array, offset = 0): string {
  return readAsciiField(bytes, 0x00, 'bill reference', offset);
}
