/**
 * A real pseudo-terminal pair from Debian's `socat`: bytes written to one end come out of the
 * other, through the kernel's tty layer, exactly as with a serial cable. One end for the host
 * (the transport), one for the device (the simulator).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** Link to the end the host opens (what `--reader pn532:PATH` names). */
  readonly host: string;
  /** Link to the end the simulator opens. */
  readonly device: string;
  /** Stops socat (both ends go away) and removes the links. */
  close(): Promise<void>;
}

/** `socat` is not installed. Code `ERR_SOCAT_MISSING`. */
export class SocatMissingError extends Error {
  readonly code = 'ERR_SOCAT_MISSING';
  constructor() {
    super('socat is missing: install it with `bash scripts/setup` or `apt-get install socat`');
  }
}

/**
 * Starts `socat -d -d pty,raw,echo=0,link=HOST pty,raw,echo=0,link=DEVICE` and resolves once both
 * links exist. Links go in `dir` (a fresh temporary directory by default), or at the paths given.
 */
export async function openPtyPair(
  options: { host?: string; device?: string; timeoutMs?: number; socat?: string } = {},
): Promise<PtyPair> {
  const dir = options.host && options.device ? undefined : mkdtempSync(join(tmpdir(), 'huduma-pn532-pty-'));
  const host = options.host ?? join(dir!, 'host');
  const device = options.device ?? join(dir!, 'device');
  const child = spawn(
    options.socat ?? 'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${device}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d) => {
    log = (log + d).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(undefined));
  });
  if (spawnError) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw (spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? new SocatMissingError() : spawnError;
  }
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  while (!(existsSync(host) && existsSync(device))) {
    if (dead || Date.now() > deadline) {
      child.kill('SIGKILL');
      if (dir) rmSync(dir, { recursive: true, force: true });
      throw new Error(`socat did not make the pty pair ${host} / ${device}: ${log.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    host,
    device,
    async close() {
      await stop(child, exited);
      if (dir) rmSync(dir, { recursive: true, force: true });
      else {
        rmSync(host, { force: true });
        rmSync(device, { force: true });
      }
    },
  };
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
