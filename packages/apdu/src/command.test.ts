import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand, logicalChannelOf, withLogicalChannel } from './command';
import { ApduDecodeError, ApduEncodeError } from './errors';
import { fromHex, hex } from './hex';

const header = { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00 };
const aid = fromHex('A0 00 00 00 03 10 10');

describe('encodeCommand / decodeCommand known answers', () => {
  const cases: Array<
    [string, Parameters<typeof encodeCommand>[0], { extended?: boolean } | undefined, string]
  > = [
    ['case 1', header, undefined, '00A40400'],
    ['case 2 short', { ...header, le: 0x10 }, undefined, '00A4040010'],
    ['case 2 short, Le 256 as 00', { ...header, le: 256 }, undefined, '00A4040000'],
    ['case 3 short', { ...header, data: aid }, undefined, '00A4040007A0000000031010'],
    ['case 4 short', { ...header, data: aid, le: 256 }, undefined, '00A4040007A000000003101000'],
    ['case 2 extended (Le 257)', { ...header, le: 257 }, undefined, '00A40400000101'],
    ['case 2 extended, Le 65536 as 0000', { ...header, le: 65536 }, undefined, '00A40400000000'],
    ['case 3 extended forced', { ...header, data: aid }, { extended: true }, '00A404000000 07A0000000031010'],
    [
      'case 4 extended forced',
      { ...header, data: aid, le: 256 },
      { extended: true },
      '00A40400000007A00000000310100100',
    ],
    [
      'case 4 extended, Le 65536',
      { ...header, data: aid, le: 65536 },
      undefined,
      '00A40400000007A00000000310100000',
    ],
    ['case 1 stays 4 bytes when extended forced', header, { extended: true }, '00A40400'],
  ];
  for (const [name, cmd, opts, expected] of cases) {
    it(name, () => {
      const bytes = encodeCommand(cmd, opts);
      expect(hex(bytes)).toBe(expected.replace(/ /g, ''));
      const decoded = decodeCommand(bytes);
      expect(decoded.cla).toBe(cmd.cla);
      expect(decoded.le).toBe(cmd.le);
      expect(decoded.data && hex(decoded.data)).toBe(cmd.data && hex(cmd.data));
    });
  }

  it('uses the extended form automatically for data over 255 bytes', () => {
    const data = new Uint8Array(300).fill(0xab);
    const bytes = encodeCommand({ ...header, data });
    expect(hex(bytes.subarray(0, 7))).toBe('00A40400000' + '12C');
    expect(bytes.length).toBe(307);
    expect(decodeCommand(bytes)).toMatchObject({ case: 3, extended: true });
  });

  it('reports the ISO case and form', () => {
    expect(decodeCommand(fromHex('00A40400'))).toMatchObject({ case: 1, extended: false });
    expect(decodeCommand(fromHex('00B0000000'))).toMatchObject({ case: 2, extended: false, le: 256 });
    expect(decodeCommand(fromHex('00B0000000FFFF'))).toMatchObject({ case: 2, extended: true, le: 65535 });
    expect(decodeCommand(fromHex('00D6000002AABB'))).toMatchObject({ case: 3, extended: false });
    expect(decodeCommand(fromHex('00D60000000002AABB0000'))).toMatchObject({
      case: 4,
      extended: true,
      le: 65536,
    });
  });

  it('rejects invalid fields with ApduEncodeError', () => {
    expect(() => encodeCommand({ ...header, cla: 256 })).toThrow(ApduEncodeError);
    expect(() => encodeCommand({ ...header, le: 0 })).toThrow(/le must be/);
    expect(() => encodeCommand({ ...header, le: 65537 })).toThrow(ApduEncodeError);
    expect(() => encodeCommand({ ...header, data: new Uint8Array(65536) })).toThrow(/65535/);
  });
});

describe('decodeCommand rejects malformed input with a code and offset', () => {
  const bad: Array<[string, string, string, number]> = [
    ['empty', '', 'ERR_APDU_TOO_SHORT', 0],
    ['3 bytes', '00A404', 'ERR_APDU_TOO_SHORT', 3],
    ['short Lc too large', '00A4040005AABB', 'ERR_APDU_LC_MISMATCH', 4],
    ['short Lc too small', '00A4040001AABBCC', 'ERR_APDU_LC_MISMATCH', 4],
    ['6 bytes with 00 marker', '00A4040000AA', 'ERR_APDU_BAD_LENGTH', 5],
    ['extended Lc 0000', '00A404000000000010', 'ERR_APDU_BAD_LC', 5],
    ['extended Lc mismatch', '00A40400000005AABB', 'ERR_APDU_LC_MISMATCH', 5],
  ];
  for (const [name, input, code, offset] of bad) {
    it(name, () => {
      let caught: unknown;
      try {
        decodeCommand(fromHex(input));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ApduDecodeError);
      expect((caught as ApduDecodeError).code).toBe(code);
      expect((caught as ApduDecodeError).offset).toBe(offset);
    });
  }
});

describe('logical channels', () => {
  it('reads channels 0-3 from first interindustry CLA and 4-19 from further interindustry CLA', () => {
    expect(logicalChannelOf(0x00)).toBe(0);
    expect(logicalChannelOf(0x03)).toBe(3);
    expect(logicalChannelOf(0x13)).toBe(3);
    expect(logicalChannelOf(0x0c)).toBe(0);
    expect(logicalChannelOf(0x40)).toBe(4);
    expect(logicalChannelOf(0x4f)).toBe(19);
    expect(logicalChannelOf(0x81)).toBe(1);
    expect(logicalChannelOf(0xc5)).toBe(9);
  });

  it('writes channels, keeping chaining, proprietary and SM bits', () => {
    expect(withLogicalChannel(0x00, 2)).toBe(0x02);
    expect(withLogicalChannel(0x10, 3)).toBe(0x13);
    expect(withLogicalChannel(0x00, 4)).toBe(0x40);
    expect(withLogicalChannel(0x00, 19)).toBe(0x4f);
    expect(withLogicalChannel(0x13, 5)).toBe(0x51);
    expect(withLogicalChannel(0x08, 4)).toBe(0x60); // SM "header not processed" maps b4-b3=10 to b6
    expect(withLogicalChannel(0x61, 1)).toBe(0x09);
    expect(withLogicalChannel(0x80, 7)).toBe(0xc3);
    expect(withLogicalChannel(0x4f, 0)).toBe(0x00);
  });

  it('round-trips every channel on every CLA it can express', () => {
    for (let cla = 0; cla < 256; cla++) {
      for (let channel = 0; channel < 20; channel++) {
        let out: number;
        try {
          out = withLogicalChannel(cla, channel);
        } catch (err) {
          expect(err).toBeInstanceOf(ApduEncodeError);
          continue;
        }
        expect(logicalChannelOf(out)).toBe(channel);
        expect(out & 0x90).toBe(cla & 0x90);
      }
    }
  });

  it('rejects channels outside 0-19 and unrepresentable SM', () => {
    expect(() => withLogicalChannel(0x00, 20)).toThrow(ApduEncodeError);
    expect(() => withLogicalChannel(0x0c, 4)).toThrow(/secure-messaging/);
  });
});
