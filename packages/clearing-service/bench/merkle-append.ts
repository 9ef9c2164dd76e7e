/**
 * Merkle log throughput on both backends:
 *   node --conditions=huduma-source --import tsx packages/clearing-service/bench/merkle-append.ts [leaves] [batch]
 */
import { startPostgres } from '../../../test/support/postgres-harness';
import { migrate } from '../src/db/migrations';
import { openPgliteDb } from '../src/db/pglite';
import { openPostgresDb } from '../src/db/postgres';
import type { Db } from '../src/db/types';
import { appendLeaves, currentTreeHead, inclusionProof, verifyInclusion } from '../src/merkle';

const total = Number(process.argv[2] ?? 10_000);
const batch = Number(process.argv[3] ?? 100);

async function run(name: string, db: Db): Promise<void> {
  await migrate(db);
  const start = performance.now();
  for (let i = 0; i < total; i += batch) {
    const leaves = Array.from({ length: Math.min(batch, total - i) }, (_, j) =>
      new Uint8Array(127).fill((i + j) & 0xff),
    );
    await db.transaction((tx) => appendLeaves(tx, leaves));
  }
  const appendMs = performance.now() - start;
  const head = await currentTreeHead(db);
  const proofStart = performance.now();
  const samples = 200;
  for (let k = 0; k < samples; k++) {
    const index = Math.floor((k * head.treeSize) / samples);
    const p = await inclusionProof(db, index);
    if (!verifyInclusion(p.leafHash, index, head.treeSize, p.proof, head.rootHash))
      throw new Error('proof failed');
  }
  const proofMs = (performance.now() - proofStart) / samples;
  console.log(
    `${name}: ${total} leaves in batches of ${batch}: ${(total / (appendMs / 1000)).toFixed(0)} leaves/s; ` +
      `inclusion proof ${proofMs.toFixed(2)} ms (size ${head.treeSize})`,
  );
  await db.close();
}

await run('pglite', await openPgliteDb());
const server = await startPostgres();
try {
  await run('postgres', await openPostgresDb(await server.createDatabase('bench')));
} finally {
  await server.stop();
}
