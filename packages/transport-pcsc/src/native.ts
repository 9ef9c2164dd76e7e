import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The pcsclite addon's own classes, used below its JS wrapper: the wrapper hides when the reader
 * list has arrived, opens one connection per reader object and cannot restart after pcscd dies.
 * Each NativeCardReader owns its PC/SC contexts (one for status, one for connect/transmit).
 */
export interface NativePcscLite {
  start(callback: (error: Error | undefined, readers?: Buffer) => void): void;
  close(): void;
}

export interface NativeCardReader {
  readonly name: string;
  get_status(callback: (error: Error | undefined, state?: number, atr?: Buffer) => void): void;
  _connect(
    shareMode: number,
    protocol: number,
    callback: (error: Error | null, protocol?: number) => void,
  ): void;
  _disconnect(disposition: number, callback: (error: Error | null) => void): void;
  _transmit(
    data: Buffer,
    responseLength: number,
    protocol: number,
    callback: (error: Error | null, response?: Buffer) => void,
  ): void;
  close(): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

interface NativeModule {
  PCSCLite: new () => NativePcscLite;
  CardReader: new (name: string) => NativeCardReader;
}

export const SHARE = { SHARED: 2, EXCLUSIVE: 1 } as const;
export const PROTOCOL = { T0: 1, T1: 2 } as const;
export const DISPOSITION = { LEAVE: 0, RESET: 1, UNPOWER: 2 } as const;
export const STATE = {
  CHANGED: 0x2,
  UNKNOWN: 0x4,
  UNAVAILABLE: 0x8,
  EMPTY: 0x10,
  PRESENT: 0x20,
  EXCLUSIVE: 0x80,
  INUSE: 0x100,
  MUTE: 0x200,
} as const;

let loaded: NativeModule | undefined;

export function nativeModule(): NativeModule {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  // The wrapper gives the addon's CardReader its EventEmitter methods (the addon emits '_end').
  require('pcsclite');
  const root = dirname(require.resolve('pcsclite/package.json'));
  const addon = require(join(root, 'build', 'Release', 'pcsclite.node')) as NativeModule;
  if (typeof (addon.CardReader.prototype as { emit?: unknown }).emit !== 'function') {
    throw new Error('pcsclite addon loaded twice: its CardReader lacks EventEmitter methods');
  }
  loaded = addon;
  return addon;
}

/** Reader names out of the multi-string (NUL-separated, double-NUL-terminated) list. */
export function parseReaderList(buffer: Buffer | undefined): string[] {
  if (!buffer) return [];
  return buffer
    .toString('utf8')
    .split('\u0000')
    .filter((name) => name.length > 0);
}

/**
 * Native reader objects for card connections, reused rather than closed.
 *
 * The addon leaves a reader's status-thread field uninitialized unless get_status() ran, and both
 * close() and the destructor (on GC) act on it: closing or collecting such an object can crash the
 * process. So connection readers are never closed and stay referenced; each keeps one PC/SC
 * context, and is handed to the next connection to the same reader once disconnected.
 */
const idleConnectionReaders = new Map<string, NativeCardReader[]>();
const allConnectionReaders = new Set<NativeCardReader>();

export function acquireConnectionReader(name: string): { native: NativeCardReader; reused: boolean } {
  const idle = idleConnectionReaders.get(name)?.pop();
  if (idle) return { native: idle, reused: true };
  const native = new (nativeModule().CardReader)(name);
  allConnectionReaders.add(native);
  return { native, reused: false };
}

/** Returns a disconnected reader object for reuse (`reusable` false: its context is dead). */
export function releaseConnectionReader(native: NativeCardReader, reusable: boolean): void {
  if (!reusable) return; // stays referenced in allConnectionReaders, never collected
  const list = idleConnectionReaders.get(native.name) ?? [];
  if (!list.includes(native)) list.push(native);
  idleConnectionReaders.set(native.name, list);
}
