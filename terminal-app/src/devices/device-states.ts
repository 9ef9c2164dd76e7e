/**
 * The state of each of the counter's devices, as the console and the cashier page show it. One
 * model fed by the drivers (printer status answers and print outcomes, PIN pad plug events,
 * reader added/removed); words live in the message catalogs, keyed by these states.
 */
import type { PinPadState } from '@huduma/pinpad-hid';
import type { PrinterState, PrintFailureReason } from '@huduma/printer-escpos';
import { DEVICE_KINDS, type DeviceKind } from './device-config';

export const DEVICE_STATES = [
  'ready',
  'absent',
  'paper-out',
  'cover-open',
  'offline',
  'error',
  'disconnected',
  'not-configured',
] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

export type DeviceStates = Record<DeviceKind, DeviceState>;

/** A printer's status answer as a device state ('unreachable': no answer on the line). */
export function printerDeviceState(state: PrinterState): DeviceState {
  return state === 'unreachable' ? 'disconnected' : state;
}

/** What a failed print says about the printer (a write that failed: the line is gone). */
export function printFailureDeviceState(reason: PrintFailureReason): DeviceState | undefined {
  if (reason === 'invalid-document') return undefined; // the document, not the printer
  if (reason === 'write-failed') return 'disconnected';
  return printerDeviceState(reason);
}

export function pinPadDeviceState(state: PinPadState): DeviceState {
  return state === 'connected' ? 'ready' : 'absent';
}

/** Devices that are configured start as `absent` until a driver says otherwise. */
export class DeviceStateModel {
  private states: DeviceStates;
  private readonly listeners = new Set<(states: DeviceStates) => void>();

  constructor(configured: Partial<Record<DeviceKind, boolean>> = {}) {
    this.states = Object.fromEntries(
      DEVICE_KINDS.map((k) => [k, configured[k] ? 'absent' : 'not-configured']),
    ) as DeviceStates;
  }

  snapshot(): DeviceStates {
    return { ...this.states };
  }

  get(kind: DeviceKind): DeviceState {
    return this.states[kind];
  }

  /** Records a driver's news; listeners hear of it only when a state changed. */
  set(kind: DeviceKind, state: DeviceState): void {
    if (this.states[kind] === state) return;
    this.states = { ...this.states, [kind]: state };
    const snapshot = this.snapshot();
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch {
        // One failing listener must not stop the others or the driver that reported.
      }
    }
  }

  subscribe(listener: (states: DeviceStates) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Everything not ready, e.g. for a warning line; empty when all configured devices are ready. */
  problems(): Array<{ kind: DeviceKind; state: DeviceState }> {
    return DEVICE_KINDS.filter((k) => !['ready', 'not-configured'].includes(this.states[k])).map((kind) => ({
      kind,
      state: this.states[kind],
    }));
  }
}
