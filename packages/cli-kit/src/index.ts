/**
 * @huduma/cli-kit — the small kit every Huduma command-line tool is built on, over `node:util`
 * parseArgs: commands and subcommands with one-line summaries, `--help`/`-h` and `help <cmd>`
 * everywhere, `--version`, one clear line and exit 2 for a usage error, `error: <message>` (+
 * the next step) and exit 1 for a typed error, stack traces only with `--debug`, EPIPE ends
 * quietly, and amounts typed in KES with two decimals through the one shared parser.
 */
export { debugText, EXIT_FAILED, EXIT_OK, EXIT_USAGE, errorLines, isTypedError, UsageError } from './errors';
export { helpText, synopsis, usageHint } from './help';
export { arity, parseCommandLine } from './parse';
export { command, defineCli, runCli, runMain, write } from './run';
export type {
  CliIo,
  CliSpec,
  CliStream,
  Command,
  CommandContext,
  OptionSpec,
  OptionSpecs,
  OptionValues,
} from './types';
