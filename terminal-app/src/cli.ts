#!/usr/bin/env node
/**
 * `huduma-terminal`: the counter terminal from the command line, one command per run (for
 * scripts). Programs and tests call `runTerminalCli` from ./cli/commands instead: this file runs
 * on import.
 */
import { runMain } from '@huduma/cli-kit';
import { terminalCli } from './cli/commands';

await runMain(terminalCli);
