import { describe, expect, it } from 'vitest';
import { Admission } from '../src/admission';

/** A promise with its resolve and reject at hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Admission', () => {
  it('runs at most `slots` at once and the rest in arrival order, a failure freeing its slot too', async () => {
    const gate = new Admission(2);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const jobs = Array.from({ length: 6 }, () => deferred());
    const results = jobs.map((job, i) =>
      gate
        .run(async () => {
          started.push(i);
          running++;
          most = Math.max(most, running);
          try {
            await job.promise;
          } finally {
            running--;
          }
          return i;
        })
        .catch((error: Error) => error.message),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    jobs[1]!.reject(new Error('job 1 failed'));
    await tick();
    expect(started).toEqual([0, 1, 2]);
    jobs[0]!.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const job of jobs.slice(2)) job.resolve();
    expect(await Promise.all(results)).toEqual([0, 'job 1 failed', 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    // Every slot came back, and no more than every slot: of three more, two run straight away.
    const again = [deferred(), deferred(), deferred()];
    let startedAgain = 0;
    const both = again.map((d) =>
      gate.run(() => {
        startedAgain++;
        return d.promise;
      }),
    );
    await tick();
    expect(startedAgain).toBe(2);
    for (const d of again) d.resolve();
    await tick();
    expect(startedAgain).toBe(3);
    await Promise.all(both);
  });

  it('refuses a slot count that is not a positive integer', () => {
    for (const slots of [0, -1, 1.5, Number.NaN]) expect(() => new Admission(slots)).toThrow(RangeError);
  });
});
