/**
 * Test support for the cashier web app: a demo counter (dev PKI, terminal, simulated cards) with
 * its web server on 127.0.0.1, and Debian's chromium driven by playwright-core. No browser is
 * ever downloaded: when /usr/bin/chromium is missing or cannot start, `launchChromium` throws an
 * error that says so (the test fails, it does not skip).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SyncReport } from '@huduma/terminal';
import {
  type CounterDevices,
  CounterSession,
  type CounterWebApp,
  type DemoCounter,
  type DemoWorld,
  ensureDemoWorld,
  openDemoCounter,
  startCounterWebApp,
} from '@huduma/terminal-app';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.HUDUMA_CHROMIUM ?? '/usr/bin/chromium';

export interface WebCounter {
  world: DemoWorld;
  counter: DemoCounter;
  session: CounterSession;
  app: CounterWebApp;
  close(): Promise<void>;
}

export async function startWebCounter(
  options: {
    uploader?: (counter: DemoCounter, world: DemoWorld) => Promise<{ syncNow(): Promise<SyncReport> }>;
    /** The counter's devices: their states on the page, receipts printed after approvals. */
    devices?: Pick<CounterDevices, 'deviceStates' | 'printReceipt'>;
  } = {},
): Promise<WebCounter> {
  const dataDir = mkdtempSync(join(tmpdir(), 'huduma-web-'));
  const world = await ensureDemoWorld(dataDir);
  const counter = await openDemoCounter(world);
  const uploader = await options.uploader?.(counter, world);
  const session = new CounterSession({
    engine: counter.engine,
    demo: { reader: counter.reader, pins: world.cards.map((c) => c.pin) },
    pinPadSlot: counter.pinPad,
    ...(uploader ? { uploader } : {}),
    ...(options.devices ? { devices: options.devices } : {}),
  });
  const app = await startCounterWebApp(session);
  return {
    world,
    counter,
    session,
    app,
    close: async () => {
      await app.close();
      await session.close();
      await counter.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's chromium, headless, in a fresh profile; throws with the reason when it cannot run. */
export async function launchChromium(
  executablePath = CHROMIUM,
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(executablePath))
    throw new Error(
      `chromium is not installed at ${executablePath}: run scripts/setup as root (it installs the Debian package "chromium")`,
    );
  const profile = mkdtempSync(join(tmpdir(), 'huduma-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1280, height: 900 },
      timezoneId: 'Africa/Nairobi',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`chromium at ${executablePath} could not start: ${(err as Error).message}`);
  }
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
