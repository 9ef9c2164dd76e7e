/**
 * The slice of node-hid the driver uses: a device list and an opened device object (write,
 * 'data', 'error', close). node-hid's HID class has exactly this shape; the report-level
 * simulated pad (@huduma/sim-pinpad) implements it too.
 */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  product?: string | undefined;
  serialNumber?: string | undefined;
}

export interface HidDeviceLike {
  write(values: number[] | Buffer): number;
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  removeAllListeners(event?: string): unknown;
  close(): void;
}

export interface HidBackend {
  devices(): HidDeviceInfo[];
  open(path: string): HidDeviceLike;
}

/** The real binding. Loaded on first use so a terminal without a PIN pad never needs it. */
export async function nodeHidBackend(): Promise<HidBackend> {
  const HID = (await import('node-hid')).default;
  return {
    devices: () => HID.devices(),
    open: (path) => new HID.HID(path),
  };
}
