/**
 * The PN532 commands a reader needs (user manual §7), their parameters and the parsing of their
 * answers. Pure functions: the link that carries them is in link.ts.
 */
import { Pn532ProtocolError } from './errors';

export const CMD = {
  DIAGNOSE: 0x00,
  GET_FIRMWARE_VERSION: 0x02,
  SAM_CONFIGURATION: 0x14,
  RF_CONFIGURATION: 0x32,
  IN_DATA_EXCHANGE: 0x40,
  IN_LIST_PASSIVE_TARGET: 0x4a,
  IN_RELEASE: 0x52,
} as const;

/** Diagnose test number 6: ISO/IEC 14443-4 card presence detection. */
export const DIAGNOSE_CARD_PRESENCE = 0x06;
/** MI (more information) bit: of Tg from the host, of the status byte from the PN532. */
export const MI = 0x40;
/** Most data bytes one InDataExchange carries either way (user manual §7.3.8). */
export const MAX_EXCHANGE_DATA = 262;
/** BrTy of InListPassiveTarget: 106 kbps type A (ISO/IEC 14443 Type A). */
export const BRTY_106_TYPE_A = 0x00;
/** The IC byte GetFirmwareVersion returns on a PN532. */
export const IC_PN532 = 0x32;
/** The 0x55 run that wakes a PN532 from power-down on HSU, with the zeros that let it settle. */
export const WAKE_UP = Uint8Array.of(0x55, 0x55, ...new Array<number>(14).fill(0x00));

export interface FirmwareVersion {
  ic: number;
  version: number;
  revision: number;
  support: number;
}

export function parseFirmwareVersion(data: Uint8Array): FirmwareVersion {
  if (data.length !== 4)
    throw new Pn532ProtocolError(`GetFirmwareVersion answer of ${data.length} bytes, expected 4`);
  return { ic: data[0]!, version: data[1]!, revision: data[2]!, support: data[3]! };
}

/** A 106 kbps type A target as InListPassiveTarget reports it. */
export interface TypeATarget {
  tg: number;
  sensRes: number;
  selRes: number;
  uid: Uint8Array;
  /** The ATS (answer to select), including its length byte TL; empty for a non-ISO-DEP card. */
  ats: Uint8Array;
}

/** Parses InListPassiveTarget's answer for BrTy 0 (106 kbps type A); undefined when no target. */
export function parseTypeATarget(data: Uint8Array): TypeATarget | undefined {
  const fail = (what: string) =>
    new Pn532ProtocolError(`InListPassiveTarget answer malformed: ${what} (${data.length} bytes)`);
  if (data.length < 1) throw fail('no NbTg');
  if (data[0] === 0) return undefined;
  if (data.length < 6) throw fail('target data too short');
  const tg = data[1]!;
  const sensRes = (data[2]! << 8) | data[3]!;
  const selRes = data[4]!;
  const uidLength = data[5]!;
  const uidEnd = 6 + uidLength;
  if (data.length < uidEnd) throw fail('NFCID1 cut short');
  const uid = data.slice(6, uidEnd);
  let ats = new Uint8Array(0);
  if (data.length > uidEnd) {
    const tl = data[uidEnd]!;
    if (tl < 1 || data.length < uidEnd + tl) throw fail('ATS cut short');
    ats = data.slice(uidEnd, uidEnd + tl);
  }
  return { tg, sensRes, selRes, uid, ats };
}

/** SEL_RES bit 6: the card is compliant with ISO/IEC 14443-4 (speaks APDUs). */
export function isIsoDep(target: TypeATarget): boolean {
  return (target.selRes & 0x20) !== 0 && target.ats.length > 0;
}

/**
 * The ATR PC/SC readers build for an ISO/IEC 14443-4 type A card (PC/SC part 3 §3.1.3.2.3.1):
 * 3B 8n 80 01, the n historical bytes of the ATS, TCK. So a card reads the same through a
 * PN532 as through a PC/SC contactless reader.
 */
export function atrFromAts(ats: Uint8Array): Uint8Array {
  const historical = historicalBytesOfAts(ats).slice(0, 15);
  const body = [0x80 | historical.length, 0x80, 0x01, ...historical];
  const tck = body.reduce((a, b) => a ^ b, 0);
  return Uint8Array.of(0x3b, ...body, tck);
}

/** Historical bytes of an ATS: after TL, T0 and the interface bytes T0 announces. */
export function historicalBytesOfAts(ats: Uint8Array): Uint8Array {
  if (ats.length < 2) return new Uint8Array(0);
  const t0 = ats[1]!;
  let i = 2;
  for (const bit of [0x10, 0x20, 0x40]) if (t0 & bit) i++;
  return ats.slice(Math.min(i, ats.length), ats[0]);
}

/** Historical bytes of an ATR (after T0 and every interface byte). */
export function historicalBytesOfAtr(atr: Uint8Array): Uint8Array {
  if (atr.length < 2) return new Uint8Array(0);
  const k = atr[1]! & 0x0f;
  let y = atr[1]! >> 4;
  let i = 2;
  while (y) {
    let td: number | undefined;
    for (const bit of [1, 2, 4, 8]) {
      if (y & bit) {
        if (bit === 8) td = atr[i];
        i++;
      }
    }
    y = td === undefined ? 0 : td >> 4;
  }
  return atr.slice(i, i + k);
}
