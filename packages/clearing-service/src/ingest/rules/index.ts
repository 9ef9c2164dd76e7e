/**
 * The ingest chain, in the order it runs (see ../step.ts). Checks run top to bottom before the
 * records are stored, applies top to bottom after: fork/gap first (it may end the chain with a
 * duplicate receipt), quarantine before any money rule, clones before the shadow balance (which
 * reads the counters just claimed) and before reloads (a flagged reload is not flagged twice);
 * the Merkle append last, since its lock is the one every upload shares.
 */
import type { IngestRule } from '../step';
import { billsRule } from './bills';
import { chainRule } from './chain';
import { clonesRule } from './clones';
import { merkleAppendRule } from './merkle-append';
import { quarantineRule } from './quarantine';
import { reloadsRule } from './reloads';
import { shadowBalanceRule } from './shadow-balance';
import { shiftReconciliationRule } from './shift-reconciliation';

export const INGEST_RULES: readonly IngestRule[] = [
  chainRule,
  quarantineRule,
  clonesRule,
  shadowBalanceRule,
  reloadsRule,
  billsRule,
  shiftReconciliationRule,
  merkleAppendRule,
];
