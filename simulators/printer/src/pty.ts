import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** The end the application opens, like /dev/ttyUSB0. */
  hostPath: string;
  /** The end the simulated device opens. */
  devicePath: string;
  close(): Promise<void>;
}

/**
 * A real pseudo-terminal pair joined by Debian's socat
 * (`socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B`): bytes written to one end come out of
 * the other, through the kernel's tty layer, as on a serial cable.
 */
export async function openPtyPair(options: { dir?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'huduma-pty-'));
  const ownDir = options.dir === undefined;
  const hostPath = join(dir, 'host');
  const devicePath = join(dir, 'device');
  let child: ChildProcess;
  try {
    child = spawn('socat', [`pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${devicePath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    throw new Error(`cannot start socat (apt-get install socat; scripts/setup does): ${String(err)}`);
  }
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = await new Promise<string | undefined>((resolve) => {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    child.once('error', (err) =>
      resolve(`cannot start socat (apt-get install socat; scripts/setup does): ${err.message}`),
    );
    const poll = () => {
      if (existsSync(hostPath) && existsSync(devicePath)) resolve(undefined);
      else if (child.exitCode !== null) resolve(`socat exited: ${stderr.trim()}`);
      else if (Date.now() > deadline) resolve('socat did not create the pty links in time');
      else setTimeout(poll, 20);
    };
    poll();
  });
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  if (started !== undefined) {
    await close();
    throw new Error(started);
  }
  return { hostPath, devicePath, close };
}
