import { decodeTransactionRecord, Size, TxType } from '@huduma/card-applet-spec';
import type { CardState } from '@huduma/card-simulator';
import type { LogRecord } from '@huduma/txlog';
import { expect } from 'vitest';
import { chargesInLog } from './helpers';

/**
 * The card and the log agree: the card's balance moved by exactly the net of the log's sales,
 * recovered sales and cancels; every debit of this terminal still in the card's ring has exactly
 * one sale or recovered-sale record; no terminal sequence number is logged as a sale twice.
 */
export function expectCardAndLogAgree(args: {
  state: CardState;
  records: LogRecord[];
  initialBalance: number;
  terminalId: string;
}): void {
  const { state, records } = args;
  const cardNumber = state.cardNumber!;
  const { net, bySeq } = chargesInLog(records, cardNumber);
  expect(args.initialBalance - state.balance, 'card balance drop equals net logged sales').toBe(net);
  for (const [seq, n] of bySeq) expect(n, `terminal seq ${seq} logged once`).toBe(1);
  for (const entry of state.ring) {
    const rec = decodeTransactionRecord(entry.subarray(0, Size.TRANSACTION_RECORD));
    if (rec.type !== TxType.DEBIT || rec.terminalId !== args.terminalId) continue;
    expect(bySeq.get(rec.terminalSeq), `card debit seq ${rec.terminalSeq} has a sale record`).toBe(1);
  }
}
