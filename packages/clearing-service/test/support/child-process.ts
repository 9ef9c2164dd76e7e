/**
 * Spawning TypeScript test scripts as real child processes (`node --conditions=huduma-source
 * --import tsx`) and reading the JSON lines they print.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface Child {
  process: ChildProcess;
  /** Resolves with the first JSON line printed that has `key` (rejects if the child exits first). */
  waitFor<T = unknown>(key: string, timeoutMs?: number): Promise<T>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  stderr(): string;
}

export function startChild(script: string, env: Record<string, string>, args: string[] = []): Child {
  const child = spawn(process.execPath, ['--conditions=huduma-source', '--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let exited = false;
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const w of waiters) w();
  });
  // A failed test must not leave a service running behind the test runner.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exit = once(child, 'exit');
  void exit.then(() => {
    process.off('exit', killOnExit);
    exited = true;
    for (const w of waiters) w();
  });
  return {
    process: child,
    waitFor<T>(key: string, timeoutMs = 60_000) {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`child ${script} printed no "${key}" within ${timeoutMs} ms; stderr:\n${stderr}`));
        }, timeoutMs);
        const check = () => {
          const hit = lines.find((l) => key in l);
          if (hit || exited) {
            clearTimeout(timer);
            waiters.delete(check);
            if (hit) resolve(hit[key] as T);
            else reject(new Error(`child ${script} exited before printing "${key}"; stderr:\n${stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async kill() {
      if (!exited) {
        child.kill('SIGKILL');
        await exit;
      }
    },
    async stop() {
      if (exited) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await exit) as [number | null];
      return code;
    },
    stderr: () => stderr,
  };
}
