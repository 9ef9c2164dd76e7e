// Workers for the fast lane: one per core, and at least two, because a good part of the lane
// waits on sockets, ptys and chromium rather than the CPU (vitest's default is cores − 1).
import { availableParallelism } from 'node:os';

console.log(Math.max(2, availableParallelism()));
