import { concatBytes } from './bytes';
import { IdentityType, type IdentityTypeCode, Limits, Tag } from './constants';
import { SpecCodecError } from './errors';
import { parseSimpleTlv, tlv } from './simple-tlv';

/**
 * The holder's identity (SPEC.md §2.2), stored at personalization and returned by READ
 * IDENTITY, as the template
 *
 *   E1 L { 80 01 type, 81 Huduma Namba, 82 ID number, 83 name (UTF-8), 84 NHIF no., 85 NSSF no. }
 *
 * ASCII fields are at most 20 bytes, the name at most 64 bytes of UTF-8; NHIF and NSSF are
 * optional (absent for an entity).
 */
export interface HolderIdentity {
  idType: IdentityTypeCode;
  hudumaNamba: string;
  idNumber: string;
  name: string;
  nhifNumber?: string;
  nssfNumber?: string;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function asciiValue(text: string, what: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(text))
    throw new SpecCodecError('ERR_IDENTITY', `${what} must be printable ASCII`);
  if (text.length === 0 || text.length > Limits.ID_FIELD_MAX) {
    throw new SpecCodecError('ERR_IDENTITY', `${what} must be 1-${Limits.ID_FIELD_MAX} characters`);
  }
  return utf8.encode(text);
}

export function encodeIdentity(id: HolderIdentity): Uint8Array {
  if (!Object.values(IdentityType).includes(id.idType))
    throw new SpecCodecError('ERR_IDENTITY', `unknown id type ${id.idType}`);
  const name = utf8.encode(id.name);
  if (name.length === 0 || name.length > Limits.NAME_MAX)
    throw new SpecCodecError('ERR_IDENTITY', 'name must be 1-64 UTF-8 bytes');
  const parts = [
    tlv(Tag.ID_TYPE, new Uint8Array([id.idType])),
    tlv(Tag.HUDUMA_NAMBA, asciiValue(id.hudumaNamba, 'Huduma Namba')),
    tlv(Tag.ID_NUMBER, asciiValue(id.idNumber, 'ID number')),
    tlv(Tag.NAME, name),
  ];
  if (id.nhifNumber !== undefined) parts.push(tlv(Tag.NHIF, asciiValue(id.nhifNumber, 'NHIF number')));
  if (id.nssfNumber !== undefined) parts.push(tlv(Tag.NSSF, asciiValue(id.nssfNumber, 'NSSF number')));
  const out = tlv(Tag.IDENTITY_TEMPLATE, concatBytes(...parts));
  if (out.length > Limits.IDENTITY_MAX)
    throw new SpecCodecError('ERR_IDENTITY', 'identity template too long');
  return out;
}

export function decodeIdentity(bytes: Uint8Array): HolderIdentity {
  const outer = parseSimpleTlv(bytes, 'identity');
  if (outer.length !== 1 || outer[0]![0] !== Tag.IDENTITY_TEMPLATE) {
    throw new SpecCodecError('ERR_IDENTITY', 'identity must be one E1 template', 0);
  }
  const f = new Map(parseSimpleTlv(outer[0]![1], 'identity template', 2));
  const ascii = (tag: number, what: string): string | undefined => {
    const v = f.get(tag);
    if (v === undefined) return undefined;
    if (v.length === 0 || v.length > Limits.ID_FIELD_MAX || v.some((b) => b < 0x20 || b > 0x7e)) {
      throw new SpecCodecError('ERR_IDENTITY', `${what} is not 1-20 printable ASCII bytes`);
    }
    return String.fromCharCode(...v);
  };
  const typeBytes = f.get(Tag.ID_TYPE);
  const idType = typeBytes?.length === 1 ? (typeBytes[0] as IdentityTypeCode) : undefined;
  if (idType === undefined || !Object.values(IdentityType).includes(idType)) {
    throw new SpecCodecError('ERR_IDENTITY', 'identity type missing or unknown');
  }
  const hudumaNamba = ascii(Tag.HUDUMA_NAMBA, 'Huduma Namba');
  const idNumber = ascii(Tag.ID_NUMBER, 'ID number');
  const nameBytes = f.get(Tag.NAME);
  if (
    !hudumaNamba ||
    !idNumber ||
    !nameBytes ||
    nameBytes.length === 0 ||
    nameBytes.length > Limits.NAME_MAX
  ) {
    throw new SpecCodecError('ERR_IDENTITY', 'identity lacks Huduma Namba, ID number or name');
  }
  let name: string;
  try {
    name = utf8Decoder.decode(nameBytes);
  } catch {
    throw new SpecCodecError('ERR_IDENTITY', 'name is not valid UTF-8');
  }
  const out: HolderIdentity = { idType, hudumaNamba, idNumber, name };
  const nhif = ascii(Tag.NHIF, 'NHIF number');
  const nssf = ascii(Tag.NSSF, 'NSSF number');
  if (nhif !== undefined) out.nhifNumber = nhif;
  if (nssf !== undefined) out.nssfNumber = nssf;
  return out;
}
