/**
 * The counter's devices in the terminal directory's CLI settings file (cli.json, written by
 * `huduma-terminal init`): `reader` (`pcsc:NAME` or `pn532:/dev/ttyX[@BAUD]`), `printer`
 * (`escpos:/dev/ttyX[@BAUD]`) and `pinpad` (`hid:VID:PID`), each optional. Checked when read: a
 * bad value is a DeviceConfigError naming the field, and nothing is opened.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PinPadConfigError, parsePinPadSpec } from '@huduma/pinpad-hid';
import { DeviceSpecError, parsePrinterSpec } from '@huduma/printer-escpos';
import { isPn532ReaderSpec, Pn532ReaderSpecError, parsePn532ReaderSpec } from '@huduma/transport-pn532';

/** The settings file next to the engine's files in the terminal directory. */
export const CLI_FILE = 'cli.json';

export const DEVICE_KINDS = ['reader', 'printer', 'pinpad'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Device spec strings, each optional (absent: the counter has no such device). */
export type DeviceSpecs = Partial<Record<DeviceKind, string>>;

/** What cli.json holds. */
export interface CliFile {
  /** Development PKI the terminal was provisioned from (its load authority signs dev reloads). */
  devPkiDir?: string;
  devices?: DeviceSpecs;
}

/** A device setting that cannot be used. Code `ERR_DEVICE_CONFIG`; `field` names it (`printer.path`). */
export class DeviceConfigError extends Error {
  override name = 'DeviceConfigError';
  readonly code = 'ERR_DEVICE_CONFIG';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export type ReaderSpec =
  | { kind: 'pcsc'; name: string }
  | { kind: 'pn532'; path: string; baudRate: number; spec: string };

const MAX_SPEC_LENGTH = 256;

/** Echoes a bad value back safely: short, printable characters only. */
function shown(value: string): string {
  return JSON.stringify(value.slice(0, 40).replace(/[^\x20-\x7e]/g, '?'));
}

/** `pcsc:NAME` or `pn532:/dev/ttyX[@BAUD]`. */
export function parseReaderSpec(spec: string): ReaderSpec {
  if (isPn532ReaderSpec(spec)) {
    try {
      return { kind: 'pn532', ...parsePn532ReaderSpec(spec), spec };
    } catch (err) {
      if (err instanceof Pn532ReaderSpecError) throw new DeviceConfigError('reader', err.message);
      throw err;
    }
  }
  if (spec.startsWith('pcsc:')) {
    const name = spec.slice('pcsc:'.length);
    if (name.trim() === '' || /[\x00-\x1f\x7f]/.test(name))
      throw new DeviceConfigError(
        'reader',
        `reader ${shown(spec)}: pcsc: needs the reader's name in printable characters, e.g. pcsc:ACS ACR122U`,
      );
    return { kind: 'pcsc', name };
  }
  throw new DeviceConfigError(
    'reader',
    `reader ${shown(spec)} must be pcsc:NAME (a PC/SC reader) or pn532:/dev/ttyX (a PN532 on a serial line)`,
  );
}

/** Checks one spec; throws DeviceConfigError naming the field. Returns the spec unchanged. */
export function checkDeviceSpec(kind: DeviceKind, spec: unknown): string {
  if (typeof spec !== 'string')
    throw new DeviceConfigError(kind, `${kind} must be a string such as ${EXAMPLES[kind]}`);
  if (spec.length > MAX_SPEC_LENGTH)
    throw new DeviceConfigError(kind, `${kind} is longer than ${MAX_SPEC_LENGTH} characters`);
  try {
    if (kind === 'reader') parseReaderSpec(spec);
    else if (kind === 'printer') parsePrinterSpec(spec);
    else parsePinPadSpec(spec);
  } catch (err) {
    if (err instanceof DeviceConfigError) throw err;
    if (err instanceof DeviceSpecError || err instanceof PinPadConfigError)
      throw new DeviceConfigError(err.field ?? kind, err.message);
    throw err;
  }
  return spec;
}

const EXAMPLES: Record<DeviceKind, string> = {
  reader: 'pcsc:ACS ACR122U or pn532:/dev/ttyUSB0',
  printer: 'escpos:/dev/ttyUSB1',
  pinpad: 'hid:1209:4850',
};

/** The `devices` object of cli.json: only reader, printer and pinpad, each a usable spec. */
export function parseDeviceSpecs(value: unknown): DeviceSpecs {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new DeviceConfigError('devices', 'devices must be an object with reader, printer and pinpad');
  const specs: DeviceSpecs = {};
  for (const [key, spec] of Object.entries(value)) {
    if (!(DEVICE_KINDS as readonly string[]).includes(key))
      throw new DeviceConfigError(
        `devices.${shown(key).slice(1, -1)}`,
        `devices has an unknown entry ${shown(key)} (known: ${DEVICE_KINDS.join(', ')})`,
      );
    if (spec === undefined || spec === null) continue;
    specs[key as DeviceKind] = checkDeviceSpec(key as DeviceKind, spec);
  }
  return specs;
}

/** Reads cli.json of terminal directory `dir` ({} when there is none); checks its devices. */
export async function readCliFile(dir: string): Promise<CliFile> {
  let text: string;
  try {
    text = await readFile(join(dir, CLI_FILE), 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return {};
    throw new DeviceConfigError(CLI_FILE, `cannot read ${join(dir, CLI_FILE)}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new DeviceConfigError(CLI_FILE, `${join(dir, CLI_FILE)} is not valid JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new DeviceConfigError(CLI_FILE, `${join(dir, CLI_FILE)} must hold a JSON object`);
  const file = raw as Record<string, unknown>;
  const devPkiDir = file.devPkiDir;
  if (devPkiDir !== undefined && typeof devPkiDir !== 'string')
    throw new DeviceConfigError('devPkiDir', 'devPkiDir must be a directory path');
  const devices = parseDeviceSpecs(file.devices);
  return {
    ...(devPkiDir === undefined ? {} : { devPkiDir }),
    ...(Object.keys(devices).length ? { devices } : {}),
  };
}

/** Writes cli.json (devices checked first: a bad one is refused and nothing is written). */
export async function writeCliFile(dir: string, file: CliFile): Promise<void> {
  const devices = parseDeviceSpecs(file.devices);
  const out: CliFile = {
    ...(file.devPkiDir === undefined ? {} : { devPkiDir: file.devPkiDir }),
    ...(Object.keys(devices).length ? { devices } : {}),
  };
  await writeFile(join(dir, CLI_FILE), `${JSON.stringify(out, null, 2)}\n`);
}

/** The devices a command uses: the file's, each replaced by a command-line flag when given. */
export function mergeDeviceSpecs(fromFile: DeviceSpecs, flags: DeviceSpecs): DeviceSpecs {
  const merged: DeviceSpecs = { ...fromFile };
  for (const kind of DEVICE_KINDS) {
    let flag = flags[kind];
    if (flag === undefined) continue;
    // `--reader NAME` has always meant a PC/SC reader by its bare name.
    if (kind === 'reader' && !isPn532ReaderSpec(flag) && !flag.startsWith('pcsc:')) flag = `pcsc:${flag}`;
    merged[kind] = checkDeviceSpec(kind, flag);
  }
  return merged;
}
