import { describe, expect, it } from 'vitest';
import { nodeHidBackend, PinPadDriver } from '../src/index';

// This machine's kernel has no uhid and no USB: no HID device, real or virtual, can exist here.
// This proves the real node-hid binding is installed and loads, and that the driver runs on it.
describe('node-hid (the real binding)', () => {
  it('loads and enumerates devices; with no pad the driver reports it absent', async () => {
    const backend = await nodeHidBackend();
    const devices = backend.devices();
    expect(Array.isArray(devices)).toBe(true);
    const driver = new PinPadDriver({ backend });
    if (!devices.some((d) => d.vendorId === 0x1209 && d.productId === 0x4850)) {
      expect(await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 })).toEqual({ kind: 'no-pad' });
      expect(driver.state).toBe('absent');
    }
    driver.close();
  });
});
