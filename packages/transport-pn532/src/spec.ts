/** Reader specs in terminal configuration: `pn532:/dev/ttyS1` or `pn532:/dev/ttyUSB0@115200`. */
import { Pn532Reader, type Pn532ReaderOptions } from './reader';
import { DEFAULT_BAUD_RATE } from './serial';

export interface Pn532ReaderSpec {
  path: string;
  baudRate: number;
}

/** A reader spec that says pn532 but is not usable. Code `ERR_PN532_READER_SPEC`; `field` is `reader`. */
export class Pn532ReaderSpecError extends Error {
  readonly code = 'ERR_PN532_READER_SPEC';
  readonly field = 'reader';
}

const PREFIX = 'pn532:';
const BAUD_RATES = new Set([9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1288000]);

/** True when `spec` names a PN532 (starts with `pn532:`); other specs are someone else's (PC/SC names). */
export function isPn532ReaderSpec(spec: string): boolean {
  return spec.startsWith(PREFIX);
}

/**
 * Parses `pn532:PATH[@BAUD]`. Throws {@link Pn532ReaderSpecError} naming what is wrong (no path, a
 * path that is not absolute, a speed the PN532 does not offer); never touches the device.
 */
export function parsePn532ReaderSpec(spec: string): Pn532ReaderSpec {
  if (!isPn532ReaderSpec(spec)) {
    throw new Pn532ReaderSpecError(`reader ${JSON.stringify(spec)} is not a PN532 spec (pn532:/dev/ttyX)`);
  }
  const rest = spec.slice(PREFIX.length);
  const at = rest.lastIndexOf('@');
  const path = at >= 0 ? rest.slice(0, at) : rest;
  const baudText = at >= 0 ? rest.slice(at + 1) : undefined;
  if (path === '')
    throw new Pn532ReaderSpecError('reader pn532: needs the serial device, e.g. pn532:/dev/ttyS1');
  if (!path.startsWith('/') || /[\0\n\r]/.test(path)) {
    throw new Pn532ReaderSpecError(
      `reader ${JSON.stringify(spec)}: the serial device must be an absolute path`,
    );
  }
  let baudRate = DEFAULT_BAUD_RATE;
  if (baudText !== undefined) {
    baudRate = /^\d{4,7}$/.test(baudText) ? Number(baudText) : Number.NaN;
    if (!BAUD_RATES.has(baudRate)) {
      throw new Pn532ReaderSpecError(
        `reader ${JSON.stringify(spec)}: speed ${JSON.stringify(baudText)} is not one the PN532 offers (${[...BAUD_RATES].join(', ')})`,
      );
    }
  }
  return { path, baudRate };
}

/**
 * Opens the PN532 a reader spec names, for a terminal's configuration (`--reader pn532:/dev/ttyX`):
 * parses it (Pn532ReaderSpecError), opens the line and identifies the controller (the reader's
 * typed errors, with the spec in the message).
 */
export async function openPn532CardSource(
  spec: string,
  options: Omit<Pn532ReaderOptions, 'baudRate'> = {},
): Promise<{ reader: Pn532Reader; name: string; close(): Promise<void> }> {
  const { path, baudRate } = parsePn532ReaderSpec(spec);
  const reader = await Pn532Reader.open(path, { ...options, baudRate });
  return { reader, name: reader.name, close: () => reader.close() };
}
