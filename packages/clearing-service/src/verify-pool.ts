/**
 * Card signatures verified on a small pool of worker threads, so the main thread can drive the
 * database (and, with PGlite, run the SQL itself) while OpenSSL works on the other cores.
 *
 * Only the ECDSA verification moves: every other check of a record (decoding, chain, card
 * certificate, signed fields = record) stays on the main thread in record-verifier.ts, and the
 * caller combines the verdicts in record order, so the first bad record of a batch is reported
 * exactly as the single-threaded path reports it.
 *
 * The worker is a plain-JS `eval` worker using node:crypto only: it runs the same from source
 * (tsx), from the tsup bundle and under vitest, and loads no TypeScript loader.
 */
import { Worker } from 'node:worker_threads';
import { ClearingError } from './errors';

export interface SignatureCheck {
  /** 65-byte uncompressed P-256 public key (the worker caches its KeyObject). */
  publicKey: Uint8Array;
  /** The signed message, or its parts in order (copied straight into the job buffer, never joined). */
  message: Uint8Array | readonly Uint8Array[];
  /** Raw r‖s, 64 bytes. */
  signature: Uint8Array;
}

export class VerifyPoolError extends ClearingError {
  override name = 'VerifyPoolError';
}

// Job layout in one transferred buffer: publicKey(65) | signature(64) | u16 length | message.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
// Keys by a number from the first 53 bits of X (no 65-character string per check), with the
// point kept to compare: two keys sharing those bits share a slot, the later one replacing it.
const keys = new Map();
function keyFor(pub) {
  const id = pub.readUInt32BE(1) * 2097152 + (pub.readUInt32BE(5) >>> 11);
  const hit = keys.get(id);
  if (hit && hit.pub.equals(pub)) return hit.key;
  if (keys.size >= 200000) keys.clear();
  let key;
  try {
    key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: pub.subarray(1, 33).toString('base64url'),
      y: pub.subarray(33, 65).toString('base64url') }, format: 'jwk' });
  } catch { key = null; }
  keys.set(id, { pub: Buffer.from(pub), key });
  return key;
}
parentPort.on('message', ({ id, count, buffer }) => {
  const data = Buffer.from(buffer);
  const results = new Uint8Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const pub = data.subarray(at, at + 65);
    const sig = data.subarray(at + 65, at + 129);
    const len = data.readUInt16BE(at + 129);
    const msg = data.subarray(at + 131, at + 131 + len);
    at += 131 + len;
    const key = pub[0] === 4 ? keyFor(pub) : null;
    results[i] = key && verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, sig) ? 1 : 0;
  }
  parentPort.postMessage({ id, results }, [results.buffer]);
});
`;

const messageParts = (m: SignatureCheck['message']): readonly Uint8Array[] =>
  m instanceof Uint8Array ? [m] : m;

function messageLength(m: SignatureCheck['message']): number {
  if (m instanceof Uint8Array) return m.length;
  let n = 0;
  for (const part of m) n += part.length;
  return n;
}

/** The signed message of a check as one array (the in-thread path). */
export function joinedMessage(m: SignatureCheck['message']): Uint8Array {
  return m instanceof Uint8Array ? m : Buffer.concat(m);
}

/** Checks per message to a worker: small enough that concurrent batches interleave fairly. */
const CHUNK = 128;

interface Pending {
  resolve: (results: Uint8Array) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class SignatureVerifyPool {
  private readonly slots: Array<Slot | undefined>;
  private nextId = 1;
  private closed = false;

  /** `threads` workers, started on first use. */
  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`a verify pool needs at least one thread, got ${threads}`);
    }
    this.slots = new Array(threads).fill(undefined);
  }

  /**
   * One result per check, in order: true when the signature verifies. Each card key goes to one
   * worker (by a byte of the key): importing a P-256 KeyObject costs as much as a verification,
   * so a card seen by every worker would be imported once per worker.
   */
  async verifyAll(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    const shards: number[][] = Array.from({ length: this.threads }, () => []);
    for (let i = 0; i < checks.length; i++) {
      const key = checks[i]!.publicKey;
      shards[key.length === 65 ? key[64]! % this.threads : 0]!.push(i);
    }
    const out: boolean[] = new Array(checks.length);
    const parts: Promise<void>[] = [];
    shards.forEach((shard, slot) => {
      for (let from = 0; from < shard.length; from += CHUNK) {
        const indexes = shard.slice(from, from + CHUNK);
        parts.push(
          this.run(
            slot,
            indexes.map((i) => checks[i]!),
          ).then((results) => {
            for (let j = 0; j < indexes.length; j++) out[indexes[j]!] = results[j] === 1;
          }),
        );
      }
    });
    await Promise.all(parts);
    return out;
  }

  /** Terminates the workers; checks still running are rejected. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const running = this.slots.filter((s): s is Slot => s !== undefined);
    this.slots.fill(undefined);
    for (const slot of running)
      this.failAll(slot, new VerifyPoolError('ERR_VERIFY_POOL_CLOSED', 'the verify pool was closed'));
    await Promise.all(running.map((s) => s.worker.terminate()));
  }

  private run(slotIndex: number, checks: readonly SignatureCheck[]): Promise<Uint8Array> {
    if (this.closed) {
      return Promise.reject(new VerifyPoolError('ERR_VERIFY_POOL_CLOSED', 'the verify pool was closed'));
    }
    // A check that cannot be P-256 raw r‖s gets an all-zero slot (publicKey[0] = 0): the worker
    // answers false, as OpenSSL would, without parsing anything.
    const lengths = checks.map((c) => messageLength(c.message));
    const verifiable = (c: SignatureCheck, i: number) =>
      c.publicKey.length === 65 && c.signature.length === 64 && lengths[i]! <= 0xffff;
    let size = 0;
    for (let i = 0; i < checks.length; i++) size += 131 + (verifiable(checks[i]!, i) ? lengths[i]! : 0);
    const buffer = new ArrayBuffer(size);
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    let at = 0;
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      if (verifiable(c, i)) {
        bytes.set(c.publicKey, at);
        bytes.set(c.signature, at + 65);
        view.setUint16(at + 129, lengths[i]!);
        let m = at + 131;
        for (const part of messageParts(c.message)) {
          bytes.set(part, m);
          m += part.length;
        }
        at += lengths[i]!;
      }
      at += 131;
    }
    const slot = this.slots[slotIndex] ?? this.spawn(slotIndex);
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, count: checks.length, buffer }, [buffer]);
    });
  }

  private spawn(index: number): Slot {
    // execArgv [] : the worker needs no loader or conditions, only node:crypto.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', ({ id, results }: { id: number; results: Uint8Array }) => {
      const p = slot.pending.get(id);
      if (!p) return;
      slot.pending.delete(id);
      if (slot.pending.size === 0) worker.unref();
      p.resolve(results);
    });
    const lost = (error: Error) => {
      if (this.slots[index] === slot) this.slots[index] = undefined;
      this.failAll(slot, error);
    };
    worker.on('error', (error) =>
      lost(new VerifyPoolError('ERR_VERIFY_WORKER', `signature worker failed: ${error.message}`)),
    );
    worker.on('exit', (code) =>
      lost(new VerifyPoolError('ERR_VERIFY_WORKER', `signature worker exited with code ${code}`)),
    );
    this.slots[index] = slot;
    return slot;
  }

  private failAll(slot: Slot, error: Error): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) p.reject(error);
  }
}
