/**
 * A throwaway PC/SC stack for tests: a private pcscd with the vsmartcard vpcd driver, and a card
 * host that plugs virtual cards into its readers.
 *
 * Layout:
 * - a namespace holder (`unshare -n -m`, then `sleep infinity`) owns a fresh network namespace, with
 *   loopback up and delayed ACK off (quickack) so the vpcd socket does not stall ~40 ms per APDU,
 *   and a mount namespace in which our own directory is bind-mounted over /run. pcsc-lite 1.9.9's
 *   daemon ignores PCSCLITE_CSOCK_NAME, so this is how it gets a socket path of its own.
 * - pcscd runs in the foreground inside those namespaces (nsenter), so it can be restarted while the
 *   card host stays put. Its socket lands in our directory, which clients in the test process reach
 *   through PCSCLITE_CSOCK_NAME (set on process.env here, inherited by child processes).
 * - the card host (pcsc-card-host.ts) runs in the same network namespace and is driven over IPC.
 *
 * Plugging in another card is one option: `startPcscHarness({ cardModule: '/path/to/module.ts' })`,
 * where the module exports `createCard(options): VirtualCard`.
 *
 * libpcsclite caches the socket path on first use, so one process hosts one harness at a time
 * (vitest runs each test file in its own process).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CardHostMessage, CardHostRequest } from './pcsc-card-host';

const here = dirname(fileURLToPath(import.meta.url));
/** The harness's own fake card (see pcsc-fake-card.ts). */
export const FAKE_CARD_MODULE = join(here, 'pcsc-fake-card.ts');
const CARD_HOST = join(here, 'pcsc-card-host.ts');
/**
 * setpriv sets the parent-death signal and execs; unshare, nsenter and sh exec in turn, so the
 * final program (sleep, pcscd, node) is SIGKILLed if the test process dies, even by SIGKILL or a
 * native crash, when no exit hook runs.
 */
const DIE_WITH_PARENT = ['--pdeathsig', 'KILL'];
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const VPCD_CONFIG = '/etc/reader.conf.d/vpcd';
const INSTALL_HINT =
  'Install the PC/SC test stack with `bash scripts/setup` or ' +
  '`apt-get install pcscd vsmartcard-vpcd libpcsclite-dev pcsc-tools util-linux iproute2`.';

export interface PcscHarnessOptions {
  /** Module exporting `createCard(options): VirtualCard`; default: the harness's fake card. */
  cardModule?: string;
  /** Extra pcscd verbosity (`-d` instead of `-i`, plus `-a` APDU logging). */
  debug?: boolean;
  /** Keep the temporary directory (logs) after stop(). Also HUDUMA_PCSC_KEEP_LOGS=1. */
  keepLogs?: boolean;
}

export interface InsertOptions {
  /** Card module for this insertion (default: the harness's `cardModule`). */
  module?: string;
  /** Passed to `createCard(options)`. */
  options?: unknown;
}

export interface PcscHarness {
  /** pcscd socket; also exported to this process and its children as PCSCLITE_CSOCK_NAME. */
  readonly socketPath: string;
  /** Reader names announced by pcscd, slot order (slot n = vpcd port 35963 + n). */
  readonly readers: readonly string[];
  readonly pcscdLogPath: string;
  /** Environment to give child processes that must use this pcscd. */
  readonly env: NodeJS.ProcessEnv;
  /** Current pcscd process id (changes on restart). */
  pcscdPid(): number;
  /** Network namespace path; `nsenter --net=<this>` runs a program next to pcscd. */
  netnsPath(): string;
  insertCard(slot?: number, options?: InsertOptions): Promise<void>;
  removeCard(slot?: number): Promise<void>;
  /** The card disappears instead of answering the next command; resolves when armed. */
  removeCardOnNextCommand(slot?: number): Promise<{ removed: Promise<void> }>;
  cardStats(slot?: number): Promise<{ commandsAnswered: number }>;
  stopPcscd(): Promise<void>;
  startPcscd(): Promise<void>;
  restartPcscd(): Promise<void>;
  readPcscdLog(): string;
  stop(): Promise<void>;
}

/** Throws, saying what to install, when the stack cannot run here. Never skips. */
export function checkPcscPrerequisites(): void {
  const missing: string[] = [];
  for (const tool of ['pcscd', 'unshare', 'nsenter', 'setpriv', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(tool);
  }
  if (!existsSync(VPCD_DRIVER)) missing.push(`${VPCD_DRIVER} (package vsmartcard-vpcd)`);
  if (!existsSync(VPCD_CONFIG)) missing.push(`${VPCD_CONFIG} (package vsmartcard-vpcd)`);
  if (missing.length > 0) {
    throw new Error(`PC/SC test stack incomplete, missing: ${missing.join(', ')}. ${INSTALL_HINT}`);
  }
  const probe = spawnSync('unshare', ['-n', '-m', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `cannot create network + mount namespaces (unshare -n -m: ${probe.stderr.trim() || probe.status}). ` +
        'Run the PC/SC tests as root or with CAP_SYS_ADMIN (in a container: --cap-add SYS_ADMIN).',
    );
  }
}

function vpcdConfig(): { text: string; port: number } {
  const text = readFileSync(VPCD_CONFIG, 'utf8');
  const channel = /^\s*CHANNELID\s+(0x[0-9a-f]+|\d+)/im.exec(text);
  if (!text.includes('libifdvpcd') || !channel?.[1]) {
    throw new Error(`${VPCD_CONFIG} does not declare the vpcd driver with a CHANNELID. ${INSTALL_HINT}`);
  }
  return { text, port: Number(channel[1]) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number, detail: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await sleep(10);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

type DistributiveOmitId<T> = T extends unknown ? Omit<T, 'id'> : never;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllSync(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // pcscd must never outlive the test process, whatever way it ends.
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllSync();
      process.kill(process.pid, signal);
    });
  }
}

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Starts pcscd + vpcd + card host. Call `stop()` in afterAll (the exit hook is a backstop). */
export async function startPcscHarness(options: PcscHarnessOptions = {}): Promise<PcscHarness> {
  checkPcscPrerequisites();
  const { text: configText, port: basePort } = vpcdConfig();
  const dir = mkdtempSync(join(tmpdir(), 'huduma-pcsc-'));
  const runDir = join(dir, 'run');
  const confDir = join(dir, 'reader.conf.d');
  spawnSync('mkdir', ['-p', runDir, confDir]);
  writeFileSync(join(confDir, 'vpcd'), configText);
  const socketPath = join(runDir, 'pcscd', 'pcscd.comm');
  const pcscdLogPath = join(dir, 'pcscd.log');
  const cardHostLogPath = join(dir, 'card-host.log');
  const previous = process.env.PCSCLITE_CSOCK_NAME;
  if (previous && previous !== socketPath && live.size > 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('startPcscHarness: another harness is running in this process (one per process)');
  }
  process.env.PCSCLITE_CSOCK_NAME = socketPath;
  installExitHook();

  // The holder creates the namespaces and keeps them alive across pcscd restarts.
  const setup = [
    'set -e',
    'ip link set lo up',
    'ip route change local 127.0.0.0/8 dev lo table local quickack 1',
    'ip route change local 127.0.0.1 dev lo table local quickack 1',
    `mount --bind '${runDir}' /run`,
    'echo ready',
    'exec sleep infinity',
  ].join('\n');
  const holder = track(
    spawn('setpriv', [...DIE_WITH_PARENT, 'unshare', '-n', '-m', 'sh', '-c', setup], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let holderOutput = '';
  holder.stdout?.on('data', (d) => (holderOutput += d));
  holder.stderr?.on('data', (d) => (holderOutput += d));
  const holderPid = holder.pid!;
  await waitFor(
    'the namespace holder',
    () => holderOutput.includes('ready') || holder.exitCode !== null,
    5000,
    () => holderOutput,
  );
  if (holder.exitCode !== null) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not set up the network/mount namespace for pcscd:\n${holderOutput}`);
  }
  holder.stdout?.removeAllListeners('data');
  holder.stderr?.removeAllListeners('data');
  holder.stdout?.destroy();
  holder.stderr?.destroy();
  holder.unref();

  let pcscd: ChildProcess | undefined;
  let readers: string[] = [];

  const readPcscdLog = () => (existsSync(pcscdLogPath) ? readFileSync(pcscdLogPath, 'utf8') : '');

  async function startPcscd(): Promise<void> {
    if (pcscd) throw new Error('pcscd already running');
    // A killed pcscd leaves its socket and pid file behind; a new one would refuse to start.
    rmSync(join(runDir, 'pcscd'), { recursive: true, force: true });
    // Where this start's lines begin, read before the spawn: a pcscd that is ready before this
    // process looks at the log (a loaded machine) has already written 'daemon ready'.
    const logStart = readPcscdLog().length;
    const logFd = openSync(pcscdLogPath, 'a');
    const verbosity = options.debug ? ['-d', '-a'] : ['-i'];
    const child = track(
      spawn(
        'setpriv',
        [
          ...DIE_WITH_PARENT,
          'nsenter',
          `--net=/proc/${holderPid}/ns/net`,
          `--mount=/proc/${holderPid}/ns/mnt`,
          'pcscd',
          '-f',
          ...verbosity,
          '-c',
          confDir,
        ],
        { stdio: ['ignore', logFd, logFd] },
      ),
    );
    closeSync(logFd);
    child.unref();
    pcscd = child;
    await waitFor(
      'pcscd to be ready',
      () =>
        child.exitCode !== null ||
        (existsSync(socketPath) && readPcscdLog().includes('daemon ready', logStart)),
      10_000,
      () => readPcscdLog().slice(logStart),
    );
    if (child.exitCode !== null) {
      pcscd = undefined;
      throw new Error(`pcscd exited with ${child.exitCode} at startup:\n${readPcscdLog().slice(logStart)}`);
    }
    const names = [
      ...readPcscdLog()
        .slice(logStart)
        .matchAll(/Attempting startup of (.+?) using /g),
    ].map((m) => m[1]!);
    if (names.length === 0)
      throw new Error(`pcscd started no vpcd reader:\n${readPcscdLog().slice(logStart)}`);
    readers = names;
  }

  async function stopPcscd(): Promise<void> {
    const child = pcscd;
    pcscd = undefined;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited(child);
    clearTimeout(timer);
  }

  await startPcscd();

  const cardHostLog = openSync(cardHostLogPath, 'a');
  const host = track(
    spawn(
      'setpriv',
      [
        ...DIE_WITH_PARENT,
        'nsenter',
        `--net=/proc/${holderPid}/ns/net`,
        process.execPath,
        '--conditions=huduma-source',
        '--import',
        'tsx',
        CARD_HOST,
        '--card-module',
        options.cardModule ?? FAKE_CARD_MODULE,
        '--base-port',
        String(basePort),
      ],
      { stdio: ['ignore', cardHostLog, cardHostLog, 'ipc'], cwd: here },
    ),
  );
  closeSync(cardHostLog);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const removedWaiters = new Map<number, Array<() => void>>();
  let nextId = 1;
  let hostReady = false;
  host.on('message', (message: CardHostMessage) => {
    if (message.event === 'ready') hostReady = true;
    else if (message.event === 'reply') {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.result);
      else waiter?.reject(new Error(`card host: ${message.error}`));
    } else if (message.event === 'removed') {
      for (const done of removedWaiters.get(message.slot) ?? []) done();
      removedWaiters.delete(message.slot);
    }
  });
  host.once('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`card host exited (${code})`));
    pending.clear();
  });
  const cardHostLogText = () => (existsSync(cardHostLogPath) ? readFileSync(cardHostLogPath, 'utf8') : '');
  await waitFor('the card host', () => hostReady || host.exitCode !== null, 20_000, cardHostLogText);
  if (!hostReady) throw new Error(`card host failed to start:\n${cardHostLogText()}`);
  // Let an idle card host not keep the test process alive; requests re-ref it.
  const channel = (host as unknown as { channel?: { ref(): void; unref(): void } }).channel;
  host.unref();
  channel?.unref();

  function request(body: DistributiveOmitId<CardHostRequest>): Promise<unknown> {
    const id = nextId++;
    channel?.ref();
    return new Promise<unknown>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      host.send({ ...body, id } as CardHostRequest);
    }).finally(() => {
      if (pending.size === 0) channel?.unref();
    });
  }

  let stopped = false;
  const harness: PcscHarness = {
    socketPath,
    get readers() {
      return readers;
    },
    pcscdLogPath,
    env: { ...process.env, PCSCLITE_CSOCK_NAME: socketPath },
    pcscdPid: () => pcscd?.pid ?? -1,
    netnsPath: () => `/proc/${holderPid}/ns/net`,
    async insertCard(slot = 0, insert = {}) {
      await request({ op: 'insert', slot, module: insert.module, options: insert.options });
    },
    async removeCard(slot = 0) {
      await request({ op: 'remove', slot });
    },
    async removeCardOnNextCommand(slot = 0) {
      const removed = new Promise<void>((resolve) => {
        removedWaiters.set(slot, [...(removedWaiters.get(slot) ?? []), resolve]);
      });
      await request({ op: 'remove-on-next-command', slot });
      return { removed };
    },
    async cardStats(slot = 0) {
      return (await request({ op: 'stats', slot })) as { commandsAnswered: number };
    },
    stopPcscd,
    startPcscd,
    async restartPcscd() {
      await stopPcscd();
      await startPcscd();
    },
    readPcscdLog,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (host.exitCode === null) {
        const timer = setTimeout(() => host.kill('SIGKILL'), 3000);
        host.send({ id: 0, op: 'stop' } satisfies CardHostRequest, () => {});
        await exited(host);
        clearTimeout(timer);
      }
      await stopPcscd();
      holder.kill('SIGKILL');
      await exited(holder);
      if (!(options.keepLogs || process.env.HUDUMA_PCSC_KEEP_LOGS === '1')) {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return harness;
}
