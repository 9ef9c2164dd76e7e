/**
 * Session keys and secure messaging (SPEC.md §4.4–4.7, §7.2): the one implementation both the
 * card (simulator) and the terminal (SDK, conformance) use, so a byte difference between them
 * can only be a spec bug, caught by the vectors of §15.
 */
import { concatBytes, u16 } from './bytes';
import { DomainTag, SessionType, type SessionTypeCode, Size } from './constants';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesEncryptBlock,
  cmac8,
  domainTag,
  kdfExpand,
  kdfExtract,
  macEqual,
} from './crypto';
import { SpecCodecError } from './errors';

/** The keys of one session (§4.5). A TAP session has no `enc`. */
export interface SessionKeys {
  enc?: Uint8Array;
  mac: Uint8Array;
  rmac: Uint8Array;
}

/** `K.link` (§4.4) from the static ECDH output Z.s. */
export function deriveLinkKey(zs: Uint8Array, cardNumber: Uint8Array, termCertId: Uint8Array): Uint8Array {
  if (cardNumber.length !== Size.CARD_NUMBER || termCertId.length !== Size.CERT_ID) {
    throw new SpecCodecError('ERR_KDF_INPUT', 'card number and termCertId must be 8 bytes each');
  }
  const prk = kdfExtract(domainTag(DomainTag.SALT), zs);
  return kdfExpand(prk, DomainTag.LINK, concatBytes(cardNumber, termCertId));
}

/** ctx = RND.C(16) ‖ RND.T(16) ‖ type(1) (§4.5; for PERSO RND.T is RND.H and type is 02). */
export function sessionContext(rndC: Uint8Array, rndT: Uint8Array, type: SessionTypeCode): Uint8Array {
  if (rndC.length !== Size.CHALLENGE || rndT.length !== Size.CHALLENGE) {
    throw new SpecCodecError('ERR_KDF_INPUT', 'RND.C and RND.T must be 16 bytes each');
  }
  return concatBytes(rndC, rndT, new Uint8Array([type]));
}

/**
 * TAP / SECURE session keys (§4.5). For SECURE, `ze` is the ephemeral ECDH output Z.e and the
 * PRK is Extract(K.link, Z.e); for TAP the PRK is K.link itself and there is no S.ENC.
 */
export function deriveSessionKeys(input: {
  linkKey: Uint8Array;
  type: typeof SessionType.TAP | typeof SessionType.SECURE;
  rndC: Uint8Array;
  rndT: Uint8Array;
  ze?: Uint8Array;
}): SessionKeys {
  const ctx = sessionContext(input.rndC, input.rndT, input.type);
  if (input.type === SessionType.TAP) {
    return {
      mac: kdfExpand(input.linkKey, DomainTag.SMAC, ctx),
      rmac: kdfExpand(input.linkKey, DomainTag.SRMAC, ctx),
    };
  }
  if (!input.ze) throw new SpecCodecError('ERR_KDF_INPUT', 'a SECURE session needs Z.e');
  const prk = kdfExtract(input.linkKey, input.ze);
  return {
    enc: kdfExpand(prk, DomainTag.SENC, ctx),
    mac: kdfExpand(prk, DomainTag.SMAC, ctx),
    rmac: kdfExpand(prk, DomainTag.SRMAC, ctx),
  };
}

/** PERSO session keys (§4.6.2, §7.2): ctx.p = RND.C ‖ RND.H ‖ 02. */
export function derivePersoSessionKeys(input: {
  persoEncKey: Uint8Array;
  persoMacKey: Uint8Array;
  rndC: Uint8Array;
  rndH: Uint8Array;
}): SessionKeys {
  const ctx = sessionContext(input.rndC, input.rndH, SessionType.PERSO);
  return {
    enc: kdfExpand(input.persoEncKey, DomainTag.SENC, ctx),
    mac: kdfExpand(input.persoMacKey, DomainTag.SMAC, ctx),
    rmac: kdfExpand(input.persoMacKey, DomainTag.SRMAC, ctx),
  };
}

/** The per-card keys the issuer HSM loads at applet install (§7.1). */
export function diversifyCardKeys(
  masters: { persoMaster: Uint8Array; attestationMaster: Uint8Array },
  chipSerial: Uint8Array,
): { persoEncKey: Uint8Array; persoMacKey: Uint8Array; attestationKey: Uint8Array } {
  if (chipSerial.length !== Size.CHIP_SERIAL)
    throw new SpecCodecError('ERR_KDF_INPUT', 'chipSerial must be 8 bytes');
  return {
    persoEncKey: kdfExpand(masters.persoMaster, DomainTag.PERSO_ENC, chipSerial),
    persoMacKey: kdfExpand(masters.persoMaster, DomainTag.PERSO_MAC, chipSerial),
    attestationKey: kdfExpand(masters.attestationMaster, DomainTag.ATTESTATION_KEY, chipSerial),
  };
}

/** cardCryptogram = CMAC8(S.RMAC, T("HUDUMA-CCRY-v2") ‖ RND.C ‖ RND.T ‖ type) (§4.5, §7.2). */
export function cardCryptogram(
  keys: SessionKeys,
  rndC: Uint8Array,
  rndT: Uint8Array,
  type: SessionTypeCode,
): Uint8Array {
  return cmac8(
    keys.rmac,
    concatBytes(domainTag(DomainTag.CARD_CRYPTOGRAM), sessionContext(rndC, rndT, type)),
  );
}

/** hostCryptogram = CMAC8(S.MAC, T("HUDUMA-HCRY-v2") ‖ RND.H ‖ RND.C ‖ 02) (§7.3). */
export function hostCryptogram(keys: SessionKeys, rndH: Uint8Array, rndC: Uint8Array): Uint8Array {
  return cmac8(
    keys.mac,
    concatBytes(domainTag(DomainTag.HOST_CRYPTOGRAM), sessionContext(rndH, rndC, SessionType.PERSO)),
  );
}

/** The 16-byte big-endian SSC for a counter value (§4.7.2). */
export function sscBytes(ssc: number): Uint8Array {
  if (!Number.isSafeInteger(ssc) || ssc < 0) throw new SpecCodecError('ERR_RANGE', `bad SSC ${ssc}`);
  const out = new Uint8Array(Size.SSC);
  let v = ssc;
  for (let i = 15; i >= 0 && v > 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** ISO/IEC 9797-1 padding method 2, always applied (§4.7.3). */
export function padM2(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / 16) + 1) * 16);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** Removes method-2 padding; undefined when the padding is invalid. */
export function unpadM2(data: Uint8Array): Uint8Array | undefined {
  if (data.length === 0 || data.length % 16 !== 0) return undefined;
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0x00) i--;
  if (i < 0 || data[i] !== 0x80 || data.length - i > 16) return undefined;
  return data.slice(0, i);
}

/** Length of the SM data field for a payload of `n` bytes (§4.7.3). */
export function wrappedLength(n: number, encrypted: boolean): number {
  return (encrypted ? (Math.floor(n / 16) + 1) * 16 : n) + Size.MAC;
}

/** The command header as the C-MAC covers it (CLA without the chaining bit). */
export interface SmHeader {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
}

function cmacInput(ssc: Uint8Array, h: SmHeader, dataLength: number, payload: Uint8Array): Uint8Array {
  return concatBytes(ssc, new Uint8Array([h.cla & ~0x10, h.ins, h.p1, h.p2]), u16(dataLength), payload);
}

function requireEnc(keys: SessionKeys): Uint8Array {
  if (!keys.enc)
    throw new SpecCodecError('ERR_SM', 'this session has no S.ENC (TAP): nothing can be encrypted');
  return keys.enc;
}

/** Terminal side: the SM data field `payload' ‖ C-MAC` of a command sent with SSC `ssc` (§4.7.3). */
export function wrapCommand(
  keys: SessionKeys,
  ssc: number,
  header: SmHeader,
  payload: Uint8Array,
  encrypted: boolean,
): Uint8Array {
  const s = sscBytes(ssc);
  let body = payload;
  if (encrypted) {
    const enc = requireEnc(keys);
    body = aesCbcEncrypt(enc, aesEncryptBlock(enc, s), padM2(payload));
  }
  const mac = cmac8(keys.mac, cmacInput(s, header, body.length + Size.MAC, body));
  return concatBytes(body, mac);
}

/** Card-side result of unwrapping a command: the payload, or why it failed (§4.7.5). */
export type UnwrapCommandResult =
  | { ok: true; payload: Uint8Array }
  | { ok: false; reason: 'mac' | 'padding' };

/** Card side: checks the C-MAC and decrypts (the caller has already incremented the SSC). */
export function unwrapCommand(
  keys: SessionKeys,
  ssc: number,
  header: SmHeader,
  data: Uint8Array,
  encrypted: boolean,
): UnwrapCommandResult {
  if (data.length < Size.MAC) return { ok: false, reason: 'mac' };
  const s = sscBytes(ssc);
  const body = data.subarray(0, data.length - Size.MAC);
  const mac = data.subarray(data.length - Size.MAC);
  if (!macEqual(mac, cmac8(keys.mac, cmacInput(s, header, data.length, body))))
    return { ok: false, reason: 'mac' };
  if (!encrypted) return { ok: true, payload: body.slice() };
  const enc = requireEnc(keys);
  if (body.length === 0 || body.length % 16 !== 0) return { ok: false, reason: 'padding' };
  const payload = unpadM2(aesCbcDecrypt(enc, aesEncryptBlock(enc, s), body));
  return payload ? { ok: true, payload } : { ok: false, reason: 'padding' };
}

function responseIv(enc: Uint8Array, s: Uint8Array): Uint8Array {
  const ivInput = s.slice();
  ivInput[0] = 0x80;
  return aesEncryptBlock(enc, ivInput);
}

/**
 * Card side: the response data `innerSW ‖ payload'' ‖ R-MAC` sent under a plain 9000 (§4.7.4).
 * When innerSw ≠ 9000 the payload is empty whatever is passed.
 */
export function wrapResponse(
  keys: SessionKeys,
  ssc: number,
  innerSw: number,
  payload: Uint8Array,
  encrypted: boolean,
): Uint8Array {
  const s = sscBytes(ssc);
  let body = innerSw === 0x9000 ? payload : new Uint8Array(0);
  if (encrypted && body.length > 0) {
    const enc = requireEnc(keys);
    body = aesCbcEncrypt(enc, responseIv(enc, s), padM2(body));
  }
  const sw = u16(innerSw);
  return concatBytes(sw, body, cmac8(keys.rmac, concatBytes(s, sw, body)));
}

/** Terminal side: verifies the R-MAC and decrypts. Throws SpecCodecError ERR_RMAC / ERR_SM_PADDING. */
export function unwrapResponse(
  keys: SessionKeys,
  ssc: number,
  data: Uint8Array,
  encrypted: boolean,
): { sw: number; payload: Uint8Array } {
  if (data.length < 2 + Size.MAC) throw new SpecCodecError('ERR_RMAC', 'SM response shorter than SW + R-MAC');
  const s = sscBytes(ssc);
  const swBytes = data.subarray(0, 2);
  const body = data.subarray(2, data.length - Size.MAC);
  const mac = data.subarray(data.length - Size.MAC);
  if (!macEqual(mac, cmac8(keys.rmac, concatBytes(s, swBytes, body)))) {
    throw new SpecCodecError('ERR_RMAC', 'R-MAC does not verify');
  }
  const sw = (swBytes[0]! << 8) | swBytes[1]!;
  if (!encrypted || body.length === 0) return { sw, payload: body.slice() };
  const enc = requireEnc(keys);
  if (body.length % 16 !== 0)
    throw new SpecCodecError('ERR_SM_PADDING', 'encrypted response not block-aligned');
  const payload = unpadM2(aesCbcDecrypt(enc, responseIv(enc, s), body));
  if (!payload) throw new SpecCodecError('ERR_SM_PADDING', 'encrypted response has invalid padding');
  return { sw, payload };
}
