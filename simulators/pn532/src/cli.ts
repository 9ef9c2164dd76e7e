#!/usr/bin/env node
/**
 * huduma-sim-pn532: a simulated PN532 with a Huduma card file in its field, on a pty pair.
 *
 *   huduma-sim-pn532 --card card.cbor --link /tmp/pn532 [--corrupt-rate P] [--drop-rate P]
 *                    [--slow-ms MS] [--seed N]
 *   huduma-sim-pn532 --card card.cbor --device /dev/ttyX      (the device end of a line you made)
 *
 * Then: huduma-terminal sale --reader pn532:/tmp/pn532 ...  Lines on stdin act on the card:
 * `remove`, `insert`, `pull-before` / `pull-after` (pull it during the next APDU), `quit`.
 */
import { createInterface } from 'node:readline';
import { SimulatedCard } from '@huduma/card-simulator';
import { runPn532SimCli } from './run-cli';

const lines = createInterface({ input: process.stdin });
const code = await runPn532SimCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  openCard: (path) => SimulatedCard.open(path),
  lines,
  signals: (stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
});
lines.close();
process.stdin.destroy();
process.exitCode = code;
