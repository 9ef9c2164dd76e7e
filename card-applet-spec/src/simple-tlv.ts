import { concatBytes } from './bytes';
import { SpecCodecError } from './errors';

/**
 * The few TLV objects of this spec use one-byte tags and lengths below 256 (short form, or 0x81
 * nn), a subset of BER-TLV that a Java Card parses with offsets. The general BER-TLV codec lives
 * in @huduma/apdu; this one is kept here so the spec package has no dependency on it.
 */
export function tlv(tag: number, value: Uint8Array): Uint8Array {
  if (value.length > 255)
    throw new SpecCodecError('ERR_TLV', `value of tag ${tag.toString(16)} longer than 255 bytes`);
  const header = value.length < 0x80 ? [tag, value.length] : [tag, 0x81, value.length];
  return concatBytes(new Uint8Array(header), value);
}

/** Parses a sequence of one-byte-tag TLVs into [tag, value] pairs in order; the input must be consumed exactly. */
export function parseSimpleTlv(bytes: Uint8Array, what: string, baseOffset = 0): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at]!;
    if ((tag & 0x1f) === 0x1f)
      throw new SpecCodecError('ERR_TLV', `${what}: multi-byte tag not allowed here`, baseOffset + at);
    if (at + 1 >= bytes.length)
      throw new SpecCodecError('ERR_TLV', `${what}: truncated length`, baseOffset + at);
    let len = bytes[at + 1]!;
    let header = 2;
    if (len === 0x81) {
      if (at + 2 >= bytes.length)
        throw new SpecCodecError('ERR_TLV', `${what}: truncated length`, baseOffset + at);
      len = bytes[at + 2]!;
      header = 3;
    } else if (len > 0x80) {
      throw new SpecCodecError(
        'ERR_TLV',
        `${what}: length form 0x${len.toString(16)} not allowed`,
        baseOffset + at + 1,
      );
    } else if (len === 0x80) {
      throw new SpecCodecError('ERR_TLV', `${what}: indefinite length not allowed`, baseOffset + at + 1);
    }
    if (at + header + len > bytes.length) {
      throw new SpecCodecError(
        'ERR_TLV',
        `${what}: value of tag 0x${tag.toString(16)} truncated`,
        baseOffset + at,
      );
    }
    out.push([tag, bytes.subarray(at + header, at + header + len)]);
    at += header + len;
  }
  return out;
}
