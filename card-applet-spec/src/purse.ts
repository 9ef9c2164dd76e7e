import { ByteReader, concatBytes, u16, u32 } from './bytes';
import { CURRENCY_KES, LifeCycle, type LifeCycleState } from './constants';
import { SpecCodecError } from './errors';

/**
 * READ PURSE response and the purse inside the FCI (SPEC.md §2.3, §6.7), 28 bytes:
 * balance 4 ‖ max balance 4 ‖ counter 4 ‖ offline spend 4 ‖ offline limit 4 ‖ CVM limit 4 ‖
 * currency 2 (0x0404 KES) ‖ life-cycle state 1 ‖ PIN tries left 1. Amounts in cents.
 */
export interface Purse {
  balance: number;
  maxBalance: number;
  counter: number;
  offlineSpend: number;
  offlineLimit: number;
  /** Debits above this amount need the PIN verified in the same session. */
  cvmLimit: number;
  currency: number;
  lifeCycle: LifeCycleState;
  pinTriesLeft: number;
}

export function encodePurse(p: Purse): Uint8Array {
  return concatBytes(
    u32(p.balance),
    u32(p.maxBalance),
    u32(p.counter),
    u32(p.offlineSpend),
    u32(p.offlineLimit),
    u32(p.cvmLimit),
    u16(p.currency),
    new Uint8Array([p.lifeCycle, p.pinTriesLeft]),
  );
}

export function decodePurse(bytes: Uint8Array): Purse {
  const r = new ByteReader(bytes, 'purse');
  const purse = {
    balance: r.u32('balance'),
    maxBalance: r.u32('maxBalance'),
    counter: r.u32('counter'),
    offlineSpend: r.u32('offlineSpend'),
    offlineLimit: r.u32('offlineLimit'),
    cvmLimit: r.u32('cvmLimit'),
    currency: r.u16('currency'),
    lifeCycle: r.u8('lifeCycle') as LifeCycleState,
    pinTriesLeft: r.u8('pinTriesLeft'),
  };
  r.end();
  if (purse.currency !== CURRENCY_KES)
    throw new SpecCodecError('ERR_CURRENCY', `unknown currency ${purse.currency}`, 24);
  if (!Object.values(LifeCycle).includes(purse.lifeCycle)) {
    throw new SpecCodecError('ERR_LIFE_CYCLE', `unknown life-cycle state ${purse.lifeCycle}`, 26);
  }
  return purse;
}

/** STORE DATA purse parameters (personalization), 12 bytes: max balance 4 ‖ offline limit 4 ‖ CVM limit 4. */
export interface PurseParameters {
  maxBalance: number;
  offlineLimit: number;
  cvmLimit: number;
}

export function encodePurseParameters(p: PurseParameters): Uint8Array {
  return concatBytes(u32(p.maxBalance), u32(p.offlineLimit), u32(p.cvmLimit));
}

export function decodePurseParameters(bytes: Uint8Array): PurseParameters {
  const r = new ByteReader(bytes, 'purse parameters');
  const p = {
    maxBalance: r.u32('maxBalance'),
    offlineLimit: r.u32('offlineLimit'),
    cvmLimit: r.u32('cvmLimit'),
  };
  r.end();
  return p;
}
