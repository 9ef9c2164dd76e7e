/** Reader specs from terminal configuration: `pn532:/dev/ttyX[@baud]`, and hostile ones. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isPn532ReaderSpec,
  openPn532CardSource,
  Pn532ReaderSpecError,
  parsePn532ReaderSpec,
} from '../src/index';

const SEED = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);

describe('pn532 reader specs', () => {
  it('parses a device path, with or without a speed', () => {
    expect(parsePn532ReaderSpec('pn532:/dev/ttyS1')).toEqual({ path: '/dev/ttyS1', baudRate: 115_200 });
    expect(parsePn532ReaderSpec('pn532:/dev/ttyUSB0@230400')).toEqual({
      path: '/dev/ttyUSB0',
      baudRate: 230_400,
    });
    expect(isPn532ReaderSpec('ACS ACR122U 00 00')).toBe(false);
  });

  it.each([
    ['pn532:', 'needs the serial device'],
    ['pn532:ttyS1', 'absolute path'],
    ['pn532:/dev/ttyS1@12', 'is not one the PN532 offers'],
    ['pn532:/dev/ttyS1@fast', 'is not one the PN532 offers'],
    ['pcsc:Reader', 'is not a PN532 spec'],
  ])('refuses %j with a typed error naming the reader field', (spec, message) => {
    let thrown: unknown;
    try {
      parsePn532ReaderSpec(spec);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Pn532ReaderSpecError);
    expect(thrown).toMatchObject({ code: 'ERR_PN532_READER_SPEC', field: 'reader' });
    expect((thrown as Error).message).toContain(message);
  });

  it(`any string after pn532: parses or gives Pn532ReaderSpecError, nothing else (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (rest) => {
        try {
          const parsed = parsePn532ReaderSpec(`pn532:${rest}`);
          expect(parsed.path.startsWith('/')).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(Pn532ReaderSpecError);
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('opening a spec whose device is missing: ERR_READER_UNAVAILABLE naming the path', async () => {
    await expect(openPn532CardSource('pn532:/dev/no-such-tty')).rejects.toMatchObject({
      code: 'ERR_READER_UNAVAILABLE',
      message: expect.stringContaining('/dev/no-such-tty'),
    });
  });
});
