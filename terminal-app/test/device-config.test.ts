/**
 * Devices in the terminal's cli.json: good specs read back, a bad one refused with a
 * DeviceConfigError naming the field, command-line flags over the file, and hostile values
 * (generated) never anything but that typed error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../test/support/random';
import {
  CLI_FILE,
  DEVICE_KINDS,
  DeviceConfigError,
  mergeDeviceSpecs,
  parseDeviceSpecs,
  parseReaderSpec,
  readCliFile,
  writeCliFile,
} from '../src/devices/device-config';

const root = mkdtempSync(join(tmpdir(), 'huduma-device-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DeviceConfigError);
    expect((err as DeviceConfigError).code).toBe('ERR_DEVICE_CONFIG');
    return (err as DeviceConfigError).field;
  }
  throw new Error('expected a DeviceConfigError');
}

describe('device specs in cli.json', () => {
  it('reads good specs back as written', async () => {
    const devices = {
      reader: 'pn532:/dev/ttyUSB0@115200',
      printer: 'escpos:/dev/ttyUSB1@19200',
      pinpad: 'hid:1209:4850',
    };
    await writeCliFile(root, { devPkiDir: '/srv/pki', devices });
    expect(await readCliFile(root)).toEqual({ devPkiDir: '/srv/pki', devices });
    expect(parseDeviceSpecs({ reader: 'pcsc:ACS ACR122U 00 00' })).toEqual({
      reader: 'pcsc:ACS ACR122U 00 00',
    });
    expect(parseReaderSpec('pcsc:ACS ACR122U')).toEqual({ kind: 'pcsc', name: 'ACS ACR122U' });
    expect(parseReaderSpec('pn532:/dev/ttyS1')).toMatchObject({
      kind: 'pn532',
      path: '/dev/ttyS1',
      baudRate: 115200,
    });
    expect(parseDeviceSpecs({})).toEqual({});
    expect(parseDeviceSpecs(undefined)).toEqual({});
  });

  it('no cli.json: no devices (a terminal provisioned another way)', async () => {
    expect(await readCliFile(join(root, 'nowhere'))).toEqual({});
  });

  it('names the field at fault', () => {
    expect(fieldOf(() => parseDeviceSpecs({ reader: 'usb:reader' }))).toBe('reader');
    expect(fieldOf(() => parseDeviceSpecs({ reader: 'pn532:ttyS1' }))).toBe('reader');
    expect(fieldOf(() => parseDeviceSpecs({ reader: 'pcsc:' }))).toBe('reader');
    expect(fieldOf(() => parseDeviceSpecs({ reader: 'pcsc:bad\nname' }))).toBe('reader');
    expect(fieldOf(() => parseDeviceSpecs({ printer: 'lp:/dev/usb/lp0' }))).toBe('printer');
    expect(fieldOf(() => parseDeviceSpecs({ printer: 'escpos:ttyUSB0' }))).toBe('printer.path');
    expect(fieldOf(() => parseDeviceSpecs({ printer: 'escpos:/dev/ttyUSB0@1234' }))).toBe('printer.baudRate');
    expect(fieldOf(() => parseDeviceSpecs({ pinpad: 'usb:1:2' }))).toBe('pinpad');
    expect(fieldOf(() => parseDeviceSpecs({ pinpad: 'hid:0:4850' }))).toBe('pinpad.vendorId');
    expect(fieldOf(() => parseDeviceSpecs({ pinpad: 42 }))).toBe('pinpad');
    expect(fieldOf(() => parseDeviceSpecs({ scanner: 'x' }))).toBe('devices.scanner');
    expect(fieldOf(() => parseDeviceSpecs(['pn532:/dev/ttyS1']))).toBe('devices');
    expect(fieldOf(() => parseDeviceSpecs('pn532:/dev/ttyS1'))).toBe('devices');
  });

  it('a damaged cli.json is a typed error naming it', async () => {
    const dir = mkdtempSync(join(root, 'bad-'));
    writeFileSync(join(dir, CLI_FILE), '{"devices": ');
    await expect(readCliFile(dir)).rejects.toMatchObject({ code: 'ERR_DEVICE_CONFIG', field: CLI_FILE });
    writeFileSync(join(dir, CLI_FILE), JSON.stringify({ devices: { printer: 'escpos:/dev/x@7' } }));
    await expect(readCliFile(dir)).rejects.toMatchObject({ field: 'printer.baudRate' });
  });

  it('a flag replaces the file’s spec; a bare --reader NAME is a PC/SC reader', () => {
    const file = { reader: 'pn532:/dev/ttyS1', printer: 'escpos:/dev/ttyUSB1' };
    expect(mergeDeviceSpecs(file, { printer: 'escpos:sim' })).toEqual({
      reader: 'pn532:/dev/ttyS1',
      printer: 'escpos:sim',
    });
    expect(mergeDeviceSpecs(file, { reader: 'ACS ACR122U' }).reader).toBe('pcsc:ACS ACR122U');
    expect(fieldOf(() => mergeDeviceSpecs(file, { pinpad: 'hid:zz:1' }))).toBe('pinpad');
  });

  it('writing refuses a bad spec and leaves the file as it was', async () => {
    const dir = mkdtempSync(join(root, 'write-'));
    await writeCliFile(dir, { devices: { printer: 'escpos:sim' } });
    const before = readFileSync(join(dir, CLI_FILE), 'utf8');
    await expect(writeCliFile(dir, { devices: { printer: 'escpos:nope' } })).rejects.toBeInstanceOf(
      DeviceConfigError,
    );
    expect(readFileSync(join(dir, CLI_FILE), 'utf8')).toBe(before);
  });
});

const hostileSpec = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('pn532:', 'pcsc:', 'escpos:', 'hid:', 'escpos:sim', 'hid:sim', 'pn532:/dev/ttyS1@1'),
  fc
    .tuple(fc.constantFrom('pn532:', 'pcsc:', 'escpos:', 'hid:'), fc.string({ maxLength: 600 }))
    .map(([a, b]) => a + b),
  fc.anything(),
);
const hostileDevices = fc.oneof(
  fc.dictionary(fc.constantFrom(...DEVICE_KINDS, 'scanner', '__proto__', 'constructor'), hostileSpec, {
    maxKeys: 4,
  }),
  fc.anything(),
);

describe('hostile device values (generated)', () => {
  it('parse to specs that read back the same, or fail with a DeviceConfigError naming a known field', () => {
    fc.assert(
      fc.property(hostileDevices, (value) => {
        let specs: ReturnType<typeof parseDeviceSpecs>;
        try {
          specs = parseDeviceSpecs(value);
        } catch (err) {
          expect(err).toBeInstanceOf(DeviceConfigError);
          expect((err as DeviceConfigError).field).toMatch(
            /^(devices(\..*)?|reader|printer(\.\w+)?|pinpad(\.\w+)?)$/,
          );
          expect((err as Error).message.length).toBeLessThan(400);
          return;
        }
        for (const [kind, spec] of Object.entries(specs)) {
          expect(DEVICE_KINDS).toContain(kind);
          expect(typeof spec).toBe('string');
        }
        expect(parseDeviceSpecs(JSON.parse(JSON.stringify(specs)))).toEqual(specs);
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('command-line flags of any text: merged, or refused with a DeviceConfigError; the file’s specs untouched', () => {
    const file = { reader: 'pn532:/dev/ttyS1', printer: 'escpos:sim' };
    const frozen = JSON.stringify(file);
    fc.assert(
      fc.property(
        fc.record(
          {
            reader: fc.string({ unit: 'binary', maxLength: 300 }),
            printer: fc.string({ unit: 'binary', maxLength: 300 }),
            pinpad: fc.string({ unit: 'binary', maxLength: 80 }),
          },
          { requiredKeys: [] },
        ),
        (flags) => {
          try {
            const merged = mergeDeviceSpecs(file, flags);
            expect(parseDeviceSpecs(merged)).toEqual(merged);
          } catch (err) {
            expect(err).toBeInstanceOf(DeviceConfigError);
          }
          expect(JSON.stringify(file)).toBe(frozen);
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('cli.json holding any text: read, or refused with a typed error; the file is never changed', async () => {
    const dir = mkdtempSync(join(root, 'hostile-'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          hostileDevices.map((devices) => JSON.stringify({ devices }) ?? 'null'),
        ),
        async (text) => {
          writeFileSync(join(dir, CLI_FILE), text);
          try {
            await readCliFile(dir);
          } catch (err) {
            expect(err).toBeInstanceOf(DeviceConfigError);
          }
          expect(readFileSync(join(dir, CLI_FILE), 'utf8')).toBe(text);
        },
      ),
      { numRuns: propertyRuns(200) },
    );
  });
});
