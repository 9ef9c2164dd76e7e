/**
 * A card pulled in the middle of a DEBIT, through the real PC/SC stack: the SDK over our PC/SC
 * transport says the outcome is unknown, the next tap finds out what happened from the card
 * itself, and retrying never charges twice.
 *
 * Applet v2: the DEBIT is one APDU (44 bytes + C-MAC), bound to the card counter the terminal
 * journaled (expectedCounter). "Before" = the card leaves the reader as the DEBIT goes out (it
 * never receives it); "after" = it ran the DEBIT, committed, and is pulled before its answer
 * reaches the host.
 */
import { rmSync } from 'node:fs';
import { INS } from '@huduma/card-applet-spec';
import { DevPki, type IssuedTerminal } from '@huduma/pki';
import {
  CardRemovedError,
  DebitOutcomeUnknownError,
  HudumaCard,
  type HudumaCardOptions,
  InMemoryCardLinkCache,
  type Transport,
} from '@huduma/sdk';
import { PcscReaders } from '@huduma/transport-pcsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  insertCardFile,
  issueCardFile,
  removeCard,
  SIMULATOR_CARD_MODULE,
  tempDir,
} from './pcsc-e2e-support';
import { type PcscHarness, startPcscHarness } from './support/pcsc-harness';

const START_BALANCE = 200_000;
const AMOUNT = 2_500;

let harness: PcscHarness;
let readers: PcscReaders;
let pki: DevPki;
let terminal: IssuedTerminal;
let dir: string;
let reader: string;
let seq = 100;

beforeAll(async () => {
  harness = await startPcscHarness({ cardModule: SIMULATOR_CARD_MODULE });
  reader = harness.readers[0]!;
  readers = await PcscReaders.open();
  dir = tempDir('huduma-e2e-removal-');
  pki = DevPki.inMemory();
  terminal = await pki.issueTerminal({
    terminalId: 'T-PCSC-1',
    merchantId: 'M-0001',
    capabilities: ['DEBIT'],
  });
});

afterAll(async () => {
  await readers?.close();
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cache = new InMemoryCardLinkCache();
const options = (): HudumaCardOptions => ({
  trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
  terminal,
  linkCache: cache,
});

/**
 * Pulls the card at the DEBIT: 'before' removes it (through pcscd) before the DEBIT is sent, so
 * the card never sees it; 'after' arms "pull the card instead of answering the next command", so
 * the card runs the DEBIT and the answer is lost.
 */
function pullDuringDebit(
  transport: Transport,
  when: 'before' | 'after',
): { transport: Transport; removed: () => Promise<void> | undefined } {
  let removed: Promise<void> | undefined;
  return {
    transport: {
      async transmit(command) {
        if (command[1] === INS.DEBIT && !removed) {
          if (when === 'before') {
            removed = removeCard(harness, readers);
            await removed;
          } else {
            removed = (await harness.removeCardOnNextCommand(0)).removed;
          }
        }
        return transport.transmit(command);
      },
    },
    removed: () => removed,
  };
}

describe('SDK over PC/SC: debits through pcscd', () => {
  it('a complete debit changes the balance by the amount, seen by READ PURSE on the next tap', async () => {
    const { path } = await issueCardFile(pki, dir, START_BALANCE);
    await insertCardFile(harness, readers, path);
    const connection = await readers.connect(reader);
    const card = await HudumaCard.select(connection, options());
    const result = await card.debit({ amount: AMOUNT, terminalSeq: seq++, billRef: 'E2E', serviceCode: 1 });
    if (result.outcome !== 'executed') throw new Error(`debit ${result.outcome}`);
    expect(result.proof.record.balanceAfter).toBe(START_BALANCE - AMOUNT);
    await connection.close();

    await removeCard(harness, readers);
    await insertCardFile(harness, readers, path);
    const again = await readers.connect(reader);
    const next = await HudumaCard.select(again, options());
    expect((await next.readPurse()).balance).toBe(START_BALANCE - AMOUNT);
    await again.close();
    await removeCard(harness, readers);
  });

  it.each([
    ['before the card received the DEBIT', 'before', false],
    ['after the card processed the DEBIT', 'after', true],
  ] as const)(
    'card pulled %s: outcome unknown, recovery tells, no double charge on retry',
    async (_what, segment, charged) => {
      const { path } = await issueCardFile(pki, dir, START_BALANCE);
      await insertCardFile(harness, readers, path);
      const connection = await readers.connect(reader);
      const pull = pullDuringDebit(connection, segment);
      const card = await HudumaCard.select(pull.transport, options());
      const terminalSeq = seq++;
      const err = await card
        .debit({ amount: AMOUNT, terminalSeq, billRef: 'E2E-PULL', serviceCode: 1 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DebitOutcomeUnknownError);
      const unknown = err as DebitOutcomeUnknownError;
      expect(unknown).toMatchObject({ code: 'ERR_DEBIT_OUTCOME_UNKNOWN', terminalSeq, counterBefore: 1 });
      expect(unknown.request.expectedCounter).toBe(1);
      expect(unknown.cause).toBeInstanceOf(CardRemovedError);
      expect(unknown.cause).toMatchObject({ code: 'ERR_CARD_REMOVED' });
      await pull.removed();
      while (readers.state(reader)?.cardPresent) await new Promise((r) => setTimeout(r, 5));
      // The connection died with the card.
      await expect(connection.transmit(new Uint8Array([0x80, 0x50, 0, 0, 0x1c]))).rejects.toMatchObject({
        code: 'ERR_CARD_REMOVED',
      });
      await connection.close();
      while (readers.state(reader)?.cardPresent) await new Promise((r) => setTimeout(r, 5));

      // Next tap: the same card (its file) back in the reader.
      await insertCardFile(harness, readers, path);
      const again = await readers.connect(reader);
      const next = await HudumaCard.select(again, options());
      const recovery = await next.recoverTransaction({
        expectedCounter: unknown.request.expectedCounter,
        terminalSeq: unknown.terminalSeq,
        amount: AMOUNT,
      });
      if (charged) {
        expect(recovery).toMatchObject({ status: 'executed', counter: 2 });
        if (recovery.status === 'executed') {
          expect(recovery.proof.record).toMatchObject({
            amount: AMOUNT,
            terminalSeq,
            counter: 2,
            balanceAfter: START_BALANCE - AMOUNT,
          });
        }
      } else {
        // The counter is still the journaled one: not executed, and the same request may be resent.
        expect(recovery).toMatchObject({ status: 'not-executed', resendable: true, counter: 1 });
      }
      expect((await next.readPurse()).balance).toBe(charged ? START_BALANCE - AMOUNT : START_BALANCE);

      // Retrying the exact request: the card replays its proof if it already charged, never twice.
      const retried = await next.debit(unknown.request);
      expect(retried.outcome).toBe(charged ? 'already-applied' : 'executed');
      if (retried.outcome === 'stale') throw new Error('stale');
      expect(retried.proof.replayed).toBe(charged);
      expect(retried.proof.record.counter).toBe(2);
      const purse = await next.readPurse();
      expect(purse).toMatchObject({ balance: START_BALANCE - AMOUNT, counter: 2, offlineSpend: AMOUNT });
      await again.close();
      await removeCard(harness, readers);
    },
  );
});
