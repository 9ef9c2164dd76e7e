/** A `pinpad: hid:VID:PID` spec (or driver option) that cannot be used; names the field. */
export class PinPadConfigError extends Error {
  readonly code = 'ERR_PINPAD_CONFIG';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PinPadConfigError';
  }
}

export type PinPadSpec =
  | { kind: 'hid'; vendorId: number; productId: number }
  /** The simulated pad of the demo world. */
  | { kind: 'hid-sim' };

/** Parses `hid:1209:4850` (hexadecimal IDs, optional 0x) or `hid:sim`. */
export function parsePinPadSpec(spec: string): PinPadSpec {
  if (typeof spec !== 'string' || spec.length > 64)
    throw new PinPadConfigError('pinpad', 'pinpad spec must be a short string such as hid:1209:4850');
  const text = spec.trim();
  if (text === 'hid:sim') return { kind: 'hid-sim' };
  const m = /^hid:(?:0x)?([0-9a-fA-F]{1,4}):(?:0x)?([0-9a-fA-F]{1,4})$/.exec(text);
  if (!m)
    throw new PinPadConfigError(
      'pinpad',
      'pinpad spec must be hid:VID:PID with hexadecimal IDs (e.g. hid:1209:4850) or hid:sim',
    );
  const vendorId = Number.parseInt(m[1]!, 16);
  const productId = Number.parseInt(m[2]!, 16);
  if (vendorId === 0) throw new PinPadConfigError('pinpad.vendorId', 'pinpad vendor ID must not be 0');
  if (productId === 0) throw new PinPadConfigError('pinpad.productId', 'pinpad product ID must not be 0');
  return { kind: 'hid', vendorId, productId };
}
