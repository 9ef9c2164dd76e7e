import { FILES, storageFailureLine } from '@huduma/terminal';

/**
 * A failure while using the terminal directory `dir`: the engine's error, with the directory the
 * CLI needs to say which command to run next. Same `code` as the error it wraps.
 */
export class TerminalDirError extends Error {
  override name = 'TerminalDirError';
  readonly code: string;
  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    const code = (cause as { code?: unknown })?.code;
    this.code = typeof code === 'string' ? code : 'ERR_TERMINAL';
  }
}

const causeOf = (error: unknown) => (error instanceof TerminalDirError ? error.cause : error);
const dirOf = (error: unknown) => (error instanceof TerminalDirError ? error.dir : 'D');
const codeOf = (error: unknown) => (error as { code?: unknown })?.code;

/** The cashier's or operator's words for failures the engine describes for programmers. */
export function explainTerminalError(error: unknown): string | undefined {
  const dir = dirOf(error);
  const code = codeOf(error);
  const cause = causeOf(error);
  if (code === 'ERR_TXLOG_CORRUPT')
    return `the transaction log ${dir}/${FILES.log} is damaged and cannot be opened (${(cause as Error).message})`;
  if (code === 'ERR_TERMINAL_CONFIG' && /not a provisioned terminal/.test(String((cause as Error)?.message)))
    return `${dir} is not a provisioned terminal (no ${FILES.config})`;
  // Storage words only for the terminal's own files (an engine that was open), not e.g. a PKI file.
  return error instanceof TerminalDirError ? storageFailureLine(cause) : undefined;
}

/** Which command to run next, for the failures a cashier or operator can act on. */
export function terminalNextStep(error: unknown): string | undefined {
  const dir = dirOf(error);
  const code = codeOf(error);
  const message = String((causeOf(error) as Error)?.message ?? '');
  if (code === 'ERR_TXLOG_CORRUPT')
    return `run "huduma log verify ${dir}/${FILES.log} --terminal-cert ${dir}/${FILES.certificate}" to see the first bad record, then restore ${dir} from its backup or call support (do not delete the log: it holds sales not yet uploaded)`;
  if (code === 'ERR_TERMINAL_CONFIG' && /not a provisioned terminal/.test(message))
    return `provision it with: huduma-terminal init --dir ${dir} --pki ./pki --terminal-id T-0001 --merchant HC-NBI01 --location "NAME"`;
  if (code === 'ERR_TERMINAL_BUSY')
    return 'another huduma-terminal is using this terminal: wait for it, then run again';
  if (code === 'ERR_CARD_REMOVED' || code === 'ERR_TRANSPORT' || code === 'ERR_TRANSPORT_TIMEOUT')
    return 'put the card back on the reader and run the same command again';
  if (code === 'ERR_READER_UNAVAILABLE')
    return 'check the reader is plugged in and pcscd is running, then run again';
  if (typeof code === 'string' && code.startsWith('ERR_SYNC_'))
    return `check the network and the clearing service, then run "huduma-terminal sync --dir ${dir}" again`;
  if (code === 'ERR_PKI_NOT_FOUND') return 'create one with: huduma pki init ./pki';
  return undefined;
}
