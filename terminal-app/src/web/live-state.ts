/** The live state of a counter as the page sees it (pushed by server-sent events). */
import type { Operation, RecoveryNotice } from '@huduma/terminal';
import type { DeviceStates } from '../devices/device-states';
import type { RefusalWording, WebLanguage } from './i18n';
import type { ReceiptView } from './receipt-view';

export type Phase = 'idle' | 'waiting-card' | 'hold-card' | 'pin' | 'result';

export interface RecoveredView {
  op: RecoveryNotice['op'];
  terminalSeq: number;
  amountCents: number;
  outcome: RecoveryNotice['outcome'];
  receipt?: ReceiptView;
}

export type ResultView =
  | { kind: 'approved'; operation: 'sale' | 'cancel' | 'reload'; receipt: ReceiptView }
  | {
      kind: 'declined';
      operation: Operation;
      reason: string;
      amountCents?: number;
      /** The refusal in both page languages (the page shows the cashier's). */
      wording: Record<WebLanguage, RefusalWording>;
    }
  | { kind: 'recovered'; count: number }
  | { kind: 'error'; operation: Operation; code: string };

export interface LastSaleView {
  terminalSeq: number;
  amountCents: number;
  serviceCode: number;
  billRef: string;
  maskedCard: string;
  time: number;
  cancelled: boolean;
}

export interface LiveState {
  version: number;
  profile: {
    terminalId: string;
    merchantId: string;
    locationKind: 'huduma-centre' | 'partner-merchant';
    locationName: string;
    reloadAllowed: boolean;
  };
  readerConnected: boolean;
  cardPresent: boolean;
  phase: Phase;
  operation?: Operation;
  amountCents?: number;
  card?: { maskedCard: string; balanceCents: number };
  pin?: { triesLeft: number; attempt: number; wrong: boolean };
  result?: ResultView;
  recovered: RecoveredView[];
  unresolved: Array<{
    op: string;
    terminalSeq: number;
    maskedCard: string;
    amountCents: number;
    needsOperator: boolean;
  }>;
  sync: {
    state: 'idle' | 'syncing' | 'ok' | 'failed' | 'unavailable';
    lastSyncAt: number;
    offlineForMs: number;
    unsyncedRecords: number;
    uploaded?: number;
    error?: string;
  };
  lastReceiptSeq?: number;
  /** Each device's state, when the counter was started with its devices (reader, printer, PIN pad). */
  devices?: DeviceStates;
  demo?: {
    cards: Array<{ index: number; label: string; maskedCard: string; balanceCents: number; pin: string }>;
    inserted?: number;
    pullArmed: boolean;
  };
}
