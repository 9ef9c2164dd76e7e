import {
  CLA_OF_INS,
  INS,
  type InsName,
  LifeCycle,
  type LifeCycleState,
  SessionType,
  Size,
} from './constants';
import { wrappedLength } from './sm';

/** How a command uses secure messaging (§6 table, "SM" column). */
export type SmMode =
  | { kind: 'none' }
  /** A session command: allowed session types, and whether command / response payloads are encrypted. */
  | { kind: 'session'; sessions: readonly number[]; encryptCommand: boolean; encryptResponse: boolean };

/**
 * The command table of applet v2 (SPEC.md §6): one row per instruction with what the card
 * accepts. The simulator dispatches on it and the conformance suite iterates it.
 */
export interface CommandSpec {
  name: InsName;
  /** The only accepted CLA (plus the chaining bit when chainable). */
  cla: number;
  ins: number;
  /** Accepted P1-P2 (P1 << 8 | P2), or a named rule checked by the card (§6.0.3 step 6). */
  p1p2: number | 'record' | 'store' | 'open-session' | 'key-kind';
  /**
   * Accepted data lengths (assembled, wrapped for SM commands). 'store' = STORE DATA's rule
   * 16·⌈(n+1)/16⌉ + 8 for the object's allowed n.
   */
  lc: readonly number[] | 'store';
  states: readonly LifeCycleState[];
  sm: SmMode;
  chainable: boolean;
  section: string;
}

const { PERSONALIZATION: P, ACTIVE: A, BLOCKED: B } = LifeCycle;
const { TAP, SECURE, PERSO } = SessionType;
const NONE: SmMode = { kind: 'none' };
const mac = (sessions: readonly number[]): SmMode => ({
  kind: 'session',
  sessions,
  encryptCommand: false,
  encryptResponse: false,
});
const enc = (sessions: readonly number[]): SmMode => ({
  kind: 'session',
  sessions,
  encryptCommand: true,
  encryptResponse: false,
});

function row(
  name: InsName,
  p1p2: CommandSpec['p1p2'],
  lc: CommandSpec['lc'],
  states: readonly LifeCycleState[],
  sm: SmMode,
  chainable: boolean,
  section: string,
): CommandSpec {
  return { name, cla: CLA_OF_INS[name], ins: INS[name], p1p2, lc, states, sm, chainable, section };
}

export const COMMANDS: readonly CommandSpec[] = [
  row('SELECT', 0x0400, [Size.AID], [P, A, B], NONE, false, '6.1'),
  row('GET_CHALLENGE', 0x0000, [0], [P, A, B], NONE, false, '6.2'),
  row('GET_DATA', 0x7f21, [0], [P, A, B], NONE, false, '6.3'),
  row(
    'VERIFY_PIN',
    0x0081,
    [wrappedLength(8, true), wrappedLength(0, false)],
    [A],
    enc([SECURE]),
    false,
    '6.4',
  ),
  row('CHANGE_PIN', 0x0081, [wrappedLength(16, true)], [A], enc([SECURE]), false, '6.5'),
  row('UNBLOCK_PIN', 0x0081, [wrappedLength(16, true)], [A], enc([SECURE]), false, '6.6'),
  row('READ_PURSE', 0x0000, [0], [P, A, B], NONE, false, '6.7'),
  row('DEBIT', 0x0000, [wrappedLength(Size.DEBIT_REQUEST, false)], [A], mac([TAP, SECURE]), false, '6.8'),
  row('UNDEBIT', 0x0000, [wrappedLength(Size.UNDEBIT_REQUEST, false)], [A], mac([TAP, SECURE]), false, '6.9'),
  row('RELOAD', 0x0000, [Size.LOAD_AUTHORIZATION], [A], NONE, true, '6.10'),
  row('READ_RECORD', 'record', [0], [A, B], NONE, false, '6.11'),
  row('GET_TRANSACTION', 0x0000, [Size.GET_TRANSACTION_REQUEST], [A, B], NONE, false, '6.12'),
  row(
    'READ_IDENTITY',
    0x0000,
    [wrappedLength(0, false)],
    [A],
    { kind: 'session', sessions: [SECURE], encryptCommand: false, encryptResponse: true },
    false,
    '6.13',
  ),
  row(
    'BLOCK_CARD',
    0x0000,
    [wrappedLength(Size.BLOCK_REQUEST, false)],
    [A, B],
    mac([TAP, SECURE]),
    false,
    '6.14',
  ),
  row('REGISTER_TERMINAL', 0x0000, [Size.TERMINAL_CERTIFICATE], [A, B], NONE, true, '6.15'),
  row(
    'OPEN_SESSION',
    'open-session',
    [Size.OPEN_SESSION_TAP, Size.OPEN_SESSION_SECURE],
    [A, B],
    NONE,
    false,
    '6.16',
  ),
  row('INITIALIZE_PERSO', 0x0000, [Size.CHALLENGE], [P], NONE, false, '7.2'),
  row(
    'EXTERNAL_AUTHENTICATE_PERSO',
    0x0000,
    [wrappedLength(Size.CRYPTOGRAM, false)],
    [P],
    mac([PERSO]),
    false,
    '7.3',
  ),
  row('STORE_DATA', 'store', 'store', [P], enc([PERSO]), true, '7.4'),
  row(
    'GENERATE_KEY_PAIR',
    'key-kind',
    [wrappedLength(Size.ATT_NONCE, false)],
    [P],
    mac([PERSO]),
    false,
    '7.5',
  ),
  row('FINALIZE', 0x0000, [wrappedLength(0, false)], [P], mac([PERSO]), false, '7.7'),
];

const BY_INS = new Map(COMMANDS.map((c) => [c.ins, c]));

/** The command with this INS, if any (the CLA decides whether it is valid for the class). */
export function commandByIns(ins: number): CommandSpec | undefined {
  return BY_INS.get(ins);
}
