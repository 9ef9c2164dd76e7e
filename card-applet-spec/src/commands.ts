import { Capability, CLA_OF_INS, INS, type InsName, LifeCycle, type LifeCycleState, Size } from './constants';

/**
 * The command table of applet v1 (SPEC.md §6): one row per instruction with what the card
 * accepts. The simulator dispatches on it, the conformance suite iterates it, and SPEC.md's
 * summary table is written from it.
 */
export interface CommandSpec {
  name: InsName;
  cla: number;
  ins: number;
  /** Accepted P1-P2 (as P1 << 8 | P2); 'record' = READ RECORD's P1 1..16 with P2 04; 'store' = STORE DATA object ids. */
  p1p2: number | 'record' | 'store';
  /** Exact data length, or [min, max]. */
  lc: number | readonly [number, number];
  /** Response data length (exact or max). */
  responseLength: number | readonly [number, number];
  /** Life-cycle states in which the command runs. */
  states: readonly LifeCycleState[];
  /** For terminal-authenticated commands: the capability and the body size of the envelope. */
  terminalAuth?: { capability: number; bodySize: number };
  /** Whether the command may arrive as an ISO command chain. */
  chainable: boolean;
  /** SPEC.md section. */
  section: string;
}

const { PERSONALIZATION: PERSO, ACTIVE, BLOCKED, TERMINATED } = LifeCycle;
const AUTH = (body: number) => Size.CERTIFICATE + body + Size.SIGNATURE;

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'SELECT',
    cla: CLA_OF_INS.SELECT,
    ins: INS.SELECT,
    p1p2: 0x0400,
    lc: Size.AID,
    responseLength: [60, 90],
    states: [PERSO, ACTIVE, BLOCKED, TERMINATED],
    chainable: false,
    section: '6.1',
  },
  {
    name: 'GET_CHALLENGE',
    cla: CLA_OF_INS.GET_CHALLENGE,
    ins: INS.GET_CHALLENGE,
    p1p2: 0x0000,
    lc: 0,
    responseLength: Size.CHALLENGE,
    states: [PERSO, ACTIVE, BLOCKED],
    chainable: false,
    section: '6.2',
  },
  {
    name: 'GET_DATA',
    cla: CLA_OF_INS.GET_DATA,
    ins: INS.GET_DATA,
    p1p2: 0x7f21,
    lc: 0,
    responseLength: Size.CERTIFICATE,
    states: [PERSO, ACTIVE, BLOCKED],
    chainable: false,
    section: '6.3',
  },
  {
    name: 'VERIFY_PIN',
    cla: CLA_OF_INS.VERIFY_PIN,
    ins: INS.VERIFY_PIN,
    p1p2: 0x0081,
    lc: [0, Size.PIN_BLOCK],
    responseLength: 0,
    states: [ACTIVE],
    chainable: false,
    section: '6.4',
  },
  {
    name: 'CHANGE_PIN',
    cla: CLA_OF_INS.CHANGE_PIN,
    ins: INS.CHANGE_PIN,
    p1p2: 0x0081,
    lc: 2 * Size.PIN_BLOCK,
    responseLength: 0,
    states: [ACTIVE],
    chainable: false,
    section: '6.5',
  },
  {
    name: 'UNBLOCK_PIN',
    cla: CLA_OF_INS.UNBLOCK_PIN,
    ins: INS.UNBLOCK_PIN,
    p1p2: 0x0081,
    lc: 2 * Size.PIN_BLOCK,
    responseLength: 0,
    states: [ACTIVE],
    chainable: false,
    section: '6.6',
  },
  {
    name: 'READ_PURSE',
    cla: CLA_OF_INS.READ_PURSE,
    ins: INS.READ_PURSE,
    p1p2: 0x0000,
    lc: 0,
    responseLength: Size.PURSE,
    states: [PERSO, ACTIVE, BLOCKED],
    chainable: false,
    section: '6.7',
  },
  {
    name: 'DEBIT',
    cla: CLA_OF_INS.DEBIT,
    ins: INS.DEBIT,
    p1p2: 0x0000,
    lc: AUTH(Size.DEBIT_BODY),
    responseLength: Size.TRANSACTION_PROOF,
    states: [ACTIVE],
    terminalAuth: { capability: Capability.DEBIT, bodySize: Size.DEBIT_BODY },
    chainable: true,
    section: '6.8',
  },
  {
    name: 'UNDEBIT',
    cla: CLA_OF_INS.UNDEBIT,
    ins: INS.UNDEBIT,
    p1p2: 0x0000,
    lc: AUTH(Size.UNDEBIT_BODY),
    responseLength: Size.TRANSACTION_PROOF,
    states: [ACTIVE],
    terminalAuth: { capability: Capability.UNDEBIT, bodySize: Size.UNDEBIT_BODY },
    chainable: true,
    section: '6.9',
  },
  {
    name: 'RELOAD',
    cla: CLA_OF_INS.RELOAD,
    ins: INS.RELOAD,
    p1p2: 0x0000,
    lc: Size.LOAD_AUTHORIZATION,
    responseLength: Size.TRANSACTION_PROOF,
    states: [ACTIVE],
    chainable: true,
    section: '6.10',
  },
  {
    name: 'READ_RECORD',
    cla: CLA_OF_INS.READ_RECORD,
    ins: INS.READ_RECORD,
    p1p2: 'record',
    lc: 0,
    responseLength: Size.TRANSACTION_PROOF,
    states: [ACTIVE, BLOCKED],
    chainable: false,
    section: '6.11',
  },
  {
    name: 'GET_LAST_TRANSACTION',
    cla: CLA_OF_INS.GET_LAST_TRANSACTION,
    ins: INS.GET_LAST_TRANSACTION,
    p1p2: 0x0000,
    lc: Size.RECOVERY_REQUEST,
    responseLength: Size.RECOVERY_RESPONSE,
    states: [ACTIVE, BLOCKED],
    chainable: false,
    section: '6.12',
  },
  {
    name: 'READ_IDENTITY',
    cla: CLA_OF_INS.READ_IDENTITY,
    ins: INS.READ_IDENTITY,
    p1p2: 0x0000,
    lc: AUTH(Size.IDENTITY_BODY),
    responseLength: [20, 240],
    states: [ACTIVE],
    terminalAuth: { capability: Capability.IDENTITY_READ, bodySize: Size.IDENTITY_BODY },
    chainable: true,
    section: '6.13',
  },
  {
    name: 'BLOCK_CARD',
    cla: CLA_OF_INS.BLOCK_CARD,
    ins: INS.BLOCK_CARD,
    p1p2: 0x0000,
    lc: AUTH(Size.BLOCK_BODY),
    responseLength: 0,
    states: [ACTIVE, BLOCKED],
    terminalAuth: { capability: Capability.BLOCK, bodySize: Size.BLOCK_BODY },
    chainable: true,
    section: '6.14',
  },
  {
    name: 'STORE_DATA',
    cla: CLA_OF_INS.STORE_DATA,
    ins: INS.STORE_DATA,
    p1p2: 'store',
    lc: [1, 255],
    responseLength: 0,
    states: [PERSO],
    chainable: false,
    section: '7.1',
  },
  {
    name: 'GENERATE_KEY_PAIR',
    cla: CLA_OF_INS.GENERATE_KEY_PAIR,
    ins: INS.GENERATE_KEY_PAIR,
    p1p2: 0x0000,
    lc: 0,
    responseLength: Size.PUBLIC_KEY,
    states: [PERSO],
    chainable: false,
    section: '7.2',
  },
  {
    name: 'FINALIZE',
    cla: CLA_OF_INS.FINALIZE,
    ins: INS.FINALIZE,
    p1p2: 0x0000,
    lc: 0,
    responseLength: 0,
    states: [PERSO],
    chainable: false,
    section: '7.3',
  },
];

export function commandByIns(cla: number, ins: number): CommandSpec | undefined {
  return COMMANDS.find((c) => c.ins === ins && c.cla === cla);
}
