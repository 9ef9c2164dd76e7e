import { describe, expect, it } from 'vitest';
import { ApduEncodeError, TlvDecodeError } from './errors';
import { fromHex, hex } from './hex';
import { encodeTlv, findTlv, parseTlv, type Tlv } from './tlv';

function decodeError(input: Uint8Array, opts?: { maxDepth?: number }): TlvDecodeError {
  try {
    parseTlv(input, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(TlvDecodeError);
    return err as TlvDecodeError;
  }
  throw new Error(`parseTlv accepted ${hex(input)}`);
}

// EMV PSE FCI as returned by SELECT '1PAY.SYS.DDF01'.
const FCI = '6F1A840E315041592E5359532E4444463031A5088801025F2D02656E';

describe('parseTlv known answers', () => {
  it('parses an EMV-style FCI template recursively', () => {
    const [fci, ...rest] = parseTlv(fromHex(FCI));
    expect(rest).toEqual([]);
    expect(fci).toMatchObject({ tag: 0x6f, constructed: true });
    expect(fci!.children!.map((t) => t.tag)).toEqual([0x84, 0xa5]);
    const dfName = fci!.children![0]!;
    expect(dfName.constructed).toBe(false);
    expect(Buffer.from(dfName.value).toString('latin1')).toBe('1PAY.SYS.DDF01');
    const proprietary = fci!.children![1]!;
    expect(proprietary.children!.map((t) => [t.tag.toString(16), hex(t.value)])).toEqual([
      ['88', '02'],
      ['5f2d', '656E'],
    ]);
    expect(hex(proprietary.value)).toBe('8801025F2D02656E');
  });

  it('re-encodes the FCI byte for byte', () => {
    expect(hex(encodeTlv(parseTlv(fromHex(FCI))))).toBe(FCI);
  });

  it('finds tags depth-first', () => {
    const tlvs = parseTlv(fromHex(FCI));
    expect(hex(findTlv(tlvs, 0x5f2d)!.value)).toBe('656E');
    expect(findTlv(tlvs, 0x6f)).toBe(tlvs[0]);
    expect(findTlv(tlvs, 0x9f02)).toBeUndefined();
  });

  it('reads two-, three- and four-byte tags', () => {
    expect(parseTlv(fromHex('9F0206000000001000'))[0]).toMatchObject({ tag: 0x9f02, constructed: false });
    expect(parseTlv(fromHex('7F2100'))[0]).toMatchObject({ tag: 0x7f21, constructed: true, children: [] });
    expect(parseTlv(fromHex('DF810101AA'))[0]!.tag).toBe(0xdf8101);
    expect(parseTlv(fromHex('DF81820300'))[0]!.tag).toBe(0xdf818203);
  });

  it('reads long-form lengths 81, 82, 83 and 84', () => {
    for (const [prefix, n] of [
      ['81 80', 0x80],
      ['82 0100', 0x100],
      ['83 000102', 0x102],
      ['84 00000103', 0x103],
    ] as const) {
      const bytes = Uint8Array.from([0x04, ...fromHex(prefix), ...new Uint8Array(n).fill(7)]);
      const [tlv] = parseTlv(bytes);
      expect(tlv!.value.length).toBe(n);
    }
  });

  it('encodes lengths in the shortest form', () => {
    const value = new Uint8Array(300);
    expect(hex(encodeTlv({ tag: 0x53, constructed: false, value }).subarray(0, 4))).toBe('5382012C');
    expect(
      hex(encodeTlv({ tag: 0x53, constructed: false, value: value.subarray(0, 200) }).subarray(0, 3)),
    ).toBe('5381C8');
    expect(
      hex(encodeTlv({ tag: 0x53, constructed: false, value: value.subarray(0, 127) }).subarray(0, 2)),
    ).toBe('537F');
  });

  it('skips 00 and FF padding between objects, also inside templates', () => {
    const tlvs = parseTlv(fromHex('00 FF 5A0112 00 70 06 00 5F2001 41 FF FF 00'));
    expect(tlvs.map((t) => t.tag)).toEqual([0x5a, 0x70]);
    expect(tlvs[1]!.children!.map((t) => t.tag)).toEqual([0x5f20]);
    expect(parseTlv(new Uint8Array(0))).toEqual([]);
  });

  it('encodes children in preference to value, and lists of objects', () => {
    const tree: Tlv = {
      tag: 0x70,
      constructed: true,
      value: new Uint8Array(0),
      children: [
        { tag: 0x5a, constructed: false, value: fromHex('4761739001010010') },
        { tag: 0x9f08, constructed: false, value: fromHex('0002') },
      ],
    };
    expect(hex(encodeTlv(tree))).toBe('700F5A0847617390010100109F08020002');
    expect(hex(encodeTlv([tree.children![1]!, tree.children![1]!]))).toBe('9F080200029F08020002');
  });
});

describe('parseTlv rejects malformed input with a code and offset', () => {
  const bad: Array<[string, string, string, number]> = [
    ['tag without length', '5A', 'ERR_TLV_TRUNCATED', 1],
    ['multi-byte tag cut off', '9F', 'ERR_TLV_TRUNCATED', 1],
    ['multi-byte tag cut off after 81', '9F81', 'ERR_TLV_TRUNCATED', 2],
    ['value shorter than length', '5A0412', 'ERR_TLV_TRUNCATED', 2],
    ['long-form length cut off', '5A8201', 'ERR_TLV_TRUNCATED', 2],
    ['tag of 5 bytes', 'DF8181818101AA', 'ERR_TLV_TAG_TOO_LONG', 0],
    ['indefinite length', '7080', 'ERR_TLV_INDEFINITE_LENGTH', 1],
    ['five length bytes', '5A850000000001AA', 'ERR_TLV_BAD_LENGTH', 1],
    ['bad child inside a template, offset is absolute', '6F05840312', 'ERR_TLV_TRUNCATED', 2],
    ['bad child deeper inside', '0000 6F06 A504 8803 0102', 'ERR_TLV_TRUNCATED', 8],
  ];
  for (const [name, input, code, offset] of bad) {
    it(name, () => {
      const err = decodeError(fromHex(input));
      expect(err.code).toBe(code);
      expect(err.offset).toBe(offset);
      expect(err.message).toMatch(/offset/);
    });
  }

  it('stops hostile nesting at maxDepth instead of exhausting the stack', () => {
    let inner: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const n = inner.length;
      const length =
        n < 0x80
          ? [n]
          : n < 0x100
            ? [0x81, n]
            : n < 0x10000
              ? [0x82, n >> 8, n & 0xff]
              : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
      inner = [0xa0, ...length, ...inner];
    }
    const err = decodeError(Uint8Array.from(inner));
    expect(err.code).toBe('ERR_TLV_TOO_DEEP');
    expect(decodeError(fromHex('A004A002A000'), { maxDepth: 2 }).code).toBe('ERR_TLV_TOO_DEEP');
    expect(parseTlv(fromHex('A004A002A000'), { maxDepth: 3 })).toHaveLength(1);
  });
});

describe('encodeTlv rejects what BER cannot express', () => {
  const primitive = (tag: number): Tlv => ({ tag, constructed: false, value: new Uint8Array(0) });
  it.each([
    ['zero', 0],
    ['padding byte FF', 0xff],
    ['1F-family first byte alone', 0x9f],
    ['second byte with b8 set as last', 0x9f81],
    ['two bytes without 1F family', 0x5a5a],
    ['more than 4 bytes', 0x1_0000_0000],
    ['not an integer', 1.5],
  ])('tag %s', (_name, tag) => {
    expect(() => encodeTlv(primitive(tag))).toThrow(ApduEncodeError);
  });

  it('primitive tag with children', () => {
    expect(() =>
      encodeTlv({ tag: 0x5a, constructed: false, value: new Uint8Array(0), children: [] }),
    ).toThrow(/primitive/);
  });
});
