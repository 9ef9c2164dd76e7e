/**
 * Throwaway PostgreSQL server for tests, built from Debian's packaged binaries
 * (/usr/lib/postgresql/<version>/bin). Data and unix socket live in a fresh temp folder, the
 * server listens on a free loopback port with trust auth, and `stop()` kills it and deletes
 * everything. PostgreSQL refuses to run as root, so when the test runs as root the server runs
 * as the `postgres` system user (the temp folder is handed over to it).
 *
 * Missing binaries are an error, never a skip: the message says what to install.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Creates an empty database and returns its URL (one per test suite keeps suites independent). */
  createDatabase(name: string): Promise<string>;
  /**
   * The same database over the server's Unix-domain socket (libpq's `host=/dir`): what a service
   * on the database's own machine uses; loopback TCP costs both sides kernel time per message.
   */
  socketUrl(databaseUrl: string): string;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'Install the PostgreSQL server binaries: `apt-get install -y postgresql` (Debian ships them in /usr/lib/postgresql/<version>/bin).';

/** Debian's versioned directory first (newest version), never a stray /usr/local/bin/initdb. */
export function findPostgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const candidates = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join(root, v, 'bin'))
        .filter((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))
    : [];
  const found = candidates[0];
  if (!found) throw new Error(`PostgreSQL binaries not found under ${root}/<version>/bin. ${INSTALL_HINT}`);
  return found;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function systemUserIds(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export interface StartPostgresOptions {
  /** More server settings, `name=value` each (e.g. `shared_preload_libraries=pg_stat_statements`). */
  serverOptions?: readonly string[];
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const runAs = (command: string, args: string[]): string => {
    const [file, fullArgs] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
      : [command, args];
    return execFileSync(file, fullArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  const baseDir = mkdtempSync(join(tmpdir(), 'huduma-pg-'));
  if (asRoot) {
    let ids: { uid: number; gid: number };
    try {
      ids = systemUserIds('postgres');
    } catch {
      rmSync(baseDir, { recursive: true, force: true });
      throw new Error(
        `running as root but there is no 'postgres' system user to run the server. ${INSTALL_HINT}`,
      );
    }
    chownSync(baseDir, ids.uid, ids.gid);
  }
  const dataDir = join(baseDir, 'data');
  const logFile = join(baseDir, 'server.log');
  const port = await freeLoopbackPort();

  const cleanup = () => rmSync(baseDir, { recursive: true, force: true });
  try {
    runAs(join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    const serverOptions = [
      `-p ${port}`,
      `-k ${baseDir}`,
      "-c listen_addresses='127.0.0.1'",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      ...(options.serverOptions ?? []).map((setting) => `-c ${setting}`),
    ].join(' ');
    runAs(join(binDir, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      logFile,
      '-o',
      serverOptions,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  } catch (error) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const stderr = (error as { stderr?: string }).stderr ?? '';
    cleanup();
    throw new Error(`could not start a test PostgreSQL server from ${binDir}: ${stderr}\n${log}`);
  }

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    port,
    dataDir,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${JSON.stringify(name)}`);
      // Not `import('pg')`: see packages/clearing-service/src/db/pg-modules.d.ts.
      const { default: Client } = await import('pg/lib/client');
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    socketUrl(databaseUrl: string): string {
      const name = new URL(databaseUrl).pathname.slice(1);
      return `postgres://postgres@/${name}?host=${encodeURIComponent(baseDir)}&port=${port}`;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      try {
        runAs(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        cleanup();
      }
    },
  };
}
