#!/usr/bin/env node
/**
 * `huduma-terminal`: the counter terminal from the command line, one command per run (for
 * scripts). Programs and tests call `runTerminalCli` from ./cli/commands instead: this file runs
 * on import.
 */
import { runTerminalCli } from './cli/commands';

runTerminalCli(process.argv.slice(2), process).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One line for the cashier or the script; the stack only when asked for (HUDUMA_DEBUG=1).
    const detail =
      process.env.HUDUMA_DEBUG === '1'
        ? ((err as Error)?.stack ?? String(err))
        : String((err as Error)?.message ?? err).split('\n')[0];
    process.stderr.write(`huduma-terminal: ${detail}\n`);
    process.exitCode = 1;
  },
);
