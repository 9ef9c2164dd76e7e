/**
 * A primary and a hot standby from Debian's PostgreSQL binaries, on loopback, with streaming
 * replication and synchronous commit: a COMMIT the primary acknowledges is already flushed on the
 * standby (`synchronous_standby_names = 'standby1'`, `synchronous_commit = on`), so an upload the
 * service acknowledged survives the primary's death. `killPrimary()` SIGKILLs the primary's
 * postmaster and every backend (a server that dies, not one that shuts down); `promoteStandby()`
 * makes the standby the new primary, committing alone until a new standby would join. `url` lists both hosts, as a service configured for failover
 * would (see packages/clearing-service/src/db/postgres-hosts.ts).
 *
 * Durability note: both servers run with fsync=off to keep the test fast. That loses nothing when
 * a *process* is killed (the kernel keeps the written pages); a production pair keeps fsync on.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresBinDir, freeLoopbackPort, systemUserIds } from './postgres-harness';

export interface ReplicatedPostgres {
  /** `postgres://postgres@127.0.0.1:P1,127.0.0.1:P2/<database>`: both hosts, for the services. */
  url(database: string): string;
  /** The primary alone, for set-up (CREATE DATABASE, migrations). */
  primaryUrl(database: string): string;
  readonly primaryPort: number;
  readonly standbyPort: number;
  /** Until the standby streams and is the synchronous one. */
  waitForSyncStandby(timeoutMs?: number): Promise<void>;
  killPrimary(): void;
  /** Promotes the standby and waits until it takes writes. */
  promoteStandby(): void;
  stop(): Promise<void>;
}

const serverOptions = (port: number, socketDir: string) =>
  [
    `-p ${port}`,
    `-k ${socketDir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c wal_level=replica',
    '-c max_wal_senders=4',
    '-c hot_standby=on',
    '-c synchronous_commit=on',
    // synchronous_standby_names is not set here but in postgresql.conf: a command-line setting
    // would outrank the ALTER SYSTEM that lets the promoted standby commit alone.
  ].join(' ');

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const binDir = findPostgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]): string => {
    const [file, fullArgs] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(binDir, command), ...args]]
      : [join(binDir, command), args];
    try {
      return execFileSync(file, fullArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`${command} ${args.join(' ')} failed: ${stderr}`);
    }
  };
  const baseDir = mkdtempSync(join(tmpdir(), 'huduma-pgrepl-'));
  if (asRoot) {
    const ids = systemUserIds('postgres');
    chownSync(baseDir, ids.uid, ids.gid);
  }
  const primaryDir = join(baseDir, 'primary');
  const standbyDir = join(baseDir, 'standby');
  const primaryPort = await freeLoopbackPort();
  const standbyPort = await freeLoopbackPort();
  const start = (dir: string, port: number) =>
    run('pg_ctl', [
      '-D',
      dir,
      '-l',
      join(baseDir, `${port}.log`),
      '-o',
      serverOptions(port, baseDir),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  const logs = () =>
    [primaryPort, standbyPort]
      .map((p) => {
        try {
          return readFileSync(join(baseDir, `${p}.log`), 'utf8').slice(-2000);
        } catch {
          return '';
        }
      })
      .join('\n');

  let primaryAlive = false;
  let standbyAlive = false;
  try {
    // initdb's trust pg_hba.conf also lets 127.0.0.1 connect for replication.
    run('initdb', [
      '-D',
      primaryDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    appendFileSync(join(primaryDir, 'postgresql.conf'), "\nsynchronous_standby_names = 'standby1'\n");
    start(primaryDir, primaryPort);
    primaryAlive = true;
    run('pg_basebackup', [
      '-d',
      `host=127.0.0.1 port=${primaryPort} user=postgres application_name=standby1`,
      '-D',
      standbyDir,
      '-R', // standby.signal + primary_conninfo (with application_name) in postgresql.auto.conf
      '-X',
      'stream',
      '--no-sync',
    ]);
    start(standbyDir, standbyPort);
    standbyAlive = true;
  } catch (error) {
    const message = `${(error as Error).message}\n${logs()}`;
    if (primaryAlive) run('pg_ctl', ['-D', primaryDir, '-m', 'immediate', 'stop']);
    rmSync(baseDir, { recursive: true, force: true });
    throw new Error(`could not start a replicated PostgreSQL pair from ${binDir}: ${message}`);
  }

  const psql = (port: number, sql: string): string =>
    run('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-At',
      '-c',
      sql,
    ]).trim();
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  return {
    primaryPort,
    standbyPort,
    url: (db) => `postgres://postgres@127.0.0.1:${primaryPort},127.0.0.1:${standbyPort}/${db}`,
    primaryUrl: (db) => `postgres://postgres@127.0.0.1:${primaryPort}/${db}`,
    async waitForSyncStandby(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const state = psql(
          primaryPort,
          "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
        );
        if (state === 'sync') return;
        if (Date.now() > deadline)
          throw new Error(`the standby is not synchronous (state "${state}")\n${logs()}`);
        await sleep(100);
      }
    },
    killPrimary() {
      const pid = Number(readFileSync(join(primaryDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // The backends first (children of the postmaster), then the postmaster: nothing is flushed,
      // nothing says goodbye to its clients.
      try {
        execFileSync('pkill', ['-KILL', '-P', String(pid)]);
      } catch {
        // no children left
      }
      process.kill(pid, 'SIGKILL');
      primaryAlive = false;
    },
    promoteStandby() {
      run('pg_ctl', ['-D', standbyDir, '-w', '-t', '60', 'promote']);
      // Its own copy of postgresql.conf names a synchronous standby it does not have: until a new
      // standby joins, the survivor commits alone (availability), as a failover runbook says.
      psql(standbyPort, "ALTER SYSTEM SET synchronous_standby_names = ''");
      psql(standbyPort, 'SELECT pg_reload_conf()');
    },
    async stop() {
      for (const [alive, dir] of [
        [standbyAlive, standbyDir],
        [primaryAlive, primaryDir],
      ] as const) {
        if (!alive) continue;
        try {
          run('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']);
        } catch {
          // already gone
        }
      }
      standbyAlive = primaryAlive = false;
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
