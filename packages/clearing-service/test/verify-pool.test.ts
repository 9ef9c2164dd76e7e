import { decodeRecord, type LogRecord } from '@huduma/txlog';
import { afterAll, describe, expect, it } from 'vitest';
import { type IngestContext, UploadRejected, verifyBatch } from '../src/ingest';
import { CardProofRecordVerifier } from '../src/record-verifier';
import { TrustStore } from '../src/trust';
import { SignatureVerifyPool } from '../src/verify-pool';
import { cardNumberFor, TestPki, type TestTerminal } from './fixtures';

type Sale = Extract<LogRecord, { type: 'sale' }>;

/** A batch of `n` sales where `spoil(i, sale)` may alter sale i before it is chained; checkpointed. */
function batchWith(
  pki: TestPki,
  t: TestTerminal,
  n: number,
  spoil: (i: number, s: Sale) => Sale | undefined,
) {
  const cards = Array.from({ length: 7 }, (_, i) => pki.card(cardNumberFor(100 + i)));
  for (let i = 0; i < n; i++) {
    const { bytes } = t.sale(cards[i % cards.length]!, 100 + i);
    const decoded = decodeRecord(bytes) as Sale;
    const altered = spoil(i, decoded);
    if (!altered) continue;
    t.records.pop();
    Object.assign(t, { head: decoded.prevHash });
    t.append(altered);
  }
  t.checkpoint();
  return t.batch();
}

const flipSignature = (s: Sale): Sale => {
  const proof = s.cardProof.slice();
  proof[100]! ^= 0x40;
  return { ...s, cardProof: proof };
};

describe('card signatures on worker threads', () => {
  const pki = new TestPki();
  const trust = new TrustStore(pki.trust);
  const pool = new SignatureVerifyPool(2);
  const base = { trust, verifier: new CardProofRecordVerifier(trust), now: Date.now };
  const inline: Pick<IngestContext, 'trust' | 'verifier' | 'now'> = base;
  const pooled = { ...base, signaturePool: pool };
  afterAll(() => pool.close());

  const outcome = async (ctx: typeof inline, terminalId: string, body: Uint8Array) => {
    try {
      const { records } = await verifyBatch(ctx, terminalId, body);
      return { ok: records.length };
    } catch (error) {
      if (!(error instanceof UploadRejected)) throw error;
      return { code: error.code, seq: error.seq, message: error.message };
    }
  };

  it('accepts a valid batch spanning several worker chunks, records in order', async () => {
    const t = pki.terminal('POOL-001');
    const body = batchWith(pki, t, 400, () => undefined);
    const { records } = await verifyBatch(pooled, 'POOL-001', body);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 401 }, (_, i) => i));
    expect(records[399]!.card?.amountCents).toBe(499);
  });

  it('reports the first bad record in seq order exactly as the single-threaded path does', async () => {
    const cases: Array<[string, (i: number, s: Sale) => Sale | undefined, { code: string; seq: number }]> = [
      // Bad signature at 300 (third chunk), amount mismatch later at 350.
      [
        'POOL-002',
        (i, s) => (i === 300 ? flipSignature(s) : i === 350 ? { ...s, amountCents: 1 } : undefined),
        { code: 'ERR_CARD_PROOF_SIGNATURE', seq: 300 },
      ],
      // Mismatch (checked after the signature) at 10 before a bad signature at 200.
      [
        'POOL-003',
        (i, s) => (i === 10 ? { ...s, amountCents: 1 } : i === 200 ? flipSignature(s) : undefined),
        { code: 'ERR_CARD_PROOF_MISMATCH', seq: 10 },
      ],
      // A certificate failure (checked before any signature) after a bad signature.
      [
        'POOL-004',
        (i, s) =>
          i === 5
            ? flipSignature(s)
            : i === 6
              ? { ...s, cardCertificate: new Uint8Array(s.cardCertificate).fill(0, 100, 120) }
              : undefined,
        { code: 'ERR_CARD_PROOF_SIGNATURE', seq: 5 },
      ],
    ];
    for (const [terminalId, spoil, expected] of cases) {
      const body = batchWith(pki, pki.terminal(terminalId), 400, spoil);
      const fromPool = await outcome(pooled, terminalId, body);
      expect(fromPool).toMatchObject(expected);
      expect(fromPool).toEqual(await outcome(inline, terminalId, body));
    }
  });

  it('answers false for malformed keys and signatures, and refuses work once closed', async () => {
    const card = pki.card(cardNumberFor(200));
    const message = new Uint8Array([1, 2, 3]);
    const signature = card.key.sign(message);
    const own = new SignatureVerifyPool(1);
    const results = await own.verifyAll([
      { publicKey: card.key.publicKey, message, signature },
      { publicKey: card.key.publicKey, message: new Uint8Array([1, 2, 4]), signature },
      { publicKey: card.key.publicKey.subarray(1), message, signature },
      { publicKey: card.key.publicKey, message, signature: signature.subarray(1) },
      { publicKey: new Uint8Array(65).fill(4), message, signature },
      // The message in parts is the message joined: [1] ‖ [2, 3] (and an empty part) verifies.
      {
        publicKey: card.key.publicKey,
        message: [message.subarray(0, 1), new Uint8Array(0), message.subarray(1)],
        signature,
      },
      { publicKey: card.key.publicKey, message: [message.subarray(0, 2), Uint8Array.of(4)], signature },
    ]);
    expect(results).toEqual([true, false, false, false, false, true, false]);
    await own.close();
    await expect(
      own.verifyAll([{ publicKey: card.key.publicKey, message, signature }]),
    ).rejects.toMatchObject({
      code: 'ERR_VERIFY_POOL_CLOSED',
    });
  });

  it('never answers for a key from the cached key of another point that shares its cache slot', async () => {
    // The worker caches KeyObjects by the first bits of X: a point with the same X and another Y
    // (here off the curve) lands in the same slot and must be imported, not served from it.
    const card = pki.card(cardNumberFor(201));
    const message = new Uint8Array([9, 8, 7]);
    const signature = card.key.sign(message);
    const lookAlike = Uint8Array.from(card.key.publicKey);
    lookAlike[64]! ^= 0x01;
    const own = new SignatureVerifyPool(1);
    const check = (publicKey: Uint8Array) => own.verifyAll([{ publicKey, message, signature }]);
    expect(await check(card.key.publicKey)).toEqual([true]);
    expect(await check(lookAlike)).toEqual([false]);
    expect(await check(card.key.publicKey)).toEqual([true]);
    await own.close();
  });
});
