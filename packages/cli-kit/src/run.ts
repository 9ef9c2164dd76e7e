import { debugText, EXIT_FAILED, EXIT_OK, EXIT_USAGE, errorLines, UsageError } from './errors';
import { helpText, usageHint } from './help';
import { parseCommandLine } from './parse';
import type { CliIo, CliSpec, Command, CommandContext, OptionSpecs } from './types';

/** Identity with type inference: `command({ name, options: { dir: { type: 'string', … } }, run })`. */
export function command<O extends OptionSpecs>(spec: Command<O>): Command<O> {
  return spec;
}

/** Same, for the root of a CLI. */
export function defineCli<O extends OptionSpecs>(spec: CliSpec<O>): CliSpec<O> {
  return spec;
}

class Usage {
  constructor(
    readonly error: UsageError,
    readonly path: string,
    readonly command: Command,
  ) {}
}

function beforeDashDash(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end === -1 ? argv : argv.slice(0, end);
}

function findCommand(parent: Command, name: string): Command | undefined {
  return parent.commands?.find((c) => c.name === name);
}

async function dispatch(
  cmd: Command,
  path: string,
  argv: readonly string[],
  io: CliIo,
  isRoot: boolean,
): Promise<number> {
  const first = argv[0];
  if (cmd.commands?.length && first !== undefined && !first.startsWith('-')) {
    if (first === 'help') {
      let target = cmd;
      let targetPath = path;
      for (const name of argv.slice(1)) {
        const next = findCommand(target, name);
        if (!next) throw new Usage(new UsageError(`unknown command "${name}"`), targetPath, target);
        target = next;
        targetPath = `${targetPath} ${name}`;
      }
      await write(io.stdout, helpText(targetPath, target, target === cmd && isRoot));
      return EXIT_OK;
    }
    const sub = findCommand(cmd, first);
    if (sub) return dispatch(sub, `${path} ${first}`, argv.slice(1), io, false);
    if (!cmd.run) throw new Usage(new UsageError(`unknown command "${first}"`), path, cmd);
  }
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, cmd.options ?? {}, cmd.run ? cmd.args : []);
  } catch (err) {
    if (err instanceof UsageError) throw new Usage(err, path, cmd);
    throw err;
  }
  if (parsed.help) {
    await write(io.stdout, helpText(path, cmd, isRoot));
    return EXIT_OK;
  }
  if (!cmd.run) {
    // A group typed without its command: the list of commands, as a usage error.
    await write(io.stderr, helpText(path, cmd, isRoot));
    return EXIT_USAGE;
  }
  const context: CommandContext<OptionSpecs> = {
    values: parsed.values as CommandContext<OptionSpecs>['values'],
    positionals: parsed.positionals,
    io,
    path,
    need(name) {
      const value = parsed.values[name];
      if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
      return value as never;
    },
    usageError: (message) => new UsageError(message),
  };
  try {
    return (await cmd.run(context)) ?? EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) throw new Usage(err, path, cmd);
    throw err;
  }
}

/** Writes and waits for `drain` when the stream asks for it (a slow pipe), never forever. */
export async function write(stream: CliIo['stdout'], chunk: string): Promise<void> {
  if (stream.write(chunk) === false && typeof stream.once === 'function') {
    const s = stream as CliIo['stdout'] & { once(event: string, listener: () => void): unknown };
    await new Promise<void>((resolve) => {
      s.once('drain', resolve);
      s.once('close', resolve);
      s.once('error', resolve);
    });
  }
}

/**
 * Runs a CLI with `argv` (without node and the script) and resolves its exit code; never
 * throws. 0 done, 1 a typed error or a failure the command reported, 2 a usage error.
 * `--debug` (anywhere before `--`, or HUDUMA_DEBUG=1) adds the stack trace to a failure.
 */
export async function runCli(spec: CliSpec, argv: readonly string[], io: CliIo = process): Promise<number> {
  const args = [...argv];
  const head = beforeDashDash(args);
  const debugAt = head.indexOf('--debug');
  const debug = debugAt !== -1 || process.env.HUDUMA_DEBUG === '1';
  if (debugAt !== -1) args.splice(debugAt, 1);
  try {
    if (args[0] === '--version' || (!spec.commands?.length && beforeDashDash(args).includes('--version'))) {
      await write(io.stdout, `${spec.name} ${spec.version}\n`);
      return EXIT_OK;
    }
    return await dispatch(spec, spec.name, args, io, true);
  } catch (err) {
    try {
      if (err instanceof Usage) {
        await write(io.stderr, `${err.path}: ${err.error.message}\n${usageHint(err.path, err.command)}`);
        return EXIT_USAGE;
      }
      const lines = errorLines(err, spec.nextStep, spec.explain);
      if (debug) lines.push(debugText(err));
      await write(io.stderr, `${lines.join('\n')}\n`);
    } catch {
      // stderr itself is gone: the exit code is all that is left to say it.
    }
    return EXIT_FAILED;
  }
}

/**
 * The `bin` entry: runs the CLI on `process`, sets the exit code, and ends quietly with 0 when
 * the reader of stdout goes away (`huduma log export … | head`).
 */
export async function runMain(spec: CliSpec, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK);
    process.stderr.write(`error: cannot write the output: ${err.message}\n`);
    process.exit(EXIT_FAILED);
  });
  process.exitCode = await runCli(spec, argv, process);
}
