/**
 * `npm run soak:hostile [-- SECONDS]`: the hostile-input property (hostile.ts) with random seeds
 * on PGlite and PostgreSQL in turn, for a bounded time (default 120 s). Prints every seed; on a
 * failure prints the seed to replay (`HOSTILE_SEED=… npx vitest run …/hostile-inputs.test.ts`)
 * and exits 1. The last line is one JSON object.
 */
import fc from 'fast-check';
import { BACKENDS } from '../backends';
import {
  hostileWorld,
  operationsOf,
  requestArbitrary,
  sendHostile,
  uploadArbitrary,
  uploadHostile,
} from './hostile';

const seconds = Number(process.argv[2] ?? process.env.HOSTILE_SOAK_SECONDS ?? 120);
const deadline = Date.now() + seconds * 1000;
const runs = Number(process.env.HOSTILE_RUNS ?? 200);
let rounds = 0;
let requests = 0;
let failed: { backend: string; seed: number; error: string } | undefined;

outer: while (Date.now() < deadline) {
  for (const backend of BACKENDS) {
    if (Date.now() >= deadline) break outer;
    const seed = Math.floor(Math.random() * 2 ** 31);
    process.stdout.write(`${backend.name} seed ${seed} … `);
    const db = await backend.open();
    const world = await hostileWorld(db);
    try {
      const ops = await operationsOf(world.app);
      await fc.assert(
        fc.asyncProperty(requestArbitrary(ops), (r) => sendHostile(world, r)),
        { seed, numRuns: runs, endOnFailure: true },
      );
      await fc.assert(
        fc.asyncProperty(uploadArbitrary, (u) => uploadHostile(world, u)),
        { seed, numRuns: Math.ceil(runs / 4), endOnFailure: true },
      );
      requests += runs + Math.ceil(runs / 4);
      rounds++;
      process.stdout.write('ok\n');
    } catch (error) {
      const cause = (error as { cause?: Error }).cause?.message ?? '';
      failed = {
        backend: backend.name,
        seed,
        error: `${(error as Error).message.slice(0, 1500)}\n${cause.slice(0, 1000)}`,
      };
      process.stdout.write(
        `FAILED\n${failed.error}\nreplay: HOSTILE_SEED=${seed} (backend ${backend.name})\n`,
      );
      break outer;
    } finally {
      await world.app.close();
      await db.close();
    }
  }
}
for (const backend of BACKENDS) await backend.shutdown();
console.log(JSON.stringify({ soak: 'hostile', seconds, rounds, requests, failed: failed ?? null }));
process.exit(failed ? 1 : 0);
