import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CliIo, UsageError } from '@huduma/cli-kit';
import { DevPki } from '@huduma/pki';
import {
  type CardReader,
  devLoadAuthorizer,
  type LoadAuthorizer,
  type PinPad,
  TerminalEngine,
  type TerminalEvent,
} from '@huduma/terminal';
import { TerminalDirError } from './errors';

/** Where the CLI writes; `process` fits. */
export interface TerminalCliIo extends CliIo {
  /** Needed by `console` only. */
  stdin?: NodeJS.ReadableStream;
}

export const EXIT_OK = 0;
export const EXIT_DECLINED = 1;
export const EXIT_USAGE = 2;

/** Options most commands share. */
export const DIR = {
  dir: {
    type: 'string',
    value: 'D',
    description: 'the terminal directory (huduma-terminal init)',
    required: true,
  },
} as const;
export const CARD = {
  card: { type: 'string', value: 'FILE', description: 'a simulated card file (huduma-sim issue)' },
  reader: { type: 'string', value: 'NAME', description: 'a PC/SC reader name' },
} as const;

import { DeviceConfigError, type DeviceSpecs, mergeDeviceSpecs } from '../devices/device-config';

export { CLI_FILE, type CliFile } from '../devices/device-config';

/** The device flags given, checked (a bad one is a usage error naming the flag and field). */
export function checkedDeviceFlags(values: {
  reader?: string;
  printer?: string;
  pinpad?: string;
}): DeviceSpecs {
  try {
    return mergeDeviceSpecs(
      {},
      {
        ...(values.reader === undefined ? {} : { reader: values.reader }),
        ...(values.printer === undefined ? {} : { printer: values.printer }),
        ...(values.pinpad === undefined ? {} : { pinpad: values.pinpad }),
      },
    );
  } catch (err) {
    if (err instanceof DeviceConfigError) throw new UsageError(`--${err.field}: ${err.message}`);
    throw err;
  }
}

/** Device flags of the commands that use the counter's devices (each overrides cli.json). */
export const DEVICE_FLAGS = {
  printer: {
    type: 'string',
    value: 'SPEC',
    description: 'receipt printer: escpos:/dev/ttyX[@BAUD] or escpos:sim (overrides cli.json)',
  },
  pinpad: {
    type: 'string',
    value: 'SPEC',
    description: 'PIN pad: hid:VID:PID or hid:sim (overrides cli.json)',
  },
} as const;

export async function withEngine<T>(
  dir: string,
  reader: CardReader,
  extra: { pinPad?: PinPad; loadAuthorizer?: LoadAuthorizer; onEvent?: (e: TerminalEvent) => void },
  fn: (engine: TerminalEngine) => Promise<T>,
): Promise<T> {
  try {
    const engine = await TerminalEngine.open({ dir, reader, ...extra });
    try {
      return await fn(engine);
    } finally {
      await engine.close();
    }
  } catch (err) {
    // Usage errors stay usage errors; anything else learns which terminal it happened to.
    if (err instanceof UsageError || err instanceof TerminalDirError) throw err;
    throw new TerminalDirError(dir, err);
  }
}

/** The development PKI whose load authority signs reloads: --pki, or the one recorded at init. */
export async function devLoadAuthorizerFor(dir: string, pkiDir: string | undefined): Promise<LoadAuthorizer> {
  if (pkiDir === undefined) {
    try {
      const file = JSON.parse(await readFile(join(dir, 'cli.json'), 'utf8')) as { devPkiDir?: unknown };
      if (typeof file.devPkiDir === 'string') pkiDir = file.devPkiDir;
    } catch {
      // no cli.json: the terminal was provisioned another way
    }
  }
  if (pkiDir === undefined)
    throw new UsageError('--pki P is required: the development PKI whose load authority signs the reload');
  return devLoadAuthorizer(DevPki.open(pkiDir));
}
