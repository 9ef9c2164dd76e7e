/**
 * Personalization with raw §7 commands: the issuer-authenticated PERSO session (INITIALIZE +
 * EXTERNAL AUTHENTICATE PERSO), STORE DATA, GENERATE KEY PAIR with its attestation, the card
 * certificate and FINALIZE. Used by the §16.6 checks and to turn blank cards into test cards
 * without the SDK (the suite must not trust the code it checks).
 */
import { bytesEqual, concatBytes, keyIdOf, toHex, u16, u32, verifyMessage } from '@huduma/card-applet-spec';
import { type RawCard, swHex } from './raw';
import { cmac, persoSessionKeys, protectCommand, type SessionKeys, unprotectResponse } from './sm';
import type { ConformanceKeys } from './target';
import {
  AID_V2,
  bcd,
  certSigningMessage,
  decodeFci,
  Ins,
  KES,
  keyAttestationMessage,
  pinBlock,
} from './wire';

/** The card the suite personalizes: card number, PIN, PUK, purse parameters, identity. */
export interface PersonalizationProfile {
  cardNumber: string;
  pin: string;
  puk: string;
  maxBalance: number;
  offlineLimit: number;
  cvmLimit: number;
  noCvmLimit: number;
  currency?: number;
  /** An encoded §2.2 identity template, or none. */
  identity?: Uint8Array;
  notBefore?: number;
  notAfter?: number;
}

/** §2.2: the identity template (tags 80–85, BER lengths). */
export function encodeIdentity(fields: {
  type: number;
  hudumaNamba: string;
  idNumber: string;
  name: string;
  nhif?: string;
  nssf?: string;
}) {
  const enc = new TextEncoder();
  const tlv = (t: number, v: Uint8Array) =>
    concatBytes(new Uint8Array(v.length > 127 ? [t, 0x81, v.length] : [t, v.length]), v);
  const inner = concatBytes(
    tlv(0x80, new Uint8Array([fields.type])),
    tlv(0x81, enc.encode(fields.hudumaNamba)),
    tlv(0x82, enc.encode(fields.idNumber)),
    tlv(0x83, enc.encode(fields.name)),
    fields.nhif ? tlv(0x84, enc.encode(fields.nhif)) : new Uint8Array(),
    fields.nssf ? tlv(0x85, enc.encode(fields.nssf)) : new Uint8Array(),
  );
  return tlv(0xe1, inner);
}

export const CONFORMANCE_PROFILE: PersonalizationProfile = {
  cardNumber: '8404000123456787',
  pin: '1234',
  puk: '12345678',
  maxBalance: 10_000_000,
  offlineLimit: 2_000_000,
  cvmLimit: 500_000,
  noCvmLimit: 1_000_000,
  identity: encodeIdentity({
    type: 1,
    hudumaNamba: 'HN-0034567812',
    idNumber: '34567812',
    name: 'Wanjiru Njoroge Müller',
    nhif: 'NHIF-7781234',
    nssf: 'NSSF-2219876',
  }),
};

export class PersoError extends Error {
  constructor(
    message: string,
    readonly sw: number,
  ) {
    super(message);
  }
}

/** One PERSO session on a blank card, terminal (issuer) side computed by the suite. */
export class PersoSession {
  chipSerial: Uint8Array = new Uint8Array(8);
  rndC: Uint8Array = new Uint8Array(16);
  keys?: SessionKeys;
  ssc = 0;
  att?: Uint8Array;
  hostCryptogram: Uint8Array = new Uint8Array(8);
  constructor(
    readonly card: RawCard,
    readonly keys0: ConformanceKeys,
  ) {}

  /** INITIALIZE PERSO (§7.2); verifies the card cryptogram. Returns the plain SW. */
  async initialize(rndH: Uint8Array): Promise<number> {
    const r = await this.card.send(0x80, Ins.INITIALIZE_PERSO, 0, 0, rndH, 0);
    if (r.sw !== 0x9000) return r.sw;
    if (r.data.length !== 32)
      throw new PersoError(`INITIALIZE PERSO answered ${r.data.length} bytes, expected 32`, r.sw);
    if (!this.keys0.installKeys)
      throw new PersoError('the target gave no install keys (keys.installKeys)', r.sw);
    this.chipSerial = r.data.slice(0, 8);
    this.rndC = r.data.slice(8, 24);
    const install = this.keys0.installKeys(this.chipSerial);
    this.att = install.att;
    const s = persoSessionKeys(install.persoEnc, install.persoMac, this.rndC, rndH);
    if (!bytesEqual(s.cryptogram, r.data.subarray(24, 32)))
      throw new PersoError(
        'INITIALIZE PERSO: card cryptogram does not verify with K.perso of chipSerial (§7.2)',
        r.sw,
      );
    this.keys = s.keys;
    this.hostCryptogram = s.hostCryptogram;
    this.ssc = 0;
    return r.sw;
  }

  /** An SM command of the PERSO session; returns plain SW and inner SW/payload. */
  async send(
    ins: number,
    p1: number,
    payload: Uint8Array,
    opts: { encrypt?: boolean; tamper?: boolean } = {},
  ) {
    const keys = this.keys;
    if (!keys) throw new PersoError('no PERSO session', 0);
    const ssc = this.ssc + 1;
    const data = protectCommand(keys, ssc, { cla: 0x8c, ins, p1, p2: 0 }, payload, opts.encrypt ?? false);
    if (opts.tamper) data[data.length - 1]! ^= 1;
    const r =
      data.length > 255
        ? await this.card.sendChained(0x8c, ins, p1, 0, data)
        : await this.card.send(0x8c, ins, p1, 0, data, 0);
    // Plain errors come before the SSC moves (§6.0.3 steps 1–7, §4.7.5), except 6988 (session gone).
    if (r.sw === 0x6988) this.keys = undefined;
    if (r.sw !== 0x9000) return { sw: r.sw, inner: 0, payload: new Uint8Array() };
    this.ssc = ssc;
    const res = unprotectResponse(keys, ssc, r.data, false);
    if (!res.rmacValid)
      throw new PersoError(`R-MAC of the PERSO response to ${ins.toString(16)} does not verify`, r.sw);
    return { sw: r.sw, inner: res.innerSw, payload: res.payload };
  }

  async authenticate(tamperCryptogram = false) {
    const hc = this.hostCryptogram.slice();
    if (tamperCryptogram) hc[0]! ^= 1;
    return this.send(Ins.EXTERNAL_AUTHENTICATE_PERSO, 0, hc);
  }

  storeData(object: number, data: Uint8Array) {
    return this.send(Ins.STORE_DATA, object, data, { encrypt: true });
  }

  /** GENERATE KEY PAIR (§7.5); verifies attMac (K.att) and attSig (signingKey or the new key). */
  async generate(kk: 1 | 2, signingKey?: Uint8Array) {
    const nonce = crypto.getRandomValues(new Uint8Array(16));
    const r = await this.send(Ins.GENERATE_KEY_PAIR, kk, nonce);
    if (r.sw !== 0x9000 || r.inner !== 0x9000)
      return { ...r, publicKey: undefined, attOk: false, macOk: false, sigOk: false };
    if (r.payload.length !== 145)
      throw new PersoError(`GENERATE KEY PAIR payload of ${r.payload.length} bytes, expected 145`, r.sw);
    const publicKey = r.payload.slice(0, 65);
    const m = keyAttestationMessage(this.chipSerial, kk, publicKey, nonce);
    const macOk = this.att !== undefined && bytesEqual(cmac(this.att, m), r.payload.subarray(129, 145));
    const sigOk = verifyMessage(
      kk === 1 ? publicKey : (signingKey ?? publicKey),
      m,
      r.payload.subarray(65, 129),
    );
    return { ...r, publicKey, attOk: macOk && sigOk, macOk, sigOk };
  }
}

/** A 230-byte card certificate signed by the issuer CA (the suite plays the CA, §7.6 trusted). */
export async function signCardCertificate(
  keys: ConformanceKeys,
  cardNumber: Uint8Array,
  pkCard: Uint8Array,
  qaCard: Uint8Array,
  notBefore: number,
  notAfter: number,
): Promise<Uint8Array> {
  if (!keys.issuerCa) throw new PersoError('personalization needs the issuer CA signer (keys.issuerCa)', 0);
  const tbs = concatBytes(
    new Uint8Array([2, 1]),
    keyIdOf(keys.issuerCaPublicKey),
    cardNumber,
    new Uint8Array(8),
    u16(0),
    u32(notBefore),
    u32(notAfter),
    pkCard,
    qaCard,
  );
  return concatBytes(tbs, await keys.issuerCa.sign(certSigningMessage(tbs)));
}

export const trustedKeyObject = (usage: number, publicKey: Uint8Array) =>
  concatBytes(new Uint8Array([usage]), keyIdOf(publicKey), publicKey);

export function purseParameters(p: PersonalizationProfile): Uint8Array {
  return concatBytes(
    u32(p.maxBalance),
    u32(p.offlineLimit),
    u32(p.cvmLimit),
    u32(p.noCvmLimit),
    u16(p.currency ?? KES),
  );
}

/**
 * Personalizes a blank card with raw §7 commands. Throws PersoError naming the failing step and
 * its status word. Returns the card certificate.
 */
export async function personalizeRaw(
  card: RawCard,
  keys: ConformanceKeys,
  profile: PersonalizationProfile = CONFORMANCE_PROFILE,
): Promise<Uint8Array> {
  const sel = await card.send(0x00, Ins.SELECT, 0x04, 0x00, AID_V2, 0);
  if (sel.sw !== 0x9000) throw new PersoError(`SELECT of the blank card answered ${swHex(sel.sw)}`, sel.sw);
  decodeFci(sel.data);
  const s = new PersoSession(card, keys);
  const step = (what: string, r: { sw: number; inner: number }) => {
    if (r.sw !== 0x9000 || r.inner !== 0x9000)
      throw new PersoError(`personalization: ${what} answered ${swHex(r.sw)}/inner ${swHex(r.inner)}`, r.sw);
  };
  const init = await s.initialize(crypto.getRandomValues(new Uint8Array(16)));
  if (init !== 0x9000) throw new PersoError(`INITIALIZE PERSO answered ${swHex(init)}`, init);
  step('EXTERNAL AUTHENTICATE PERSO', await s.authenticate());
  const cn = bcd(profile.cardNumber);
  step('STORE DATA card number', await s.storeData(1, cn));
  if (profile.identity) step('STORE DATA identity', await s.storeData(2, profile.identity));
  step('STORE DATA purse parameters', await s.storeData(3, purseParameters(profile)));
  step('STORE DATA PIN', await s.storeData(4, pinBlock(profile.pin)));
  step('STORE DATA PUK', await s.storeData(5, pinBlock(profile.puk)));
  step('STORE DATA terminal CA', await s.storeData(6, trustedKeyObject(1, keys.acquirerCa.publicKey)));
  step('STORE DATA load authority', await s.storeData(6, trustedKeyObject(2, keys.loadAuthority.publicKey)));
  const sk = await s.generate(1);
  step('GENERATE KEY PAIR 01', sk);
  if (!sk.attOk) throw new PersoError('GENERATE KEY PAIR 01: attestation does not verify', 0x9000);
  const ka = await s.generate(2, sk.publicKey);
  step('GENERATE KEY PAIR 02', ka);
  if (!ka.attOk) throw new PersoError('GENERATE KEY PAIR 02: attestation does not verify', 0x9000);
  const t = Math.floor(Date.now() / 1000);
  const cert = await signCardCertificate(
    keys,
    cn,
    sk.publicKey!,
    ka.publicKey!,
    profile.notBefore ?? t - 86_400,
    profile.notAfter ?? t + 5 * 365 * 86_400,
  );
  step('STORE DATA card certificate', await s.storeData(7, cert));
  step('FINALIZE', await s.send(Ins.FINALIZE, 0, new Uint8Array()));
  return cert;
}

export { toHex };
