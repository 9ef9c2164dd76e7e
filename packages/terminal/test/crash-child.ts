/**
 * Child process of crash.test.ts: a terminal selling all day to one FILE-BACKED simulated card,
 * until the parent kills it with SIGKILL. Every run first taps the card to settle what the
 * previous run left pending. Prints one line per event on stdout:
 *   READY <recovered-count>          recovery done (the first tap of this run)
 *   ACK <terminalSeq> <amountCents>  a sale was approved (after its log record was fsynced)
 *   DECLINED <reason>
 *   SYNCED                           the card held 32 unsynced records: a zero-amount reload synced it
 * Usage: node --conditions=huduma-source --import tsx crash-child.ts <terminal-dir> <card-file> <sell|recover> <pki-dir>
 */
import { writeSync } from 'node:fs';
import { SimulatedCard, SimulatedReader } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import {
  devLoadAuthorizer,
  type LoadAuthorizer,
  pollingCardReader,
  TerminalEngine,
  TransactionRefusedError,
} from '../src/index';

const [dir, cardPath, mode, pkiDir] = process.argv.slice(2);
if (!dir || !cardPath || (mode !== 'sell' && mode !== 'recover') || !pkiDir) {
  process.stderr.write('usage: crash-child.ts <terminal-dir> <card-file> <sell|recover> <pki-dir>\n');
  process.exit(2);
}

// Synchronous writes: once a line is written the parent sees it even if we are killed next.
const say = (line: string) => writeSync(1, `${line}\n`);

let authorizer: LoadAuthorizer | undefined;
const reader = new SimulatedReader();
reader.insert(SimulatedCard.open(cardPath));
const engine = await TerminalEngine.open({
  dir,
  reader: pollingCardReader(() => (reader.cardPresent ? reader : undefined)),
  pinPad: { requestPin: async () => '1234' },
  // Opened on the first sync only: opening the PKI costs ~0.3 s, which would eat into the
  // random window before the kill.
  loadAuthorizer: {
    authorize: (r) => {
      authorizer ??= devLoadAuthorizer(DevPki.open(pkiDir));
      return authorizer.authorize(r);
    },
  },
});
const recovered = await engine.recoverCard();
say(`READY ${recovered.length} ${recovered.map((n) => `${n.terminalSeq}:${n.outcome}`).join(',')}`);
if (mode === 'recover') {
  await engine.close();
  process.exit(0);
}
const services = engine.catalog.list().filter((s) => s.feeCents <= 500_000);
for (let i = 0; ; i++) {
  const service = services[i % services.length]!;
  try {
    const sale = await engine.sale({ serviceCode: service.code, billRef: `DAY-${i}` });
    say(`ACK ${sale.terminalSeq} ${sale.amountCents}`);
  } catch (err) {
    if (!(err instanceof TransactionRefusedError)) throw err;
    say(`DECLINED ${err.reason}`);
    // A power loss leaves the card out of the reader: put it back, as the cashier would.
    if (!reader.cardPresent) reader.reinsert();
    // Applet v2 refuses debits after 32 unsynced records: the holder reloads (KES 0) online.
    if (err.reason === 'sync-required') {
      await engine.reload({ amountCents: 0 }).then(
        () => say('SYNCED'),
        (e: unknown) => {
          if (!(e instanceof TransactionRefusedError)) throw e;
          say(`DECLINED ${e.reason}`);
          if (!reader.cardPresent) reader.reinsert();
        },
      );
    }
  }
}
