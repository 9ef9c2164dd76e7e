/**
 * Seeds and randomness for tests, importable anywhere (the vitest setup in ./seed.ts, test files,
 * and soak scripts that run outside vitest).
 */

/** HUDUMA_SEED as an integer, else `fallback`; a seed that is not an integer is refused. */
export function seedFromEnv(fallback: number, name = 'HUDUMA_SEED'): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return seed;
}

/**
 * How many cases a property makes: `full` in `npm test`; a fifth of it (at least 20) in the fast
 * lane, where scripts/test-fast sets HUDUMA_TEST_LANE=fast: the edit–test loop still runs every
 * property, and CI runs the whole count. HUDUMA_TEST_LANE=full forces the whole count anywhere.
 */
export function propertyRuns(full: number): number {
  return process.env.HUDUMA_TEST_LANE === 'fast' ? Math.max(20, Math.ceil(full / 5)) : full;
}

/**
 * A small seeded generator (mulberry32) for the random choices tests make outside fast-check
 * (kill moments, fault mixes): numbers in [0, 1), the same sequence for the same seed.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
