// `npm start`: the local Huduma Pay system. Today: a demo world (dev PKI, a terminal at a Huduma
// Centre, three simulated cards) under ./.huduma (or $HUDUMA_DATA_DIR), then the cashier console
// on a TTY, or a short narrated demo when stdin is not one (CI, pipes). Each step is a function so
// that the clearing service can join as one more step (start it, then point the terminal at it).
import { resolve } from 'node:path';
import { formatKes } from '../terminal-app/src/amount';
import { CashierConsole } from '../terminal-app/src/ui/console';
import {
  type DemoCounter,
  type DemoWorld,
  ensureDemoWorld,
  openDemoCounter,
} from '../terminal-app/src/ui/demo-world';
import { runNarratedDemo } from '../terminal-app/src/ui/narrated-demo';

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

async function main(): Promise<number> {
  const world = await setUpWorld();
  const counter = await openDemoCounter(world);
  try {
    describeCards(counter, world);
    if (process.stdin.isTTY) {
      await runConsole(counter);
      return 0;
    }
    console.log('stdin is not a terminal: running the narrated demo.');
    return (await runNarratedDemo(world, counter, process.stdout)) ? 0 : 1;
  } finally {
    await counter.close();
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
