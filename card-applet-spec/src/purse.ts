import { ByteReader, concatBytes, u16, u32 } from './bytes';
import { LifeCycle, type LifeCycleState } from './constants';
import { SpecCodecError } from './errors';

/** True when a u16 is a 4-digit BCD value (ISO 4217 numeric written in BCD, §1). */
export function isBcdCurrency(currency: number): boolean {
  if (!Number.isInteger(currency) || currency < 0 || currency > 0xffff) return false;
  for (let shift = 0; shift < 16; shift += 4) if (((currency >> shift) & 0xf) > 9) return false;
  return true;
}

export function assertBcdCurrency(currency: number, offset?: number): void {
  if (!isBcdCurrency(currency))
    throw new SpecCodecError('ERR_CURRENCY', `currency ${currency.toString(16)} is not BCD`, offset);
}

/**
 * The purse (SPEC.md §2.3), 40 bytes, returned by READ PURSE and in the FCI: balance ‖ maxBalance
 * ‖ counter ‖ syncedThrough ‖ offlineSpend ‖ offlineLimit ‖ cvmLimit ‖ noCvmSpend ‖ noCvmLimit (u32
 * each) ‖ currency 2 ‖ life cycle 1 ‖ PIN status 1 (bits 0–3 PIN tries, bit 7 PUK blocked).
 */
export interface Purse {
  balance: number;
  maxBalance: number;
  counter: number;
  syncedThrough: number;
  offlineSpend: number;
  offlineLimit: number;
  cvmLimit: number;
  noCvmSpend: number;
  noCvmLimit: number;
  currency: number;
  lifeCycle: LifeCycleState;
  pinTriesLeft: number;
  pukBlocked: boolean;
}

export function encodePurse(p: Purse): Uint8Array {
  return concatBytes(
    u32(p.balance),
    u32(p.maxBalance),
    u32(p.counter),
    u32(p.syncedThrough),
    u32(p.offlineSpend),
    u32(p.offlineLimit),
    u32(p.cvmLimit),
    u32(p.noCvmSpend),
    u32(p.noCvmLimit),
    u16(p.currency),
    new Uint8Array([p.lifeCycle, (p.pinTriesLeft & 0x0f) | (p.pukBlocked ? 0x80 : 0)]),
  );
}

export function decodePurse(bytes: Uint8Array): Purse {
  const r = new ByteReader(bytes, 'purse');
  const balance = r.u32('balance');
  const maxBalance = r.u32('maxBalance');
  const counter = r.u32('counter');
  const syncedThrough = r.u32('syncedThrough');
  const offlineSpend = r.u32('offlineSpend');
  const offlineLimit = r.u32('offlineLimit');
  const cvmLimit = r.u32('cvmLimit');
  const noCvmSpend = r.u32('noCvmSpend');
  const noCvmLimit = r.u32('noCvmLimit');
  const currency = r.u16('currency');
  const lifeCycle = r.u8('lifeCycle') as LifeCycleState;
  const pinStatus = r.u8('pinStatus');
  r.end();
  if (!Object.values(LifeCycle).includes(lifeCycle)) {
    // A v2 card never reports 04 (v1's TERMINATED): a terminal must treat it as invalid (§3).
    throw new SpecCodecError('ERR_LIFE_CYCLE', `unknown life-cycle state ${lifeCycle}`, 38);
  }
  return {
    balance,
    maxBalance,
    counter,
    syncedThrough,
    offlineSpend,
    offlineLimit,
    cvmLimit,
    noCvmSpend,
    noCvmLimit,
    currency,
    lifeCycle,
    pinTriesLeft: pinStatus & 0x0f,
    pukBlocked: (pinStatus & 0x80) !== 0,
  };
}

/** STORE DATA 03 purse parameters (§7.4), 18 bytes. */
export interface PurseParameters {
  maxBalance: number;
  offlineLimit: number;
  cvmLimit: number;
  noCvmLimit: number;
  currency: number;
}

export function encodePurseParameters(p: PurseParameters): Uint8Array {
  return concatBytes(
    u32(p.maxBalance),
    u32(p.offlineLimit),
    u32(p.cvmLimit),
    u32(p.noCvmLimit),
    u16(p.currency),
  );
}

/** Decodes and applies the §7.4 content rule (limits ordered, currency BCD). */
export function decodePurseParameters(bytes: Uint8Array): PurseParameters {
  const r = new ByteReader(bytes, 'purse parameters');
  const p = {
    maxBalance: r.u32('maxBalance'),
    offlineLimit: r.u32('offlineLimit'),
    cvmLimit: r.u32('cvmLimit'),
    noCvmLimit: r.u32('noCvmLimit'),
    currency: r.u16('currency'),
  };
  r.end();
  if (p.offlineLimit > p.maxBalance || p.cvmLimit > p.noCvmLimit || p.noCvmLimit > p.maxBalance) {
    throw new SpecCodecError(
      'ERR_PURSE_PARAMETERS',
      'limits must satisfy offlineLimit ≤ max, cvm ≤ noCvm ≤ max',
    );
  }
  assertBcdCurrency(p.currency, 16);
  return p;
}
