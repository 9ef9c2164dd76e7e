/**
 * The ingest chain's common interface (ingest.ts storeBatch). One `IngestStep` per upload, inside
 * its one transaction, under the terminal's row lock; rules run in order (rules/index.ts):
 * every rule's `check` before the records are stored (they decide fraud flags, or end the
 * chain with an answer), then the one bulk insert, then every rule's `apply` (work that needs
 * the stored rows). A rule throws UploadRejected to refuse the whole batch (the rollback undoes
 * everything; its alert is raised after).
 */
import type { Queryable } from '../db/types';
import type { IngestContext, IngestResult, VerifiedBatch } from '../ingest';
import type { FraudFlag } from '../ingest-insert';
import type { StorageProblem } from '../quarantine';
import type { VerifiedRecord } from '../record-verifier';
import type { raiseAlert } from '../store';

export type AlertInput = Parameters<typeof raiseAlert>[1];

/** The terminal's row, locked FOR UPDATE for the transaction. */
export type TerminalLockRow = {
  merchant_id: string;
  public_key: Uint8Array;
  last_seq: number | null;
  head_hash: Uint8Array | null;
  status: string;
  /** On the revocation list (revoked_terminals), which may name a terminal before it enrols. */
  revoked: boolean;
};

export interface IngestStep {
  readonly ctx: IngestContext;
  readonly tx: Queryable;
  readonly terminalId: string;
  readonly terminal: TerminalLockRow;
  readonly batch: VerifiedBatch;
  /** Every record of the batch, in seq order. */
  readonly records: readonly VerifiedRecord[];
  /** Records after the last one the service held (chain rule). */
  fresh: VerifiedRecord[];
  /** Fresh records that take part in the money rules: not quarantined (quarantine rule). */
  live: VerifiedRecord[];
  /** Fresh records stored as bytes only, and why (quarantine rule). */
  unstorable: Map<VerifiedRecord, StorageProblem>;
  /** Leaf index of every record of the batch, held ones first (chain rule), new ones last (Merkle rule). */
  leaves: Array<{ seq: number; leafIndex: number }>;
  /** What the fraud rules found, stored with each record; a flagged record is never settled twice. */
  flags: Map<VerifiedRecord, FraudFlag>;
  /** Card counters this batch claimed first (clones rule), sorted by card and counter, for the shadow-balance rule. */
  claimedCounters: VerifiedRecord[];
  /** The new batch row, once the records are stored. */
  batchId: number;
  /** Alerts raised in the transaction. */
  alerts: number;
  alert(alert: AlertInput): Promise<void>;
  /** The answer, once a rule gave one (a duplicate batch ends the chain early; the Merkle append last). */
  result?: IngestResult;
}

export interface IngestRule {
  readonly name: string;
  /** Before the records are stored: decide flags, raise alerts, refuse, or answer (`step.result`). */
  check?(step: IngestStep): Promise<void>;
  /** After the records are stored, in the same transaction. */
  apply?(step: IngestStep): Promise<void>;
}

export const bytesEqual = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && Buffer.compare(a, b) === 0;
export const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
