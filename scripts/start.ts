// `npm start`: the local Huduma Pay system. Today: a demo world (dev PKI, a terminal at a Huduma
// Centre, three simulated cards) under ./.huduma (or $HUDUMA_DATA_DIR) and the cashier web app on
// http://127.0.0.1:8420 (or $HUDUMA_WEB_PORT; a free port when that one is taken), with the cashier
// console beside it on a TTY, or a short narrated demo when stdin is not one (CI, pipes).
// `npm start -- --web` keeps only the web app running, until Ctrl-C. `npm start -- --devices
// simulated` runs the web app on simulated counter hardware instead (PN532 reader, ESC/POS
// printer, HID PIN pad; its own demo world in <data>/devices, receipts in <data>/devices/receipts;
// no clearing service), until Ctrl-C. Otherwise the clearing service runs
// in this process (PGlite under <data>/clearing); the terminal uploads to it in the background and
// after the demo, and the day's settlement for the merchant is printed.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type RunningService, serve } from '@huduma/clearing-service';
import { BatchUploader, formatKes } from '@huduma/terminal';
import {
  CashierConsole,
  CounterSession,
  type CounterWebApp,
  DEFAULT_WEB_PORT,
  type DemoCounter,
  type DemoWorld,
  ensureDemoWorld,
  openDemoCounter,
  runNarratedDemo,
  runTerminalCli,
  startCounterWebApp,
} from '@huduma/terminal-app';

function dataDir(): string {
  return resolve(process.env.HUDUMA_DATA_DIR ?? '.huduma');
}

async function setUpWorld(): Promise<DemoWorld> {
  const world = await ensureDemoWorld(dataDir());
  console.log(
    world.created
      ? `Created the demo world in ${world.dataDir}: dev PKI, terminal T-0001 at Huduma Centre Nairobi GPO, 3 demo cards.`
      : `Using the demo world in ${world.dataDir} (delete that directory to start afresh).`,
  );
  return world;
}

function describeCards(counter: DemoCounter, world: DemoWorld): void {
  console.log('Demo cards (PIN 1234, asked above KES 1,000.00):');
  world.cards.forEach((c, i) => {
    const balance = counter.reader.cards[i]!.card.state.balance;
    console.log(`  ${i + 1} ${c.label.padEnd(8)} card ${c.cardNumber}  balance KES ${formatKes(balance)}`);
  });
}

async function runConsole(counter: DemoCounter): Promise<void> {
  console.log('Try a sale: 1 (New sale), 8 (Birth certificate copy), any bill reference, then tap card 1.');
  const cashier = new CashierConsole({
    engine: counter.engine,
    pinPad: counter.pinPad,
    input: process.stdin,
    output: process.stdout,
    demo: counter.reader,
  });
  await cashier.run();
}

/** The clearing service in this process, on 127.0.0.1, with its PGlite data under <data>/clearing. */
interface LocalClearing {
  service: RunningService;
  operatorToken: string;
  uploader: BatchUploader;
}

async function startClearing(world: DemoWorld, counter: DemoCounter): Promise<LocalClearing> {
  const dir = join(world.dataDir, 'clearing');
  // A new world has a new PKI and a new terminal log: the old clearing data would not match it.
  if (world.created) await rm(dir, { recursive: true, force: true });
  const operatorToken = randomBytes(24).toString('base64url');
  const service = await serve({
    dataDir: dir,
    pkiDir: world.pkiDir,
    operatorToken,
    port: Number(process.env.HUDUMA_CLEARING_PORT ?? 0),
    logger: false,
  });
  const key = (await (await fetch(`${service.url}/v1/service-key`)).json()) as { publicKey: string };
  const uploader = new BatchUploader({
    engine: counter.engine,
    baseUrl: service.url,
    servicePublicKey: new Uint8Array(Buffer.from(key.publicKey, 'hex')),
  });
  uploader.start(30_000);
  console.log(`Clearing service at ${service.url} (data in ${dir}); the terminal uploads every 30 s.`);
  return { service, operatorToken, uploader };
}

/** Syncs now and prints what the service settled today for the demo merchant; true if a sale is in it. */
async function syncAndSettle(clearing: LocalClearing, merchantId: string): Promise<boolean> {
  const report = await clearing.uploader.syncNow();
  for (const err of report.errors) console.log(`Sync problem: ${err.code}: ${err.message}`);
  const u = report.upload;
  if (u)
    console.log(
      `\nSynced: ${u.records} records uploaded in ${u.batches} batch(es), verified by the clearing service.`,
    );
  const date = new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10); // Africa/Nairobi day
  const res = await clearing.service.app.inject({
    method: 'GET',
    url: `/v1/admin/settlement?date=${date}`,
    headers: { authorization: `Bearer ${clearing.operatorToken}` },
  });
  const line = (
    res.json().merchants as {
      merchantId: string;
      debitCount: number;
      grossDebitsCents: number;
      cancelCount: number;
      cancelsCents: number;
      netCents: number;
    }[]
  ).find((m) => m.merchantId === merchantId);
  if (!line) {
    console.log(`Settlement ${date}: nothing for ${merchantId} yet.`);
    return false;
  }
  console.log(
    `Settlement ${date} ${merchantId}: ${line.debitCount} sales KES ${formatKes(line.grossDebitsCents)}, ` +
      `${line.cancelCount} cancels KES ${formatKes(line.cancelsCents)}, net KES ${formatKes(line.netCents)}`,
  );
  return report.errors.length === 0 && line.debitCount > 0;
}

/** The cashier web app on the demo counter, with the demo reader panel; prints its address. */
async function startWebApp(
  world: DemoWorld,
  counter: DemoCounter,
  clearing: LocalClearing,
): Promise<{ app: CounterWebApp; session: CounterSession }> {
  const session = new CounterSession({
    engine: counter.engine,
    uploader: clearing.uploader,
    demo: { reader: counter.reader, pins: world.cards.map((c) => c.pin) },
    pinPadSlot: counter.pinPad,
  });
  const wanted = Number(process.env.HUDUMA_WEB_PORT ?? DEFAULT_WEB_PORT);
  const app = await startCounterWebApp(session, { port: wanted }).catch((err: { code?: string }) => {
    if (err.code !== 'EADDRINUSE') throw err;
    return startCounterWebApp(session, { port: 0 });
  });
  console.log(`Cashier web app: ${app.url}  (open it in a browser; the demo reader panel taps the cards)`);
  return { app, session };
}

async function main(): Promise<number> {
  const devices = process.argv.indexOf('--devices');
  if (devices >= 0) {
    // Without HUDUMA_WEB_PORT the demo takes 8420, or any free port when that one is taken.
    const port = process.env.HUDUMA_WEB_PORT;
    return runTerminalCli(
      [
        'demo',
        '--devices',
        process.argv[devices + 1] ?? '',
        '--data',
        join(dataDir(), 'devices'),
        ...(port === undefined ? [] : ['--port', port]),
      ],
      process,
    );
  }
  const world = await setUpWorld();
  const counter = await openDemoCounter(world);
  const clearing = await startClearing(world, counter);
  const web = await startWebApp(world, counter, clearing);
  try {
    describeCards(counter, world);
    if (process.argv.includes('--web')) {
      console.log('Serving the web app only: Ctrl-C stops it.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await syncAndSettle(clearing, counter.engine.config.merchantId);
      return 0;
    }
    if (process.stdin.isTTY) {
      await runConsole(counter);
      await syncAndSettle(clearing, counter.engine.config.merchantId);
      return 0;
    }
    console.log('stdin is not a terminal: running the narrated demo.');
    const demoOk = await runNarratedDemo(world, counter, process.stdout);
    console.log(
      '\n>>> 6. The sales above were made offline. The terminal now syncs with the clearing service.',
    );
    const settled = await syncAndSettle(clearing, counter.engine.config.merchantId);
    return demoOk && settled ? 0 : 1;
  } finally {
    await web.app.close();
    await web.session.close();
    await clearing.uploader.stop();
    await counter.close();
    await clearing.service.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
