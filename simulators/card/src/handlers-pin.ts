import {
  bytesEqual,
  Capability,
  type InsName,
  isValidPinBlock,
  Limits,
  SW,
  swWrongPin,
} from '@huduma/card-applet-spec';
import { type AppletContext, type Reply, reply } from './context';
import { cloneCardState } from './state';

/**
 * PIN, PUK and identity (§6.4–6.6, §6.13), all inside a SECURE session. The try counters behave
 * as `OwnerPIN` (§10.5): decremented and committed before the comparison, reset in a second write.
 */
export function runPinCommand(a: AppletContext, name: InsName, payload: Uint8Array): Reply | undefined {
  switch (name) {
    case 'VERIFY_PIN':
      return verifyPin(a, payload);
    case 'CHANGE_PIN':
      return changePin(a, payload);
    case 'UNBLOCK_PIN':
      return unblockPin(a, payload);
    case 'READ_IDENTITY':
      return readIdentity(a);
    default:
      return undefined;
  }
}

/**
 * OwnerPIN.check: tries − 1 committed (tear point "pin:decremented" after it), then the
 * comparison; on a match the counter is reset in its own write.
 */
function checkPin(a: AppletContext, which: 'pin' | 'puk', block: Uint8Array): boolean {
  const dec = cloneCardState(a.state);
  if (which === 'pin') dec.pinTries -= 1;
  else dec.pukTries -= 1;
  a.persist(dec, `${which}:decrement`);
  a.tear(`${which}:decremented`);
  const stored = which === 'pin' ? a.state.pinBlock : a.state.pukBlock;
  const match = stored !== undefined && bytesEqual(stored, block);
  if (match) {
    const reset = cloneCardState(a.state);
    if (which === 'pin') reset.pinTries = Limits.PIN_TRIES;
    else reset.pukTries = Limits.PUK_TRIES;
    a.persist(reset, `${which}:reset`);
  }
  return match;
}

function resetNoCvmSpend(a: AppletContext): void {
  if (a.state.noCvmSpend === 0) return;
  const next = cloneCardState(a.state);
  next.noCvmSpend = 0;
  a.persist(next, 'no-cvm-spend:reset');
}

/** §6.4. */
function verifyPin(a: AppletContext, payload: Uint8Array): Reply {
  const session = a.session;
  // The query is the MAC-only form (Lc 08, §6.4): nothing was encrypted.
  if (a.info.lc === 8) {
    if (session.cvmToken) return reply(SW.OK);
    if (a.state.pinTries === 0) return reply(SW.AUTH_METHOD_BLOCKED);
    return reply(swWrongPin(a.state.pinTries));
  }
  if (a.state.pinTries === 0) return reply(SW.AUTH_METHOD_BLOCKED); // 1
  if (!isValidPinBlock(payload, 'PIN')) return reply(SW.WRONG_DATA); // 2
  if (checkPin(a, 'pin', payload)) {
    resetNoCvmSpend(a);
    session.cvmToken = true;
    return reply(SW.OK);
  }
  session.cvmToken = false;
  return reply(swWrongPin(a.state.pinTries));
}

/** §6.5. */
function changePin(a: AppletContext, payload: Uint8Array): Reply {
  const session = a.session;
  const oldBlock = payload.subarray(0, 8);
  const newBlock = payload.subarray(8);
  if (payload.length !== 16 || !isValidPinBlock(newBlock, 'PIN')) return reply(SW.WRONG_DATA);
  if (a.state.pinTries === 0) return reply(SW.AUTH_METHOD_BLOCKED);
  if (!isValidPinBlock(oldBlock, 'PIN')) return reply(SW.WRONG_DATA);
  if (!checkPin(a, 'pin', oldBlock)) {
    session.cvmToken = false;
    return reply(swWrongPin(a.state.pinTries));
  }
  const next = cloneCardState(a.state);
  next.pinBlock = newBlock.slice();
  next.pinTries = Limits.PIN_TRIES;
  a.persist(next, 'pin:update');
  resetNoCvmSpend(a);
  session.cvmToken = true;
  return reply(SW.OK);
}

/** §6.6. */
function unblockPin(a: AppletContext, payload: Uint8Array): Reply {
  const reg = a.session.terminal!;
  if ((reg.capabilities & Capability.UNBLOCK_PIN) === 0) return reply(SW.CAPABILITY_MISSING); // 1
  if (a.state.pukTries === 0) return reply(SW.AUTH_METHOD_BLOCKED); // 2
  const puk = payload.subarray(0, 8);
  const newPin = payload.subarray(8);
  if (payload.length !== 16 || !isValidPinBlock(puk, 'PUK') || !isValidPinBlock(newPin, 'PIN')) {
    return reply(SW.WRONG_DATA); // 3
  }
  const dec = cloneCardState(a.state);
  dec.pukTries -= 1;
  a.persist(dec, 'puk:decrement'); // 4
  a.tear('puk:decremented');
  if (!a.state.pukBlock || !bytesEqual(a.state.pukBlock, puk)) return reply(swWrongPin(a.state.pukTries));
  // 5: PIN, PIN tries, PUK tries and noCvmSpend in one transaction
  const next = cloneCardState(a.state);
  next.pinBlock = newPin.slice();
  next.pinTries = Limits.PIN_TRIES;
  next.pukTries = Limits.PUK_TRIES;
  next.noCvmSpend = 0;
  a.persist(next, 'unblock');
  return reply(SW.OK);
}

/** §6.13: the response is encrypted by the SM layer (READ IDENTITY's "enc response"). */
function readIdentity(a: AppletContext): Reply {
  const reg = a.session.terminal!;
  if ((reg.capabilities & Capability.IDENTITY_READ) === 0) return reply(SW.CAPABILITY_MISSING);
  if (!a.session.cvmToken) return reply(SW.CVM_REQUIRED);
  if (!a.state.identity) return reply(SW.REFERENCED_DATA_NOT_FOUND);
  return reply(SW.OK, a.state.identity.slice());
}
