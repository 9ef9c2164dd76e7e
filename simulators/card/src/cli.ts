#!/usr/bin/env node
import { VpcdBridge } from '@huduma/sim-vpcd';
import { runSimCli, SIM_COMMANDS, SimCliUsageError } from './run-cli';
import { SimulatedCard } from './simulated-card';

const KEYS_HELP =
  'keys: i insert, r remove, t toggle, q (or Ctrl-C) quit; signals: SIGUSR1 insert, SIGUSR2 remove';

/**
 * `huduma-sim vpcd`: the card file behind the vsmartcard vpcd driver of a running pcscd, so any
 * PC/SC program sees it in "Virtual PCD 00 00" (port 35963; 35964 is "Virtual PCD 00 01").
 * Every insertion re-opens the file: like a real card pulled and tapped again, RAM is lost and
 * what was persisted is what comes back.
 */
SIM_COMMANDS.vpcd = {
  summary: `vpcd --card card.cbor [--port 35963] [--host 127.0.0.1]   (${KEYS_HELP})`,
  async run(_args, flags, io) {
    const cardPath = flags.get('card');
    if (cardPath === undefined) throw new SimCliUsageError('--card is required');
    const portText = flags.get('port') ?? '35963';
    const port = Number(portText);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new SimCliUsageError(`--port must be a TCP port, got ${portText}`);
    }
    const host = flags.get('host') ?? '127.0.0.1';
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
};

process.exitCode = await runSimCli(process.argv.slice(2));
