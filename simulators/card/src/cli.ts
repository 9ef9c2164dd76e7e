#!/usr/bin/env node
import { command, runMain } from '@huduma/cli-kit';
import { VpcdBridge } from '@huduma/sim-vpcd';
import { SIM_COMMANDS, type SimCommand, simCli } from './run-cli';
import { SimulatedCard } from './simulated-card';

const KEYS_HELP =
  'keys: i insert, r remove, t toggle, q (or Ctrl-C) quit; signals: SIGUSR1 insert, SIGUSR2 remove';

/**
 * `huduma-sim vpcd`: the card file behind the vsmartcard vpcd driver of a running pcscd, so any
 * PC/SC program sees it in "Virtual PCD 00 00" (port 35963; 35964 is "Virtual PCD 00 01").
 * Every insertion re-opens the file: like a real card pulled and tapped again, RAM is lost and
 * what was persisted is what comes back.
 */
const vpcdCommand = command({
  name: 'vpcd',
  summary: 'serve a card file to pcscd\'s vpcd driver (a PC/SC reader "Virtual PCD 00 00")',
  options: {
    card: { type: 'string', value: 'FILE', description: 'the card file (huduma-sim issue)', required: true },
    port: {
      type: 'integer',
      description: 'vpcd port (default 35963; 35964 is "Virtual PCD 00 01")',
      min: 1,
      max: 65535,
    },
    host: { type: 'string', value: 'ADDR', description: "vpcd's address (default 127.0.0.1)" },
  },
  details: KEYS_HELP,
  async run({ values, io, need }) {
    const cardPath = need('card');
    const port = values.port ?? 35963;
    const host = values.host ?? '127.0.0.1';
    SimulatedCard.open(cardPath); // fail now, not at the first insertion, if the file is not a card
    const bridge = new VpcdBridge({ host, port });
    const where = `vpcd ${host}:${port}`;
    let wantInserted = false;
    // Insertions and removals run one at a time, in the order asked.
    let queue: Promise<void> = Promise.resolve();
    const enqueue = (work: () => Promise<void>) => {
      queue = queue.then(work).catch((err: Error) => {
        io.stderr.write(`huduma-sim vpcd: ${err.message}\n`);
      });
    };
    const insert = () => {
      if (wantInserted) return;
      wantInserted = true;
      enqueue(async () => {
        io.stdout.write(`inserting ${cardPath} (waiting for pcscd's vpcd driver on ${where})\n`);
        await bridge.insert(SimulatedCard.open(cardPath));
        io.stdout.write('card inserted\n');
      });
    };
    const remove = () => {
      if (!wantInserted) return;
      wantInserted = false;
      enqueue(async () => {
        await bridge.remove();
        io.stdout.write('card removed\n');
      });
    };
    let reportedLost = false;
    bridge.on('disconnected', () => {
      if (bridge.inserted && !reportedLost) {
        reportedLost = true;
        io.stdout.write('pcscd went away; the card reconnects when it is back\n');
      }
    });
    bridge.on('connected', () => {
      reportedLost = false;
    });

    let quit!: () => void;
    const done = new Promise<void>((resolve) => {
      quit = resolve;
    });
    const stdin = process.stdin;
    const raw = stdin.isTTY === true;
    const onKey = (chunk: Buffer | string) => {
      for (const key of chunk.toString()) {
        if (key === 'i') insert();
        else if (key === 'r') remove();
        else if (key === 't') (wantInserted ? remove : insert)();
        else if (key === 'q' || key === '\u0003') quit();
      }
    };
    const signals: [NodeJS.Signals, () => void][] = [
      ['SIGINT', quit],
      ['SIGTERM', quit],
      ['SIGUSR1', insert],
      ['SIGUSR2', remove],
    ];
    for (const [signal, handler] of signals) process.on(signal, handler);
    if (raw) stdin.setRawMode(true);
    stdin.on('data', onKey);
    // stdin closed (e.g. </dev/null under a supervisor): keep serving until a signal.
    stdin.resume();

    io.stdout.write(`huduma-sim vpcd: ${KEYS_HELP}\n`);
    insert();
    await done;

    stdin.off('data', onKey);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    for (const [signal, handler] of signals) process.off(signal, handler);
    // Not waiting for the queue: an insertion still waiting for pcscd would never finish.
    await bridge.close();
    io.stdout.write('stopped\n');
    return 0;
  },
});

SIM_COMMANDS.push(vpcdCommand as SimCommand);
await runMain(simCli());
