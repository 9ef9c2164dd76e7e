import { SimulatedHidBus, SimulatedPinPad } from '@huduma/sim-pinpad';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  enginePinPad,
  type PinEntryOutcome,
  PinPadConfigError,
  PinPadDriver,
  parsePinPadSpec,
} from '../src/index';

const SEED = Number(process.env.HUDUMA_SEED ?? 20_261_130);
const PIN = '9731';

function rig(
  options: { log?: (e: string, f?: Record<string, string | number>) => void; timeoutSeconds?: number } = {},
) {
  const bus = new SimulatedHidBus();
  const pad = bus.attach(new SimulatedPinPad());
  const driver = new PinPadDriver({ backend: bus, ...options });
  return { bus, pad, driver };
}

function pinText(outcome: PinEntryOutcome): string | undefined {
  return outcome.kind === 'pin' ? String.fromCharCode(...outcome.pin) : undefined;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('PinPadDriver against the simulated pad', () => {
  it('shows the prompt and amount, collects the digits, and hands them over in a Uint8Array', async () => {
    const { pad, driver } = rig();
    pad.onPinEntry = (p) => {
      expect(p.display).toEqual({ mode: 'pin-entry', prompt: 'Enter PIN', amountCents: 105_000, stars: '' });
      for (const d of PIN) p.press(d);
      expect(p.display.stars).toBe('****');
      p.press('enter');
    };
    const outcome = await driver.enterPin({ prompt: 'Enter PIN', amountCents: 105_000 });
    expect(outcome.kind).toBe('pin');
    expect(pinText(outcome)).toBe(PIN);
    expect(driver.state).toBe('connected');
  });

  it('CLEAR on the pad forgets the digits typed so far', async () => {
    const { pad, driver } = rig();
    pad.onPinEntry = (p) => {
      for (const d of '1111') p.press(d);
      p.press('clear');
      p.enterPin(PIN);
    };
    expect(pinText(await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 }))).toBe(PIN);
  });

  it('the terminal can clear the entry (the pad drops its stars) or cancel it', async () => {
    const { pad, driver } = rig();
    pad.onPinEntry = (p) => {
      p.press('5');
      p.press('5');
      driver.clearEntry();
      expect(p.display.stars).toBe('');
      p.enterPin(PIN);
    };
    expect(pinText(await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 }))).toBe(PIN);
    pad.onPinEntry = () => driver.cancel();
    expect(await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 })).toEqual({ kind: 'cancelled' });
    expect(pad.display.mode).toBe('idle');
  });

  it('cancel on the pad, the pad timer, and a second entry at once', async () => {
    const { pad, driver } = rig();
    pad.onPinEntry = (p) => p.press('cancel');
    expect(await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 })).toEqual({ kind: 'cancelled' });
    pad.onPinEntry = (p) => {
      p.press('1');
      p.expire();
    };
    const first = driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 });
    expect(await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 })).toEqual({ kind: 'busy' });
    expect(await first).toEqual({ kind: 'timeout' });
  });

  it('a pad that stops answering times out on the terminal side and is sent CANCEL', async () => {
    vi.useFakeTimers();
    const { pad, driver } = rig({ timeoutSeconds: 5 });
    const entry = driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 });
    await vi.advanceTimersByTimeAsync(7_000);
    expect(await entry).toEqual({ kind: 'timeout' });
    expect(pad.received.at(-1)?.slice(0, 2)).toEqual([0x02, 1]);
    expect(pad.display.mode).toBe('idle');
  });

  it('unplugged mid-entry is a cancel, not a crash; plugged back, the next entry works', async () => {
    const { pad, driver } = rig();
    const states: string[] = [];
    driver.on('state', (s) => states.push(s));
    pad.onPinEntry = (p) => {
      p.press('9');
      p.press('7');
      p.unplug();
    };
    expect(await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 })).toEqual({ kind: 'unplugged' });
    expect(driver.state).toBe('absent');
    pad.onPinEntry = undefined;
    expect(await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 })).toEqual({ kind: 'no-pad' });
    pad.plugIn();
    pad.onPinEntry = (p) => p.enterPin(PIN);
    expect(pinText(await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 }))).toBe(PIN);
    expect(states).toEqual(['connected', 'absent', 'connected']);
  });

  it('no pad on the bus: no-pad, with the cashier told why through the engine adapter', async () => {
    const driver = new PinPadDriver({ backend: new SimulatedHidBus() });
    const told: string[] = [];
    const pinPad = enginePinPad(driver, {
      language: 'sw',
      onNoPin: (reason, message) => told.push(`${reason}: ${message}`),
    });
    expect(
      await pinPad.requestPin({ cardNumber: 'x', amountCents: 1, triesLeft: 3, attempt: 1 }),
    ).toBeUndefined();
    expect(told).toEqual([expect.stringMatching(/^no-pad: Hakuna kibodi ya PIN/)]);
  });

  it('zeroes the bytes it hands to the engine adapter once the PIN is a string', async () => {
    const { pad, driver } = rig();
    pad.onPinEntry = (p) => p.enterPin(PIN);
    let seen: Uint8Array | undefined;
    const original = driver.enterPin.bind(driver);
    driver.enterPin = async (r) => {
      const o = await original(r);
      if (o.kind === 'pin') seen = o.pin;
      return o;
    };
    const pin = await enginePinPad(driver).requestPin({
      cardNumber: 'x',
      amountCents: 1,
      triesLeft: 3,
      attempt: 1,
    });
    expect(pin).toBe(PIN);
    expect([...seen!]).toEqual([0, 0, 0, 0]);
  });

  it('hostile reports never crash the driver, never complete an entry, never put digits in logs (seeded)', async () => {
    const logs: string[] = [];
    const fieldNames = new Set<string>();
    const { pad, driver } = rig({
      log: (e, f) => {
        for (const k of Object.keys(f ?? {})) fieldNames.add(k);
        logs.push(`${e} ${JSON.stringify(f ?? {})}`);
      },
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 80 }),
            // Well-formed key reports of any session, key and digit value.
            fc
              .tuple(
                fc.integer({ min: 0, max: 255 }),
                fc.integer({ min: 0, max: 8 }),
                fc.integer({ min: 0, max: 255 }),
              )
              .map(([s, k, d]) => Uint8Array.of(0x81, s, k, d, 0)),
          ),
          { maxLength: 30 },
        ),
        async (reports) => {
          logs.length = 0;
          pad.onPinEntry = (p) => {
            for (const d of PIN) p.press(d);
            for (const r of reports) p.sendRaw(r);
            p.press('enter');
          };
          const hostileEnded = await driver.enterPin({ prompt: 'Enter PIN', amountCents: 1 });
          // Hostile reports may legitimately cancel, clear or add digits (they are well-formed key
          // presses of this session); they never throw, and what comes back is one of the outcomes.
          expect(['pin', 'cancelled', 'timeout', 'unplugged']).toContain(hostileEnded.kind);
          if (hostileEnded.kind === 'pin') hostileEnded.pin.fill(0);
          const logged = logs.join('\n');
          expect(logged).not.toContain(PIN);
          // Only report IDs, lengths, sessions and reasons are logged: never report bytes.
          for (const k of fieldNames)
            expect(['reportId', 'length', 'why', 'session', 'outcome']).toContain(k);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
    expect(driver.ignoredReports).toBeGreaterThan(0);
  });
});

describe('parsePinPadSpec', () => {
  it('parses hid:VID:PID in hexadecimal, and hid:sim', () => {
    expect(parsePinPadSpec('hid:1209:4850')).toEqual({ kind: 'hid', vendorId: 0x1209, productId: 0x4850 });
    expect(parsePinPadSpec('hid:0x1209:0x4850')).toEqual({
      kind: 'hid',
      vendorId: 0x1209,
      productId: 0x4850,
    });
    expect(parsePinPadSpec('hid:sim')).toEqual({ kind: 'hid-sim' });
    expect(() => parsePinPadSpec('hid:0:1')).toThrow(expect.objectContaining({ field: 'pinpad.vendorId' }));
  });

  it('any other string is a typed error naming the field (seeded)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (s) => {
        try {
          expect(['hid', 'hid-sim']).toContain(parsePinPadSpec(s).kind);
        } catch (err) {
          expect(err).toBeInstanceOf(PinPadConfigError);
          expect((err as PinPadConfigError).field).toMatch(/^pinpad/);
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('refuses driver options out of range, naming them', () => {
    expect(() => new PinPadDriver({ backend: new SimulatedHidBus(), minLength: 3 })).toThrow(
      expect.objectContaining({ field: 'minLength' }),
    );
  });
});
