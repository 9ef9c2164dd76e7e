import { parseArgs } from 'node:util';
import { parseKesAmount } from '@huduma/card-applet-spec';
import { UsageError } from './errors';
import type { OptionSpec, OptionSpecs } from './types';

export interface Parsed {
  values: Record<string, string | boolean | number | undefined>;
  positionals: string[];
  help: boolean;
}

/** Arity of `args` names: "FILE" required, "[DIR]" optional, "FILE..." / "[FILE...]" variadic. */
export function arity(names: readonly string[] | undefined): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const n of names ?? []) {
    const optional = n.startsWith('[');
    const variadic = n.endsWith('...') || n.endsWith('...]');
    if (!optional) min++;
    max = variadic ? Number.POSITIVE_INFINITY : max + 1;
  }
  return { min, max };
}

function flagOf(message: string): string {
  return /'(-[^' ]*)/.exec(message)?.[1] ?? 'an option';
}

/** parseArgs' own messages speak to programmers; these speak to the person at the keyboard. */
function usageErrorOf(err: unknown): UsageError {
  const code = (err as { code?: string }).code;
  const message = String((err as Error)?.message ?? err);
  const flag = flagOf(message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${flag}`);
  if (/argument missing/.test(message)) return new UsageError(`${flag} needs a value`);
  if (/does not take an argument/.test(message)) return new UsageError(`${flag} takes no value`);
  if (/ambiguous/.test(message))
    return new UsageError(`${flag} needs a value; to give one starting with "-", write ${flag}=VALUE`);
  return new UsageError(firstLineOf(message));
}

const firstLineOf = (text: string) => text.split('\n', 1)[0]!;

function convert(name: string, spec: OptionSpec, raw: string): string | number {
  if (spec.type === 'kes') {
    try {
      return parseKesAmount(raw, {
        ...(spec.allowZero === undefined ? {} : { allowZero: spec.allowZero }),
        ...(spec.max === undefined ? {} : { max: spec.max }),
      });
    } catch (err) {
      throw new UsageError(`--${name}: ${(err as Error).message} (KES, e.g. 250.00)`);
    }
  }
  if (spec.type === 'integer') {
    const n = /^\s*-?\d{1,15}\s*$/.test(raw) ? Number(raw) : Number.NaN;
    const min = spec.min ?? Number.MIN_SAFE_INTEGER;
    const max = spec.max ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new UsageError(
        `--${name} must be a whole number${spec.min !== undefined ? ` from ${min}` : ''}${spec.max !== undefined ? ` up to ${max}` : ''}, got ${JSON.stringify(raw)}`,
      );
    return n;
  }
  return raw;
}

/**
 * `node:util` parseArgs in strict mode, plus what it leaves to us: one clear usage error per
 * mistake (unknown option, missing value, an option given twice, too many or too few
 * arguments), KES amounts and integers converted, `--help`/`-h` recognised.
 */
export function parseCommandLine(
  argv: readonly string[],
  options: OptionSpecs,
  argNames: readonly string[] | undefined,
): Parsed {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(options)) {
    config[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
    if (spec.short) config[name]!.short = spec.short;
  }
  let result: ReturnType<typeof parseArgs>;
  try {
    result = parseArgs({
      args: [...argv],
      options: config,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (err) {
    // `--help` wins over every other mistake on the line: the person asked how to type it.
    const beforeDashDash = argv.slice(0, argv.indexOf('--') === -1 ? argv.length : argv.indexOf('--'));
    if (beforeDashDash.includes('--help') || beforeDashDash.includes('-h'))
      return { values: {}, positionals: [], help: true };
    throw usageErrorOf(err);
  }
  if (result.values.help === true) return { values: {}, positionals: [], help: true };
  const seen = new Set<string>();
  for (const token of result.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name) && options[token.name]?.type !== 'boolean')
      throw new UsageError(`--${token.name} given twice`);
    seen.add(token.name);
  }
  const values: Parsed['values'] = {};
  for (const [name, spec] of Object.entries(options)) {
    const raw = result.values[name];
    if (raw === undefined) continue;
    values[name] = typeof raw === 'string' ? convert(name, spec, raw) : (raw as boolean);
  }
  const { min, max } = arity(argNames);
  const positionals = result.positionals;
  if (positionals.length > max)
    throw new UsageError(
      max === 0
        ? `unexpected argument ${JSON.stringify(positionals[0])}`
        : `too many arguments: expected ${(argNames ?? []).join(' ')}`,
    );
  if (positionals.length < min) {
    const missing = (argNames ?? []).filter((n) => !n.startsWith('['))[positionals.length]!;
    throw new UsageError(`${missing.replace('...', '')} is required`);
  }
  return { values, positionals, help: false };
}
