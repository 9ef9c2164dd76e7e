/** Wrong command line: the kit prints one line and the usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'ERR_USAGE';
}

/** Exit codes every Huduma CLI shares. */
export const EXIT_OK = 0;
/** A typed error, a declined transaction, a bad log: the command ran and said why it failed. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** An error with a stable machine-readable `code` (ours, or Node's `ENOENT`…). */
export function isTypedError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/** The first line of a message: a cashier or a script reads one line, not a dump. */
export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 0 ? line : text.trim();
}

/** The text of `error` for `--debug`: stack and the chain of causes. */
export function debugText(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && depth < 8; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}

/**
 * The lines a CLI prints for a failure that is not a usage error: "error: <message>" and, when
 * the error offers one, "next step: <what to run>". `nextStep` is the CLI's own advice.
 */
export function errorLines(
  error: unknown,
  nextStep?: (error: unknown) => string | undefined,
  explain?: (error: unknown) => string | undefined,
): string[] {
  let message =
    error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown failure';
  try {
    message = explain?.(error) ?? message;
  } catch {
    // the CLI's own words failed: the error's are still there
  }
  let line = firstLine(message || (error as Error)?.name || 'unknown failure');
  // The code is for support and scripts; the sentence before it is for the person.
  if (isTypedError(error) && /^ERR_[A-Z0-9_]+$/.test(error.code) && !line.includes(error.code))
    line += ` (${error.code})`;
  const lines = [`error: ${line}`];
  const own = (error as { nextStep?: unknown } | undefined)?.nextStep;
  let step: string | undefined = typeof own === 'string' ? own : undefined;
  if (step === undefined && nextStep) {
    try {
      step = nextStep(error);
    } catch {
      step = undefined;
    }
  }
  if (step) lines.push(`next step: ${step}`);
  if (!isTypedError(error)) lines.push('(an unexpected failure: run again with --debug and report it)');
  return lines;
}
