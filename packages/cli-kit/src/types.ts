/** A stream the kit writes to; `process.stdout` fits, and so does `{ write: (s) => … }` in tests. */
export interface CliStream {
  write(chunk: string): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

/** Where a command reads and writes; `process` fits. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** For interactive commands only. */
  stdin?: NodeJS.ReadableStream;
}

interface OptionBase {
  /** One line for `--help`. */
  description: string;
  /** One-letter alias (`-p`). */
  short?: string;
}

/**
 * An option of a command. `kes` is an amount typed by a person in KES with up to two decimals
 * ("250.00"), given to the command as integer cents; `integer` a whole number in [min, max].
 */
export type OptionSpec =
  | (OptionBase & { type: 'boolean' })
  | (OptionBase & { type: 'string'; value?: string; required?: boolean })
  | (OptionBase & { type: 'kes'; value?: string; required?: boolean; allowZero?: boolean; max?: number })
  | (OptionBase & { type: 'integer'; value?: string; required?: boolean; min?: number; max?: number });

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' }
  ? boolean
  : S extends { type: 'kes' | 'integer' }
    ? number
    : string;

/** The parsed options: absent ones are undefined. */
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]?: ValueOf<O[K]> };

export interface CommandContext<O extends OptionSpecs> {
  values: OptionValues<O>;
  positionals: string[];
  io: CliIo;
  /** "huduma log verify": the command as typed, for messages. */
  path: string;
  /** The value of an option the command cannot do without, or a usage error naming it. */
  need<K extends keyof O & string>(name: K): NonNullable<OptionValues<O>[K]>;
  /** A usage error (exit 2) for rules between options the kit cannot express. */
  usageError(message: string): Error;
}

/**
 * A command, or a group of subcommands (`commands`). `args` names the positional arguments:
 * "FILE" is required, "[DIR]" optional, "FILE..." one or more, "[FILE...]" any number.
 */
export interface Command<O extends OptionSpecs = OptionSpecs> {
  name: string;
  /** One line, shown in the parent's command list and at the top of `--help`. */
  summary: string;
  options?: O;
  args?: string[];
  /** The synopsis after the command path, when the generated one would mislead. */
  usage?: string;
  /** More lines for `--help` (examples, exit codes, environment). */
  details?: string;
  // biome-ignore lint/suspicious/noExplicitAny: subcommands have option sets of their own
  commands?: Command<any>[];
  /** Resolves the exit code (undefined = 0). */
  run?(context: CommandContext<O>): Promise<number | undefined> | number | undefined;
}

/** A whole CLI: the root command, its program name and version. */
export interface CliSpec<O extends OptionSpecs = OptionSpecs> extends Command<O> {
  /** From the package.json of the package that ships the binary. */
  version: string;
  /**
   * The next step for a typed error this CLI knows how to help with (printed after the error
   * line); an error's own `nextStep` property wins.
   */
  nextStep?(error: unknown): string | undefined;
  /**
   * This CLI's own words for an error it knows (e.g. the terminal's storage failures): replaces
   * the error's message on the error line. The code (if any) is still shown.
   */
  explain?(error: unknown): string | undefined;
}
