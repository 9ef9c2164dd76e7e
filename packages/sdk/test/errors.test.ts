import { INS, type InsName, STATUS_WORD_MEANINGS, SW } from '@huduma/card-applet-spec';
import { describe, expect, it } from 'vitest';
import {
  CardBlockedError,
  CardError,
  CounterExhaustedError,
  CurrencyMismatchError,
  DebitOutcomeUnknownError,
  errorForStatusWord,
  HudumaCardError,
  InsufficientFundsError,
  LoadAuthorizationInvalidError,
  MaxBalanceExceededError,
  NoCvmLimitReachedError,
  OfflineLimitExceededError,
  PinBlockedError,
  PinRequiredError,
  PukBlockedError,
  SecureMessagingError,
  SequenceReusedError,
  SyncRequiredError,
  TerminalNotAuthorizedError,
  UndebitRefusedError,
  WrongPinError,
  WrongPukError,
} from '../src/index';

/** Expected mapping of every status word the spec defines, as seen by a DEBIT (or the command named). */
const TABLE: Array<{
  sw: number;
  command?: InsName;
  type: abstract new (...a: never[]) => HudumaCardError;
  code: string;
  reason?: string;
}> = [
  { sw: SW.CARD_BLOCKED_SELECTED, type: CardBlockedError, code: 'ERR_CARD_BLOCKED' },
  { sw: SW.WRONG_LENGTH, type: CardError, code: 'ERR_CARD_WRONG_LENGTH' },
  { sw: SW.LOGICAL_CHANNEL_NOT_SUPPORTED, type: CardError, code: 'ERR_CARD_LOGICAL_CHANNEL_NOT_SUPPORTED' },
  { sw: SW.LAST_COMMAND_OF_CHAIN_EXPECTED, type: CardError, code: 'ERR_CARD_LAST_COMMAND_OF_CHAIN_EXPECTED' },
  { sw: SW.CHAINING_NOT_SUPPORTED, type: CardError, code: 'ERR_CARD_CHAINING_NOT_SUPPORTED' },
  { sw: SW.SECURITY_STATUS_NOT_SATISFIED, type: CardError, code: 'ERR_CARD_SECURITY_STATUS_NOT_SATISFIED' },
  { sw: SW.AUTH_METHOD_BLOCKED, command: 'VERIFY_PIN', type: PinBlockedError, code: 'ERR_PIN_BLOCKED' },
  { sw: SW.AUTH_METHOD_BLOCKED, command: 'UNBLOCK_PIN', type: PukBlockedError, code: 'ERR_PUK_BLOCKED' },
  { sw: SW.CONDITIONS_NOT_SATISFIED, type: CardError, code: 'ERR_CARD_CONDITIONS_NOT_SATISFIED' },
  { sw: SW.SM_DATA_MISSING, type: CardError, code: 'ERR_CARD_SM_DATA_MISSING' },
  {
    sw: SW.SM_DATA_INCORRECT,
    type: SecureMessagingError,
    code: 'ERR_SECURE_MESSAGING',
    reason: 'command-mac-rejected',
  },
  { sw: SW.WRONG_DATA, type: CardError, code: 'ERR_CARD_WRONG_DATA' },
  { sw: SW.APPLET_NOT_FOUND, type: CardError, code: 'ERR_CARD_APPLET_NOT_FOUND' },
  { sw: SW.RECORD_NOT_FOUND, type: CardError, code: 'ERR_CARD_RECORD_NOT_FOUND' },
  { sw: SW.WRONG_P1P2, type: CardError, code: 'ERR_CARD_WRONG_P1P2' },
  {
    sw: SW.REFERENCED_DATA_NOT_FOUND,
    command: 'REGISTER_TERMINAL',
    type: TerminalNotAuthorizedError,
    code: 'ERR_TERMINAL_NOT_AUTHORIZED',
    reason: 'unknown-ca',
  },
  {
    sw: SW.REFERENCED_DATA_NOT_FOUND,
    command: 'RELOAD',
    type: LoadAuthorizationInvalidError,
    code: 'ERR_LOAD_AUTHORIZATION_INVALID',
  },
  {
    sw: SW.REFERENCED_DATA_NOT_FOUND,
    command: 'READ_IDENTITY',
    type: CardError,
    code: 'ERR_CARD_REFERENCED_DATA_NOT_FOUND',
  },
  { sw: SW.INS_NOT_SUPPORTED, type: CardError, code: 'ERR_CARD_INS_NOT_SUPPORTED' },
  { sw: SW.CLA_NOT_SUPPORTED, type: CardError, code: 'ERR_CARD_CLA_NOT_SUPPORTED' },
  { sw: SW.NO_PRECISE_DIAGNOSIS, type: CardError, code: 'ERR_CARD_NO_PRECISE_DIAGNOSIS' },
  { sw: SW.INSUFFICIENT_FUNDS, type: InsufficientFundsError, code: 'ERR_INSUFFICIENT_FUNDS' },
  { sw: SW.MAX_BALANCE_EXCEEDED, type: MaxBalanceExceededError, code: 'ERR_MAX_BALANCE_EXCEEDED' },
  { sw: SW.OFFLINE_LIMIT_EXCEEDED, type: OfflineLimitExceededError, code: 'ERR_OFFLINE_LIMIT_EXCEEDED' },
  {
    sw: SW.TERMINAL_CERT_INVALID,
    type: TerminalNotAuthorizedError,
    code: 'ERR_TERMINAL_NOT_AUTHORIZED',
    reason: 'certificate-invalid',
  },
  {
    sw: SW.CAPABILITY_MISSING,
    type: TerminalNotAuthorizedError,
    code: 'ERR_TERMINAL_NOT_AUTHORIZED',
    reason: 'capability-missing',
  },
  { sw: SW.UNDEBIT_REFUSED, type: UndebitRefusedError, code: 'ERR_UNDEBIT_REFUSED' },
  { sw: SW.LOAD_AUTH_INVALID, type: LoadAuthorizationInvalidError, code: 'ERR_LOAD_AUTHORIZATION_INVALID' },
  { sw: SW.SEQUENCE_REUSED, type: SequenceReusedError, code: 'ERR_SEQUENCE_REUSED' },
  {
    sw: SW.TERMINAL_CERT_EXPIRED,
    type: TerminalNotAuthorizedError,
    code: 'ERR_TERMINAL_NOT_AUTHORIZED',
    reason: 'certificate-expired',
  },
  { sw: SW.CARD_BLOCKED, type: CardBlockedError, code: 'ERR_CARD_BLOCKED' },
  { sw: SW.COUNTER_EXHAUSTED, type: CounterExhaustedError, code: 'ERR_COUNTER_EXHAUSTED' },
  { sw: SW.CVM_REQUIRED, type: PinRequiredError, code: 'ERR_PIN_REQUIRED' },
  // STALE is an outcome, never an error; as a bare status word it is only named.
  { sw: SW.STALE_COUNTER, type: CardError, code: 'ERR_CARD_STALE_COUNTER' },
  {
    sw: SW.TERMINAL_NOT_REGISTERED,
    type: TerminalNotAuthorizedError,
    code: 'ERR_TERMINAL_NOT_AUTHORIZED',
    reason: 'not-registered',
  },
  { sw: SW.SYNC_REQUIRED, type: SyncRequiredError, code: 'ERR_SYNC_REQUIRED' },
  { sw: SW.CURRENCY_MISMATCH, type: CurrencyMismatchError, code: 'ERR_CURRENCY_MISMATCH' },
];

describe('errorForStatusWord', () => {
  it.each(TABLE)('maps $sw ($command) to $code', ({ sw, command, type, code, reason }) => {
    const err = errorForStatusWord(sw, command ?? 'DEBIT');
    expect(err).toBeInstanceOf(type);
    expect(err).toBeInstanceOf(HudumaCardError);
    expect(err.code).toBe(code);
    expect(err.sw).toBe(sw);
    if (reason) expect((err as TerminalNotAuthorizedError).reason).toBe(reason);
    expect(err).not.toBeInstanceOf(NoCvmLimitReachedError);
    expect(err.message.length).toBeGreaterThan(5);
  });

  it('covers every error status word of the spec', () => {
    const covered = new Set(TABLE.map((t) => t.sw));
    const missing = STATUS_WORD_MEANINGS.filter((m) => m.sw !== SW.OK && !covered.has(m.sw)).map((m) =>
      m.sw.toString(16),
    );
    expect(missing).toEqual([]);
  });

  it('maps 63Cx to WrongPinError, or WrongPukError for UNBLOCK PIN, with the tries left', () => {
    for (let x = 0; x <= 9; x++) {
      const pin = errorForStatusWord(SW.VERIFY_FAILED_BASE | x, 'VERIFY_PIN');
      expect(pin).toBeInstanceOf(WrongPinError);
      expect((pin as WrongPinError).triesLeft).toBe(x);
      const puk = errorForStatusWord(SW.VERIFY_FAILED_BASE | x, 'UNBLOCK_PIN');
      expect(puk).toBeInstanceOf(WrongPukError);
      expect(puk.code).toBe('ERR_WRONG_PUK');
      expect((puk as WrongPukError).triesLeft).toBe(x);
    }
  });

  it('gives an unknown status word a generic CardError naming it', () => {
    const err = errorForStatusWord(0x6b00, 'READ_PURSE');
    expect(err).toBeInstanceOf(CardError);
    expect(err.code).toBe('ERR_CARD_UNKNOWN_STATUS');
    expect(err.message).toContain('6B00');
  });

  it('maps every command name', () => {
    for (const name of Object.keys(INS) as InsName[])
      expect(errorForStatusWord(SW.WRONG_DATA, name).sw).toBe(0x6a80);
  });
});

describe('outcome-unknown errors', () => {
  it('keep the card number for recovery but show only its last four digits in the message', () => {
    const cardNumber = '8404000000000016';
    const error = new DebitOutcomeUnknownError({
      cardNumber,
      counterBefore: 7,
      request: { terminalSeq: 42, amount: 10_000 } as never,
      cause: new Error('link lost'),
    });
    expect(error.cardNumber).toBe(cardNumber);
    expect(error.message).not.toContain(cardNumber);
    expect(error.message).toContain('**** **** **** 0016');
    expect(error.message).toContain('terminal seq 42');
  });
});
