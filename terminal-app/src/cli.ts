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
    process.stderr.write(`huduma-terminal: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
