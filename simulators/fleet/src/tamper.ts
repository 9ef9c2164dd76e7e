/**
 * A tampering terminal: its operator builds an upload from the terminal's real log and signs it
 * with the terminal's real key, but alters it first. Two alterations a dishonest operator could
 * want: inflating the amount of a sale after the card signed it (more money to the merchant), and
 * hiding a sale by starting the upload just past it (the cash pocketed, the sale never reported).
 * Only the card proofs and the hash chain can give these away; the terminal's own honest upload
 * follows, so the service must refuse the tampered batch and store nothing of it.
 */

import { ClearingRejectedError } from '@huduma/terminal';
import { checkpointMessage, decodeRecord, encodeRecord, nodeCryptoSigner, recordHash } from '@huduma/txlog';
import type { Counter } from './world';

export type TamperKind = 'inflate' | 'drop';

export interface TamperAttempt {
  terminalId: string;
  merchantId: string;
  kind: TamperKind;
  /** The record altered (inflate) or dropped (drop). */
  seq: number;
  /** Extra cents the operator tried to get settled (inflate), or the dropped record's amount. */
  cents: number;
  /** The service's answer: HTTP status and code, or `accepted` when it took the batch. */
  answer: { status: number; code: string; seq?: number } | 'accepted';
}

/** The service's refusal per kind, and the alert it raises (README "Uploads", src/ingest/rules). */
export const EXPECTED_REFUSAL: Record<TamperKind, { status: number; code: string; alert: string | null }> = {
  // Refused while verifying card proofs, before the database; the terminal signed it, so the
  // operator gets a critical alert (one per terminal and record a day).
  inflate: { status: 422, code: 'ERR_CARD_PROOF_MISMATCH', alert: 'card-proof-refused' },
  drop: { status: 409, code: 'ERR_BATCH_GAP', alert: 'upload-gap' },
};

const INFLATE_CENTS = 50_000;

/** Sends one tampered batch of this counter's unsynced records; undefined when there is nothing to alter. */
export async function uploadTampered(counter: Counter, kind: TamperKind): Promise<TamperAttempt | undefined> {
  const state = await counter.client.state();
  const held = state.lastSeq ?? -1;
  const tail: { seq: number; bytes: Uint8Array; hash: Uint8Array }[] = [];
  for await (const r of counter.engine.storedRecords(held + 1))
    tail.push({ seq: r.seq, bytes: r.bytes, hash: r.hash });
  const decoded = tail.map((r) => decodeRecord(r.bytes));
  let records: Uint8Array[];
  let seq: number;
  let cents: number;
  if (kind === 'inflate') {
    let at = decoded.length - 1;
    while (at >= 0 && decoded[at]!.type !== 'sale') at--;
    if (at < 0) return undefined;
    const sale = decoded[at]!;
    if (sale.type !== 'sale') return undefined;
    const { seq: saleSeq, prevHash, ...body } = sale as typeof sale & { prevHash: Uint8Array };
    records = [
      ...tail.slice(0, at).map((r) => r.bytes),
      encodeRecord(saleSeq, prevHash, { ...body, amountCents: sale.amountCents + INFLATE_CENTS } as never),
    ];
    seq = saleSeq;
    cents = INFLATE_CENTS;
  } else {
    // Start the upload just past the first sale: that sale is hidden from the service.
    const at = decoded.findIndex((r) => r.type === 'sale');
    const sale = decoded[at];
    if (sale?.type !== 'sale' || at + 1 >= tail.length) return undefined;
    records = tail.slice(at + 1).map((r) => r.bytes);
    seq = sale.seq;
    cents = sale.amountCents;
  }
  // Sealed with the terminal's own key over the last record sent: the batch is authentic.
  const last = records[records.length - 1]!;
  const lastSeq = decodeRecord(last).seq;
  const signer = nodeCryptoSigner(counter.privateKey, counter.terminalId);
  const seal = await signer.sign(checkpointMessage(counter.terminalId, lastSeq, recordHash(last)));
  let answer: TamperAttempt['answer'];
  try {
    await counter.client.uploadBatch(records, seal);
    answer = 'accepted';
  } catch (err) {
    if (!(err instanceof ClearingRejectedError)) throw err;
    answer = {
      status: err.status,
      code: err.serviceCode,
      ...(err.seq === undefined ? {} : { seq: err.seq }),
    };
  }
  return { terminalId: counter.terminalId, merchantId: counter.merchantId, kind, seq, cents, answer };
}
