import { DeviceSpecError } from './errors';

export type PrinterSpec =
  | { kind: 'escpos'; path: string; baudRate: number }
  /** The printer simulator on a pty the application starts itself (demo world). */
  | { kind: 'escpos-sim' };

const BAUD_RATES = [9600, 19_200, 38_400, 57_600, 115_200];

/**
 * Parses `escpos:/dev/ttyUSB0`, `escpos:/dev/ttyS0@115200` or `escpos:sim`.
 * Throws DeviceSpecError naming the part at fault.
 */
export function parsePrinterSpec(spec: string): PrinterSpec {
  if (typeof spec !== 'string' || spec.length > 512)
    throw new DeviceSpecError('printer', 'printer spec must be a string such as escpos:/dev/ttyUSB0');
  const m = /^escpos:(.+)$/.exec(spec.trim());
  if (!m)
    throw new DeviceSpecError('printer', `printer spec "${printableSpec(spec)}" must start with escpos:`);
  const rest = m[1]!;
  if (rest === 'sim') return { kind: 'escpos-sim' };
  const at = rest.lastIndexOf('@');
  const path = at >= 0 ? rest.slice(0, at) : rest;
  const baudText = at >= 0 ? rest.slice(at + 1) : '19200';
  if (!path.startsWith('/') || /[\0\s]/.test(path))
    throw new DeviceSpecError(
      'printer.path',
      'printer path must be an absolute device path such as /dev/ttyUSB0',
    );
  const baudRate = /^\d{4,6}$/.test(baudText) ? Number(baudText) : Number.NaN;
  if (!BAUD_RATES.includes(baudRate))
    throw new DeviceSpecError(
      'printer.baudRate',
      `printer baud rate must be one of ${BAUD_RATES.join(', ')}`,
    );
  return { kind: 'escpos', path, baudRate };
}

/** Echoes a bad spec back safely: short, printable characters only. */
function printableSpec(spec: string): string {
  return spec.slice(0, 40).replace(/[^\x20-\x7e]/g, '?');
}
