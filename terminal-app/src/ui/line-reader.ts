import { createInterface, type Interface } from 'node:readline';

/**
 * Line input for the console over any stream. Lines are queued as they arrive, so a script piped
 * into stdin never loses a line that came before its question. In terminal mode (a TTY) readline
 * edits the line and `secret` echoes `*` per key; otherwise the answer is echoed after the prompt
 * so a transcript of a scripted session reads like the screen (PINs as `*`).
 */
export class LineReader {
  private readonly rl: Interface;
  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private muted = false;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    readonly terminal: boolean,
  ) {
    this.rl = createInterface({ input, output, terminal });
    if (terminal) {
      const rl = this.rl as unknown as { _writeToOutput(s: string): void };
      const original = rl._writeToOutput.bind(rl);
      rl._writeToOutput = (s: string) => {
        if (!this.muted) return original(s);
        if (s.includes('\n') || s.includes('\r')) output.write('\n');
        else if (/^[\x20-\x7e]+$/.test(s)) output.write('*'.repeat(s.length));
      };
    }
    this.rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
    // Ctrl-C ends the session (readline would otherwise only pause the input and hang).
    this.rl.on('SIGINT', () => {
      output.write('^C\n');
      this.rl.close();
    });
    this.rl.on('close', () => {
      this.ended = true;
      const w = this.waiting;
      this.waiting = undefined;
      w?.(undefined);
    });
  }

  /** Prints `prompt` and resolves the next line, trimmed; undefined at end of input. */
  ask(prompt: string): Promise<string | undefined> {
    return this.read(prompt, false);
  }

  /** Like ask, but the answer is not shown (a PIN). */
  secret(prompt: string): Promise<string | undefined> {
    return this.read(prompt, true);
  }

  /** Lines typed ahead and not yet read (tests, type-ahead). */
  get buffered(): number {
    return this.lines.length;
  }

  get closed(): boolean {
    return this.ended && this.lines.length === 0;
  }

  /** Ends a question nobody needs answered any more (resolves it with undefined). */
  cancelPending(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(undefined);
  }

  close(): void {
    this.rl.close();
  }

  private async read(prompt: string, secret: boolean): Promise<string | undefined> {
    this.output.write(prompt);
    let line: string | undefined;
    if (this.lines.length) line = this.lines.shift();
    else if (this.ended) line = undefined;
    else {
      this.muted = secret && this.terminal;
      try {
        line = await new Promise<string | undefined>((resolve) => {
          this.waiting = resolve;
        });
      } finally {
        this.muted = false;
      }
    }
    if (!this.terminal)
      this.output.write(`${line === undefined ? '' : secret ? '*'.repeat(line.length) : line}\n`);
    return line?.trim();
  }
}
