/** Wrong command line: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  readonly code = 'ERR_TERMINAL_CLI_USAGE';
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string>;
}

/** `--name value` and `--name=value`; every flag takes a value (this CLI has no boolean flags). */
export function parseArgs(args: readonly string[], known: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.includes(name)) throw new UsageError(`unknown option --${name}`);
    let value: string | undefined;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      value = args[i + 1];
      // A value may itself start with "-" only when it is not another option ("--amount -5" is caught later).
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    if (flags.has(name)) throw new UsageError(`--${name} given twice`);
    flags.set(name, value);
  }
  return { positional, flags };
}

export function required(args: ParsedArgs, name: string): string {
  const v = args.flags.get(name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}
