/**
 * The suite's own implementation of SPEC §4.6 (key derivation) and §4.7 (secure messaging),
 * written from the spec text, not taken from the SDK or the simulator: a card is judged by what
 * §4.6–4.7 say, so the terminal side of every session is computed here independently (§16).
 * Node's AES (the suite runs on a host, never in a browser); the curve arithmetic is the spec package's.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { concatBytes, ecdh as specEcdh } from '@huduma/card-applet-spec';

/** The 16-byte domain tag T("…") of §4.9: ASCII right-padded with 00. */
export function tag(text: string): Uint8Array {
  const out = new Uint8Array(16);
  out.set(new TextEncoder().encode(text).subarray(0, 16));
  return out;
}

function aesEcb(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
}

/** AES-128-CBC without padding (the caller pads with {@link pad}). */
export function aesCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array, decrypt = false): Uint8Array {
  const c = (decrypt ? createDecipheriv : createCipheriv)('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

function shiftLeft(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = ((b[i]! << 1) | (i < 15 ? b[i + 1]! >>> 7 : 0)) & 0xff;
  if (b[0]! & 0x80) out[15]! ^= 0x87;
  return out;
}

/** AES-CMAC (NIST SP 800-38B, RFC 4493), 16 bytes. */
export function cmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const k1 = shiftLeft(aesEcb(key, new Uint8Array(16)));
  const k2 = shiftLeft(k1);
  const n = Math.max(1, Math.ceil(message.length / 16));
  const complete = message.length > 0 && message.length % 16 === 0;
  const last = new Uint8Array(16);
  const tail = message.subarray((n - 1) * 16);
  last.set(tail);
  if (!complete) last[tail.length] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) last[i]! ^= sub[i]!;
  let x: Uint8Array = new Uint8Array(16);
  for (let b = 0; b < n - 1; b++) {
    const y = new Uint8Array(16);
    for (let i = 0; i < 16; i++) y[i] = x[i]! ^ message[b * 16 + i]!;
    x = aesEcb(key, y);
  }
  for (let i = 0; i < 16; i++) last[i]! ^= x[i]!;
  return aesEcb(key, last);
}

export const cmac8 = (key: Uint8Array, message: Uint8Array) => cmac(key, message).subarray(0, 8);

/** §4.6.1 Extract(salt, Z) = CMAC(salt, Z). */
export const extract = (salt: Uint8Array, z: Uint8Array) => cmac(salt, z);

/** §4.6.1 Expand(K, label, context) = CMAC(K, 01 ‖ label(16) ‖ 00 ‖ context ‖ 00 80). */
export function expand(key: Uint8Array, label: string, context: Uint8Array): Uint8Array {
  return cmac(
    key,
    concatBytes(new Uint8Array([1]), tag(label), new Uint8Array([0]), context, new Uint8Array([0, 0x80])),
  );
}

/** ISO/IEC 9797-1 method 2 padding, always applied (§4.7.3). */
export function pad(x: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor(x.length / 16) * 16 + 16);
  out.set(x);
  out[x.length] = 0x80;
  return out;
}

/** Removes method-2 padding; undefined when the padding is invalid. */
export function unpad(x: Uint8Array): Uint8Array | undefined {
  let i = x.length - 1;
  while (i >= 0 && x[i] === 0) i--;
  return i >= 0 && x[i] === 0x80 ? x.subarray(0, i) : undefined;
}

/**
 * ECDH output by crypto profile (§4.6.3): 00 = x (32), 01 = SHA-1(x) (20). The curve arithmetic
 * is the spec package's (@noble/curves); what the suite derives from it is its own.
 */
export function ecdh(privateKey: Uint8Array, publicKey: Uint8Array, profile: number): Uint8Array {
  return specEcdh(privateKey, publicKey, profile as 0 | 1);
}

/** §4.4: K.link for (card number, termCertId) from the static ECDH secret. */
export function linkKey(zs: Uint8Array, cardNumber: Uint8Array, termCertId: Uint8Array): Uint8Array {
  return expand(extract(tag('HUDUMA-SALT-v2'), zs), 'HUDUMA-LINK-v2', concatBytes(cardNumber, termCertId));
}

export const SessionType = { TAP: 0, SECURE: 1, PERSO: 2 } as const;

export interface SessionKeys {
  enc?: Uint8Array;
  mac: Uint8Array;
  rmac: Uint8Array;
}

/** §4.5: session keys and the card cryptogram from the PRK (K.link, Extract(K.link, Z.e)). */
export function sessionKeys(prk: Uint8Array, rndC: Uint8Array, rndT: Uint8Array, type: number) {
  const ctx = concatBytes(rndC, rndT, new Uint8Array([type]));
  const keys: SessionKeys = {
    mac: expand(prk, 'HUDUMA-SMAC-v2', ctx),
    rmac: expand(prk, 'HUDUMA-SRMC-v2', ctx),
    ...(type === SessionType.TAP ? {} : { enc: expand(prk, 'HUDUMA-SENC-v2', ctx) }),
  };
  const cryptogram = cmac8(keys.rmac, concatBytes(tag('HUDUMA-CCRY-v2'), ctx));
  return { keys, cryptogram };
}

/** §4.6.2 PERSO keys: enc from K.perso-enc, mac/rmac from K.perso-mac, ctx.p = RND.C ‖ RND.H ‖ 02. */
export function persoSessionKeys(kEnc: Uint8Array, kMac: Uint8Array, rndC: Uint8Array, rndH: Uint8Array) {
  const ctx = concatBytes(rndC, rndH, new Uint8Array([2]));
  const keys: SessionKeys = {
    enc: expand(kEnc, 'HUDUMA-SENC-v2', ctx),
    mac: expand(kMac, 'HUDUMA-SMAC-v2', ctx),
    rmac: expand(kMac, 'HUDUMA-SRMC-v2', ctx),
  };
  const cryptogram = cmac8(keys.rmac, concatBytes(tag('HUDUMA-CCRY-v2'), ctx));
  const hostCryptogram = cmac8(keys.mac, concatBytes(tag('HUDUMA-HCRY-v2'), rndH, rndC, new Uint8Array([2])));
  return { keys, cryptogram, hostCryptogram };
}

/** A 16-byte big-endian SSC for a small counter value. */
export function ssc(n: number): Uint8Array {
  const out = new Uint8Array(16);
  let v = n;
  for (let i = 15; i >= 0 && v > 0; i--) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
}

/** §4.7.3: the data field (payload' ‖ C-MAC) of an SM command. */
export function protectCommand(
  keys: SessionKeys,
  sscValue: number,
  header: { cla: number; ins: number; p1: number; p2: number },
  payload: Uint8Array,
  encrypt: boolean,
): Uint8Array {
  const s = ssc(sscValue);
  let body = payload;
  if (encrypt) {
    if (!keys.enc) throw new Error('no S.ENC in this session');
    body = aesCbc(keys.enc, aesEcb(keys.enc, s), pad(payload));
  }
  const len = body.length + 8;
  const mac = cmac8(
    keys.mac,
    concatBytes(
      s,
      new Uint8Array([header.cla & ~0x10, header.ins, header.p1, header.p2, len >> 8, len & 0xff]),
      body,
    ),
  );
  return concatBytes(body, mac);
}

export interface SmResponse {
  innerSw: number;
  /** Decrypted (when asked) payload. */
  payload: Uint8Array;
  /** The payload bytes as sent (payload''). */
  wire: Uint8Array;
  rmacValid: boolean;
}

/** §4.7.4: checks the R-MAC of an SM response's data and decrypts its payload when asked. */
export function unprotectResponse(
  keys: SessionKeys,
  sscValue: number,
  data: Uint8Array,
  decrypt: boolean,
): SmResponse {
  if (data.length < 10) throw new Error(`SM response of ${data.length} bytes (need inner SW and R-MAC)`);
  const s = ssc(sscValue);
  const innerSw = (data[0]! << 8) | data[1]!;
  const wire = data.subarray(2, data.length - 8);
  const rmac = data.subarray(data.length - 8);
  const expected = cmac8(keys.rmac, concatBytes(s, data.subarray(0, 2), wire));
  const rmacValid = expected.every((b, i) => b === rmac[i]);
  let payload = wire;
  if (decrypt && wire.length > 0) {
    if (!keys.enc || wire.length % 16 !== 0)
      throw new Error('encrypted response payload is not whole AES blocks');
    const iv = aesEcb(keys.enc, concatBytes(new Uint8Array([0x80]), s.subarray(1)));
    const plain = unpad(aesCbc(keys.enc, iv, wire, true));
    if (!plain) throw new Error('encrypted response payload has invalid padding');
    payload = plain;
  }
  return { innerSw, payload, wire, rmacValid };
}
