/**
 * Ingest benchmark: verified-and-stored records per second through the HTTP API, on PGlite and
 * on a throwaway PostgreSQL server, against the raw OpenSSL P-256 verify rate of this machine.
 *
 *   node --conditions=huduma-source --import tsx packages/clearing-service/bench/ingest.ts \
 *     [--records 100000] [--terminals 20] [--cards 2000] [--batch 1000] [--backend both|pglite|postgres]
 *     [--rounds 3] [--baseline-rev a18f0d0^1 | none] [--verify-threads N] [--store-concurrency N]
 *     [--pg-connection socket|tcp] [--pg-statements]
 *
 * The machines are shared and noisy, so each backend ingests the workload `rounds` times into a
 * fresh database, with the raw verify rate measured again just before each round; the figures
 * are medians, and the ratio is the median of the per-round ratios (ingest ÷ the raw rate
 * measured next to it).
 *
 * Every record is a sale with a real card certificate and a real card proof (node:crypto
 * signatures over the spec's encodings); every batch ends with a terminal-signed checkpoint.
 * `--baseline-rev REV` (default: main just before the service was restructured into plugins and
 * ingest rules, issue 13) also ingests the same batches into a service built from that revision's
 * clearing-service sources (a temporary `git worktree`; the other workspace packages are today's),
 * alternating with today's service round by round, each into a fresh database of its own schema.
 * It prints today ÷ baseline: the restructure's promise was "no slower than before, in the same
 * run". Without git history (a tarball) it says so and measures today's service alone.
 *
 * The service reaches PostgreSQL over the server's Unix-domain socket (`--pg-connection tcp`: over
 * loopback TCP), as a service on the database's machine would: on a 2-core machine shared by
 * the server, the service and the verify threads, loopback TCP's kernel work is CPU taken from
 * all three.
 *
 * `--pg-statements` loads pg_stat_statements into the PostgreSQL server and prints, after each
 * round, the statements that took the server's time (nested ones too: foreign-key checks show up).
 * Run it with `--concurrency 1` for times that are the server's work rather than waits.
 *
 * The last line printed is one JSON object with the figures.
 */
import { execFileSync } from 'node:child_process';
import { verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Size, transactionSigningMessage } from '@huduma/card-applet-spec';
import { startPostgres } from '../../../test/support/postgres-harness';
import { createClearingService } from '../src/app';
import { migrate } from '../src/db/migrations';
import { openPgliteDb } from '../src/db/pglite';
import { openPostgresDb } from '../src/db/postgres';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { uploadTableBytes } from '../src/table-sizes';
import { p256KeyObject } from '../src/trust';
import { cardNumberFor, type TestCard, TestPki, type TestTerminal } from '../test/fixtures';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    terminals: { type: 'string', default: '20' },
    cards: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '1000' },
    backend: { type: 'string', default: 'both' },
    concurrency: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    'baseline-rev': { type: 'string', default: 'a18f0d0^1' },
    'verify-threads': { type: 'string' },
    'store-concurrency': { type: 'string' },
    'pg-connection': { type: 'string', default: 'socket' },
    'pg-statements': { type: 'boolean', default: false },
  },
});
const VERIFY_THREADS = values['verify-threads'] === undefined ? undefined : Number(values['verify-threads']);
const STORE_CONCURRENCY =
  values['store-concurrency'] === undefined ? undefined : Number(values['store-concurrency']);
const RECORDS = Number(values.records);
const TERMINALS = Number(values.terminals);
const CARDS = Number(values.cards);
const BATCH = Number(values.batch);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

function log(line: string) {
  process.stderr.write(`${line}\n`);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One core, node:crypto, the same message size and key kind as a card proof. */
function rawVerifyRate(card: TestCard, ms = 2000): number {
  const message = transactionSigningMessage(card.cardNumber, new Uint8Array(Size.TRANSACTION_RECORD).fill(7));
  const signature = card.key.sign(message);
  const key = p256KeyObject(card.key.publicKey);
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 200; i++) {
      if (!verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature))
        throw new Error('verify failed');
    }
    n += 200;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

interface Workload {
  pki: TestPki;
  batches: Map<string, Uint8Array[]>;
  terminals: Map<string, TestTerminal>;
  records: number;
}

function generate(): Workload {
  const t0 = performance.now();
  const pki = new TestPki();
  const cards = Array.from({ length: CARDS }, (_, i) => pki.card(cardNumberFor(i), 50_000_000));
  const terminals: TestTerminal[] = Array.from({ length: TERMINALS }, (_, i) =>
    pki.terminal(`BT-${String(i).padStart(4, '0')}`, { merchantId: `M-${i % 5}` }),
  );
  const batches = new Map<string, Uint8Array[]>(terminals.map((t) => [t.terminalId, []]));
  const salesPerBatch = BATCH - 1;
  let made = 0;
  let cardCursor = 0;
  // Each terminal fills whole batches in turn until the record budget is spent.
  outer: while (true) {
    for (const t of terminals) {
      if (made >= RECORDS) break outer;
      const from = t.nextSeq;
      const n = Math.min(salesPerBatch, RECORDS - made - 1);
      if (n <= 0) break outer;
      for (let i = 0; i < n; i++) {
        const card = cards[cardCursor++ % cards.length]!;
        t.sale(card, 100 + ((made + i) % 5000));
      }
      t.checkpoint();
      made += n + 1;
      batches.get(t.terminalId)!.push(t.batch(from));
    }
  }
  log(
    `generated ${made} records (${CARDS} cards, ${TERMINALS} terminals) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { pki, batches, terminals: new Map(terminals.map((t) => [t.terminalId, t])), records: made };
}

const statementTimes = new Map<string, { n: number; ms: number }>();
/** --profile-sql: time every statement by its first words (what the optimisation was driven by). */
function timed(db: Db): Db {
  if (!process.env.BENCH_PROFILE_SQL) return db;
  const wrap = (q: Pick<Db, 'query'>) => ({
    async query(sql: string, params?: readonly unknown[]) {
      const t0 = performance.now();
      try {
        return await q.query(sql, params as never);
      } finally {
        const key = sql.replace(/\s+/g, ' ').slice(0, 60);
        const e = statementTimes.get(key) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += performance.now() - t0;
        statementTimes.set(key, e);
      }
    },
  });
  return {
    ...db,
    query: wrap(db).query as Db['query'],
    exec: db.exec,
    close: db.close,
    transaction: (fn) => db.transaction((tx) => fn({ ...tx, query: wrap(tx).query as Db['query'] })),
  };
}

/** A clearing service build: today's sources, or a baseline revision's. */
interface Service {
  label: string;
  createClearingService: typeof createClearingService;
  migrate: typeof migrate;
  // The database layer is the build's own: the SQL a build sends depends on its driver wrapper
  // (typed array parameters are recognised by class), so one build's Db cannot serve another.
  openPostgresDb: typeof openPostgresDb;
  openPgliteDb: typeof openPgliteDb;
}
const TODAY: Service = { label: 'today', createClearingService, migrate, openPostgresDb, openPgliteDb };

/** The clearing service of `rev` in a temporary worktree; undefined (and why) without git history. */
function checkoutBaseline(rev: string): { service: Promise<Service>; remove(): void } | undefined {
  const repo = resolve(import.meta.dirname, '../../..');
  const dir = mkdtempSync(join(tmpdir(), 'huduma-bench-baseline-'));
  try {
    execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', '--quiet', dir, rev], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    log(
      `baseline ${rev}: not available (${(error as Error).message.split('\n')[0]}); measuring today's service alone`,
    );
    return undefined;
  }
  // The baseline's own clearing-service sources; every other workspace package is today's.
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  const src = join(dir, 'packages/clearing-service/src');
  const service = (async (): Promise<Service> => {
    const app = await import(pathToFileURL(join(src, 'app.ts')).href);
    const migrations = await import(pathToFileURL(join(src, 'db/migrations.ts')).href);
    const postgres = await import(pathToFileURL(join(src, 'db/postgres.ts')).href);
    const pglite = await import(pathToFileURL(join(src, 'db/pglite.ts')).href);
    return {
      label: `baseline ${rev}`,
      createClearingService: app.createClearingService,
      migrate: migrations.migrate,
      openPostgresDb: postgres.openPostgresDb,
      openPgliteDb: pglite.openPgliteDb,
    };
  })();
  return {
    service,
    remove: () => {
      execFileSync('git', ['-C', repo, 'worktree', 'remove', '--force', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system) of every process of the PostgreSQL server whose data dir is given. */
function postgresCpuSeconds(dataDir: string | undefined): number {
  if (!dataDir) return 0;
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
  const tick = 100; // USER_HZ: 100 on every Linux this runs on
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after "(comm)": state ppid … utime(14) stime(15), counted from the pid as field 1.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === postmaster || Number(fields[1]) === postmaster)
      ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / tick;
}

const PG_STATEMENTS = values['pg-statements'] === true;

/** --pg-statements: where the server's time went, by statement (first 70 characters). */
async function printServerStatements(db: Db): Promise<void> {
  const rows = await db.query<{ statement: string; calls: number; ms: number; plan_ms: number }>(
    `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS statement, calls, total_exec_time AS ms,
       total_plan_time AS plan_ms
     FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 12`,
  );
  for (const r of rows)
    log(
      `  server ${Number(r.ms).toFixed(0).padStart(7)} ms + plan ${Number(r.plan_ms).toFixed(0).padStart(5)} ms ${String(r.calls).padStart(6)}× ${r.statement}`,
    );
}

/** Bytes stored per accepted record, per upload table and in all (src/table-sizes.ts). */
async function storageBytesPerRecord(db: Db, records: number): Promise<Record<string, number>> {
  const { bytes, total } = await uploadTableBytes(db);
  const out: Record<string, number> = {};
  for (const [table, size] of Object.entries(bytes)) out[table] = size / records;
  out.total = total / records;
  return out;
}

/** Where one round's CPU went, in µs per record: the service's process (all threads) and the server. */
export interface CpuSplit {
  serviceUsPerRecord: number;
  postgresUsPerRecord: number;
}

async function runIngest(
  name: string,
  plainDb: Db,
  work: Workload,
  service: Service = TODAY,
  pgDataDir?: string,
): Promise<{ rate: number; cpu: CpuSplit; storage: Record<string, number> }> {
  const db = timed(plainDb);
  await service.migrate(db);
  if (PG_STATEMENTS && pgDataDir) {
    await db.exec('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await db.query('SELECT pg_stat_statements_reset()');
  }
  const app = service.createClearingService({
    db,
    signer: generateSigner(),
    operatorToken: 'bench-operator-token-0123456789',
    logger: false,
    trust: work.pki.trust,
    ...(VERIFY_THREADS === undefined ? {} : { verifyThreads: VERIFY_THREADS }),
    ...(STORE_CONCURRENCY === undefined ? {} : { storeConcurrency: STORE_CONCURRENCY }),
  });
  await app.ready();
  const ids = [...work.batches.keys()];
  // Signed before the clock starts, as terminals sign on their own processors: the signing (a
  // SHA-256 of the body and an ECDSA signature, ~0.4 ms per 1,000-record batch) is the client's
  // work, not the service's. A round lasts seconds, well inside the signature's clock-skew window.
  const queues = [...work.batches.values()].map((list, i) =>
    list.map((body) => {
      const url = `/v1/terminals/${ids[i]}/batches`;
      return { url, body, headers: work.terminals.get(ids[i]!)!.signRequest('POST', url, body) };
    }),
  );
  let stored = 0;
  const pgCpuBefore = postgresCpuSeconds(pgDataDir);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  // CONCURRENCY terminals upload at once, each its own batches in order.
  let next = 0;
  async function worker() {
    while (next < queues.length) {
      const i = next++;
      for (const { url, body, headers } of queues[i]!) {
        const res = await app.inject({
          method: 'POST',
          url,
          // Signed as a terminal signs it: the service checks the signature before the body.
          headers: { 'content-type': 'application/cbor', ...headers },
          payload: Buffer.from(body.buffer, body.byteOffset, body.length),
        });
        if (res.statusCode !== 200) throw new Error(`${name}: upload failed ${res.statusCode} ${res.body}`);
        stored += res.json().newRecords as number;
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - start) / 1000;
  const cpuUsed = process.cpuUsage(cpuBefore);
  const cpu: CpuSplit = {
    serviceUsPerRecord: (cpuUsed.user + cpuUsed.system) / work.records,
    postgresUsPerRecord: ((postgresCpuSeconds(pgDataDir) - pgCpuBefore) * 1e6) / work.records,
  };
  const rows = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM accepted_records');
  if (rows[0]!.n !== work.records || stored !== work.records) {
    throw new Error(`${name}: stored ${rows[0]!.n} rows, expected ${work.records}`);
  }
  if (PG_STATEMENTS && pgDataDir) await printServerStatements(db);
  const storage = await storageBytesPerRecord(db, work.records);
  await app.close();
  const rate = work.records / seconds;
  for (const [k, v] of [...statementTimes.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
    log(`  ${v.ms.toFixed(0).padStart(7)} ms ${String(v.n).padStart(5)}× ${k}`);
  }
  statementTimes.clear();
  log(
    `${name}: ${work.records} records verified and stored in ${seconds.toFixed(2)} s = ${Math.round(rate)} records/s`,
  );
  log(
    `  CPU per record: service ${cpu.serviceUsPerRecord.toFixed(1)} µs (all threads, the benchmark's client included), PostgreSQL ${cpu.postgresUsPerRecord.toFixed(1)} µs`,
  );
  log(
    `  storage per record (tables + indexes + TOAST): ${Object.entries(storage)
      .map(([table, bytes]) => `${table} ${bytes.toFixed(0)} B`)
      .join(', ')}`,
  );
  return { rate, cpu, storage };
}

async function main() {
  const work = generate();
  const rawCard = work.pki.card(cardNumberFor(999_999));
  const rawSamples: number[] = [];
  const rawNow = () => {
    const r = rawVerifyRate(rawCard, 1000);
    rawSamples.push(r);
    return r;
  };
  const result: Record<string, number | string> = {
    records: work.records,
    terminals: TERMINALS,
    cards: CARDS,
    batch: BATCH,
    rounds: ROUNDS,
    pgConnection: values['pg-connection'] ?? 'socket',
  };
  const baselineRev = values['baseline-rev'];
  const baseline = baselineRev === 'none' ? undefined : checkoutBaseline(baselineRev);
  const baselineService = await baseline?.service;
  if (baselineService) result.baseline = baselineRev;
  /**
   * ROUNDS ingests, each into a fresh database from `open`, each beside its own raw verify rate;
   * with a baseline, the baseline's ingest of the same batches in the same round, order alternating.
   */
  async function measure(
    name: string,
    key: 'pglite' | 'postgres',
    open: (label: string, service: Service) => Promise<Db>,
    pgDataDir?: string,
  ) {
    const rates: number[] = [];
    const beyondVerify: number[] = [];
    let lastStorage: Record<string, number> | undefined;
    const ratios: number[] = [];
    const versusBaseline: number[] = [];
    const once = async (round: number, service: Service) => {
      const raw = rawNow();
      const db = await open(`${service === TODAY ? 'today' : 'baseline'}_${round}`, service);
      try {
        const { rate, cpu, storage } = await runIngest(
          `${name} (${service.label}), round ${round}/${ROUNDS}`,
          db,
          work,
          service,
          pgDataDir,
        );
        // CPU the 2 cores spent per record besides the one card signature it must verify.
        const beyond = cpu.serviceUsPerRecord + cpu.postgresUsPerRecord - 1e6 / raw;
        log(
          `  beside raw verify ${Math.round(raw)} /s (${(1e6 / raw).toFixed(1)} µs): ratio ${(rate / raw).toFixed(3)}; CPU per record beyond the verify ${beyond.toFixed(1)} µs`,
        );
        // Today's storage only: a baseline round after today's would report the baseline's tables.
        if (service === TODAY) lastStorage = storage;
        return { rate, ratio: rate / raw, beyond };
      } finally {
        await db.close();
      }
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const baselineFirst = round % 2 === 0;
      const before = baselineService && baselineFirst ? await once(round, baselineService) : undefined;
      const today = await once(round, TODAY);
      const after = baselineService && !baselineFirst ? await once(round, baselineService) : undefined;
      rates.push(today.rate);
      ratios.push(today.ratio);
      beyondVerify.push(today.beyond);
      const base = before ?? after;
      if (base !== undefined) {
        versusBaseline.push(today.ratio / base.ratio);
        log(`  today ÷ baseline (each ÷ its own raw verify): ${(today.ratio / base.ratio).toFixed(3)}`);
      }
    }
    result[`${key}PerSecond`] = Math.round(median(rates));
    result[`${key}Ratio`] = Number(median(ratios).toFixed(3));
    result[`${key}CpuUsBeyondVerify`] = Number(median(beyondVerify).toFixed(1));
    if (lastStorage) result[`${key}BytesPerRecord`] = Math.round(lastStorage.total!);
    if (versusBaseline.length > 0) result[`${key}VersusBaseline`] = Number(median(versusBaseline).toFixed(3));
  }
  try {
    if (values.backend === 'both' || values.backend === 'pglite') {
      const dirs: string[] = [];
      try {
        await measure('pglite (on disk)', 'pglite', async (_label, service) => {
          const dir = mkdtempSync(join(tmpdir(), 'huduma-bench-pglite-'));
          dirs.push(dir);
          return service.openPgliteDb(join(dir, 'pgdata'));
        });
      } finally {
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      }
    }
    if (values.backend === 'both' || values.backend === 'postgres') {
      const server = await startPostgres(
        PG_STATEMENTS
          ? {
              serverOptions: [
                'shared_preload_libraries=pg_stat_statements',
                'pg_stat_statements.track=all',
                'pg_stat_statements.track_planning=on',
              ],
            }
          : {},
      );
      try {
        await measure(
          'postgres',
          'postgres',
          async (label, service) => {
            const url = await server.createDatabase(`bench_${label}`);
            return service.openPostgresDb(values['pg-connection'] === 'tcp' ? url : server.socketUrl(url));
          },
          server.dataDir,
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    baseline?.remove();
  }
  result.rawVerifyPerSecond = Math.round(median(rawSamples));
  log(
    `raw OpenSSL P-256 verify (node:crypto, one core), median of ${rawSamples.length}: ${result.rawVerifyPerSecond} /s`,
  );
  log(
    `median ingest: pglite ${result.pglitePerSecond ?? '-'} records/s, postgres ${result.postgresPerSecond ?? '-'} records/s`,
  );
  log(
    `median ratio ingest / raw verify: pglite ${result.pgliteRatio ?? '-'}, postgres ${result.postgresRatio ?? '-'} (target on postgres: 1.0)`,
  );
  if (baselineService) {
    log(
      `median today ÷ baseline ${baselineRev}: pglite ${result.pgliteVersusBaseline ?? '-'}, postgres ${result.postgresVersusBaseline ?? '-'} (≥ 1.0: no slower)`,
    );
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
