/** The engine's public types: options, events for the UI, results and status. */

import type { CardLinkCache, TapTelemetry, VerifiedProof } from '@huduma/sdk';
import type { LogFileIo } from '@huduma/txlog';
import type { ServiceCatalog } from './catalog';
import type { TerminalConfig } from './config';
import type { NoticeKey, RefusalParams, RefusalReason } from './errors';
import type { Intent } from './intents';
import type { LoadAuthorizer } from './load-authorizer';
import type { CardReader } from './reader';

/** Asks the cardholder for the PIN. Resolve `undefined` when the cardholder cancels. */
export interface PinPad {
  requestPin(request: {
    cardNumber: string;
    amountCents: number;
    triesLeft: number;
    attempt: number;
  }): Promise<string | undefined>;
}

/** What an earlier interrupted transaction turned out to be, found on a later tap of the same card. */
export interface RecoveryNotice {
  op: Intent['op'];
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  outcome: 'completed' | 'not-charged' | 'unknown';
  /**
   * Machine-readable: what the app's message catalogs word (with op, amountCents, terminalSeq).
   * Always set by the engine; optional so that notices built elsewhere (UI tests) still type-check.
   */
  key?: NoticeKey;
  /** English wording (kept for older consumers); word it from `key` with the app's catalogs. */
  message: string;
  /** Receipt of a completed transaction. */
  receipt?: string;
}

/** Events for the UI (cashier console, CLI, tests). The engine itself never prints. */
export type TerminalEvent =
  | { type: 'insert-card'; operation: Operation; amountCents?: number }
  | { type: 'card-read'; cardNumber: string; maskedCardNumber: string; balanceCents: number }
  | { type: 'enter-pin'; triesLeft: number; attempt: number }
  | { type: 'wrong-pin'; triesLeft: number }
  | { type: 'processing'; operation: Operation }
  | { type: 'recovered'; notice: RecoveryNotice }
  | { type: 'operator-attention'; message: string; terminalSeq?: number; notice?: RecoveryNotice }
  | { type: 'approved'; operation: Operation; amountCents: number; receipt: string }
  | {
      type: 'declined';
      operation: Operation;
      reason: RefusalReason;
      /** English wording (kept for older consumers); word it from `reason` and `params` with the app's catalogs. */
      message: string;
      /** Always set by the engine (optional for events built elsewhere). */
      params?: RefusalParams;
    }
  | { type: 'remove-card' };

export type Operation = 'sale' | 'cancel' | 'reload' | 'recover';

/** The result of a value transaction the card signed. */
export interface ApprovedTransaction {
  status: 'approved';
  operation: 'sale' | 'cancel' | 'reload';
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  serviceCode: number;
  serviceName: string;
  billRef: string;
  balanceAfterCents: number;
  cardCounter: number;
  proof: VerifiedProof;
  /** First 8 hex digits of SHA-256 of the 130-byte proof. */
  proofRef: string;
  receipt: string;
  /** Interrupted transactions of this card settled during this tap. */
  recovered: RecoveryNotice[];
  telemetry: TapTelemetry;
}

export interface UnresolvedTransaction {
  op: Intent['op'];
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  billRef: string;
  time: number;
  /** The card was asked and could not tell (ring rolled over): settle with the clearing service. */
  needsOperator: boolean;
}

export interface TerminalStatus {
  terminalId: string;
  merchantId: string;
  location: TerminalConfig['location'];
  /** ms */
  certificateNotAfter: number;
  certificateExpired: boolean;
  shiftId: string;
  shiftOpenedAt: number;
  logRecords: number;
  unsyncedRecords: number;
  /** ms; the provisioning time until the first sync (see everSynced). */
  lastSyncAt: number;
  /** False until a sync with the clearing service succeeded. */
  everSynced: boolean;
  offlineForMs: number;
  /** Why offline sales are refused right now (undefined: they are allowed); `message` is English. */
  offlineRefusal: { reason: RefusalReason; message: string; params: RefusalParams } | undefined;
  denyListVersion: number;
  unresolved: UnresolvedTransaction[];
}

export interface TerminalEngineOptions {
  /** Provisioned terminal directory (see initTerminal). */
  dir: string;
  reader: CardReader;
  pinPad?: PinPad;
  /** Needed for reloads (Huduma Centre counters). */
  loadAuthorizer?: LoadAuthorizer;
  catalog?: ServiceCatalog;
  /** ms since the epoch (default Date.now). */
  clock?: () => number;
  /** Fault injection for the transaction log (full disk, failing fsync), and fsync counting. */
  logIo?: LogFileIo;
  /**
   * Per card: its verified certificate and the link key K.link (a secret) this terminal shares
   * with it, so a repeat tap skips GET DATA and the ECDH (SPEC.md §9.3). Default: in memory.
   */
  linkCache?: CardLinkCache;
  onEvent?: (event: TerminalEvent) => void;
  /** Operator id written in shift-open records. */
  operatorId?: string;
}
