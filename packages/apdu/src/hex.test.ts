import { describe, expect, it } from 'vitest';
import { HexDecodeError } from './errors';
import { fromHex, hex } from './hex';

describe('hex / fromHex', () => {
  it('formats upper-case without separators', () => {
    expect(hex(Uint8Array.from([0x00, 0xa4, 0x0f, 0xff]))).toBe('00A40FFF');
    expect(hex(new Uint8Array(0))).toBe('');
  });

  it('parses either case with whitespace anywhere', () => {
    expect(fromHex('00 a4 04 00\n 0 7')).toEqual(Uint8Array.from([0x00, 0xa4, 0x04, 0x00, 0x07]));
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });

  it('round-trips every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromHex(hex(all))).toEqual(all);
  });

  it('rejects bad characters and odd length with the index', () => {
    expect(() => fromHex('0G')).toThrow(HexDecodeError);
    try {
      fromHex('00 A');
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERR_HEX_INVALID', offset: 3 });
    }
    expect(() => fromHex('0x00')).toThrow(/index 1/);
  });
});
