import { describe, expect, it } from 'vitest';
import {
  cmac,
  fromHex,
  kdfCounterBlock,
  kdfExpand,
  padM2,
  SessionType,
  toHex,
  unpadM2,
  unwrapCommand,
  unwrapResponse,
  wrapCommand,
  wrapResponse,
} from '../src/index';

// RFC 4493 §4 test vectors (AES-128 key 2b7e1516…).
const K = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
const M = fromHex(
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
);

describe('AES-CMAC (RFC 4493 §4)', () => {
  it.each([
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ])('Mlen %i', (len, tag) => {
    expect(toHex(cmac(K, M.subarray(0, len)))).toBe(tag);
  });
  it('rejects a key that is not 16 bytes', () => {
    expect(() => cmac(new Uint8Array(15), M)).toThrow();
  });
});

describe('KDF (SP 800-108 counter mode, §4.6.1)', () => {
  // NIST CAVP KBKDF, KDFCTR_gen.txt: [PRF=CMAC_AES128] [CTRLOCATION=BEFORE_FIXED] [RLEN=8_BITS], L = 128
  it.each([
    [
      'dff1e50ac0b69dc40f1051d46c2b069c',
      'c16e6e02c5a3dcc8d78b9ac1306877761310455b4e41469951d9e6c2245a064b33fd8c3b01203a7824485bf0a64060c4648b707d2607935699316ea5',
      '8be8f0869b3c0ba97b71863d1b9f7813',
    ],
    [
      'e4d94da336fada7c0ee4a9591dd0327a',
      '538fefb2eeb7c50c84bf603a7beddff4bba049f0052c45f13c56e9ae5944eb22d677f280e5a29c588cf40c7c57f7767aad3d595069fb40d02c01f866',
      '268a1d44ba5a5b1a28b9a611c76671f7',
    ],
  ])('CAVP counter-mode vector KI %s', (ki, fixed, ko) => {
    expect(toHex(kdfCounterBlock(fromHex(ki), fromHex(fixed)))).toBe(ko);
  });
  it('Expand is CMAC over 01 ‖ label ‖ 00 ‖ context ‖ 0080', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f');
    const ctx = fromHex('a1a2a3');
    const label = new TextEncoder().encode('HUDUMA-LINK-v2');
    const input = new Uint8Array([1, ...label, 0, 0, 0, ...ctx, 0x00, 0x80]);
    expect(input.length).toBe(1 + 16 + 1 + 3 + 2);
    expect(toHex(kdfExpand(key, 'HUDUMA-LINK-v2', ctx))).toBe(toHex(cmac(key, input)));
  });
});

describe('secure messaging (§4.7)', () => {
  const keys = {
    enc: fromHex('00112233445566778899aabbccddeeff'),
    mac: fromHex('0f0e0d0c0b0a09080706050403020100'),
    rmac: fromHex('ffeeddccbbaa99887766554433221100'),
  };
  const h = { cla: 0x0c, ins: 0x20, p1: 0x00, p2: 0x81 };
  it('pads with method 2, always', () => {
    expect(padM2(new Uint8Array(0)).length).toBe(16);
    expect(padM2(new Uint8Array(16)).length).toBe(32);
    expect(unpadM2(padM2(fromHex('313233')))).toEqual(fromHex('313233'));
    expect(unpadM2(new Uint8Array(16))).toBeUndefined();
  });
  it('round-trips an encrypted command and refuses a changed byte, SSC or header', () => {
    const payload = fromHex('31323334ffffffff');
    const data = wrapCommand(keys, 5, h, payload, true);
    expect(data.length).toBe(24);
    expect(unwrapCommand(keys, 5, h, data, true)).toEqual({ ok: true, payload });
    expect(unwrapCommand(keys, 6, h, data, true)).toEqual({ ok: false, reason: 'mac' });
    expect(unwrapCommand(keys, 5, { ...h, p2: 0x80 }, data, true)).toEqual({ ok: false, reason: 'mac' });
    const bad = data.slice();
    bad[0]! ^= 1;
    expect(unwrapCommand(keys, 5, h, bad, true)).toEqual({ ok: false, reason: 'mac' });
    // the chaining bit is not covered: a chained last segment MACs like an unchained command
    expect(unwrapCommand(keys, 5, { ...h, cla: 0x1c }, data, true).ok).toBe(true);
  });
  it('round-trips responses; a non-9000 inner SW carries no payload', () => {
    const r = wrapResponse(keys, 7, 0x9000, fromHex('e1020304'), true);
    expect(unwrapResponse(keys, 7, r, true)).toEqual({ sw: 0x9000, payload: fromHex('e1020304') });
    const e = wrapResponse(keys, 7, 0x63c2, fromHex('e1020304'), true);
    expect(e.length).toBe(10);
    expect(unwrapResponse(keys, 7, e, true)).toEqual({ sw: 0x63c2, payload: new Uint8Array(0) });
    expect(() => unwrapResponse(keys, 8, r, true)).toThrow(/R-MAC/);
  });
  it('a TAP session (no S.ENC) cannot encrypt', () => {
    expect(() => wrapCommand({ mac: keys.mac, rmac: keys.rmac }, 1, h, new Uint8Array(1), true)).toThrow();
    expect(SessionType.TAP).toBe(0);
  });
});

describe('toHex / fromHex', () => {
  it('writes every byte value as two lower-case digits, in order, and reads them back', () => {
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hex = toHex(every);
    expect(hex).toHaveLength(512);
    expect(hex.slice(0, 8)).toBe('00010203');
    expect(hex.slice(-6)).toBe('fdfeff');
    expect(hex).toBe(Buffer.from(every).toString('hex'));
    expect(fromHex(hex)).toEqual(every);
    expect(toHex(every.subarray(250, 252))).toBe('fafb');
  });
});
