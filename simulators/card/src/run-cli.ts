import {
  decodeIdentity,
  decodeTransactionRecord,
  formatCardNumber,
  IdentityType,
  LifeCycle,
  Size,
  TxType,
} from '@huduma/card-applet-spec';
import {
  type CliIo,
  type CliSpec,
  type Command,
  command,
  defineCli,
  type OptionSpecs,
  runCli,
  UsageError,
} from '@huduma/cli-kit';
import { DevPki } from '@huduma/pki';
import packageJson from '../package.json' with { type: 'json' };
import { SimulatedCard } from './simulated-card';
import type { CardState } from './state';
import { DEFAULT_IDENTITY, issueTestCard } from './test-card';

export type { CliIo };

/** A usage error of huduma-sim (exit 2): the kit's UsageError. */
export const SimCliUsageError = UsageError;

/** A command of huduma-sim. */
export type SimCommand = Command<OptionSpecs>;

/** Money in KES with 2 decimals, from integer cents. */
export function formatKes(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  return `KES ${sign}${Math.floor(a / 100).toLocaleString('en-US')}.${String(a % 100).padStart(2, '0')}`;
}

const LIFE_CYCLE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(LifeCycle).map(([k, v]) => [v, k]),
);
const TX_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TxType).map(([k, v]) => [v, k]));

/** Human-readable lines describing a card's persisted state (no secrets). */
export function describeCardState(s: CardState): string[] {
  const lines = [
    `card number:    ${s.cardNumber ? formatCardNumber(s.cardNumber) : '(not set)'}`,
    `state:          ${LIFE_CYCLE_NAMES[s.lifeCycle] ?? s.lifeCycle}`,
    `balance:        ${formatKes(s.balance)} (max ${formatKes(s.maxBalance)})`,
    `counter:        ${s.counter} (synced through ${s.syncedThrough})`,
    `offline spend:  ${formatKes(s.offlineSpend)} of ${formatKes(s.offlineLimit)}; PIN above ${formatKes(s.cvmLimit)}`,
    `no-PIN spend:   ${formatKes(s.noCvmSpend)} of ${formatKes(s.noCvmLimit)}`,
    `PIN tries left: ${s.pinTries}   PUK tries left: ${s.pukTries}`,
  ];
  if (s.identity) {
    try {
      const id = decodeIdentity(s.identity);
      const type = Object.entries(IdentityType).find(([, v]) => v === id.idType)?.[0];
      lines.push(`holder:         ${id.name} (${type} ${id.idNumber}, Huduma Namba ${id.hudumaNamba})`);
    } catch {
      lines.push('holder:         (undecodable identity)');
    }
  }
  const registered = s.registrations.filter((r) => r?.valid).length;
  lines.push(`trusted keys:   ${s.trustedKeys.length}   registered terminals: ${registered}`);
  lines.push(`ring:           ${s.ring.length} record(s), newest first`);
  s.ring.forEach((entry, i) => {
    const r = decodeTransactionRecord(entry.subarray(0, Size.TRANSACTION_RECORD));
    const ref = r.type === TxType.UNDEBIT ? ` cancels #${r.refCounter}` : '';
    lines.push(
      `  ${String(i + 1).padStart(2)}. #${r.counter} ${TX_NAMES[r.type]!.padEnd(7)} ${formatKes(r.amount).padStart(16)}  balance ${formatKes(r.balanceAfter)}  ${r.terminalId}/${r.terminalSeq}  ${new Date(r.time * 1000).toISOString()}  ${r.billRef}${ref}`,
    );
  });
  return lines;
}

const issueCommand = command({
  name: 'issue',
  summary: 'personalize a simulated card file, with an opening balance loaded by the PKI',
  options: {
    pki: { type: 'string', value: 'DIR', description: 'development PKI (huduma pki init)', required: true },
    out: {
      type: 'string',
      value: 'FILE',
      description: 'the card file to write (e.g. card.cbor)',
      required: true,
    },
    'card-number': { type: 'string', value: 'N', description: '16-digit card number (default: a new one)' },
    balance: {
      type: 'kes',
      description: 'opening balance in KES, e.g. 250.00 (default 0.00)',
      allowZero: true,
    },
    pin: { type: 'string', value: 'PIN', description: 'cardholder PIN (default 1234)' },
    puk: { type: 'string', value: 'PUK', description: 'PUK (default 12345678)' },
    name: { type: 'string', value: 'NAME', description: "holder's name on the identity" },
  },
  details: 'Amounts are in KES with two decimals: --balance 250.00 is KES 250.00.',
  async run({ values, io, need }) {
    const out = need('out');
    const pki = DevPki.open(need('pki'));
    const { name, pin, puk } = values;
    const cardNumber = values['card-number'];
    const tc = await issueTestCard({
      pki,
      path: out,
      balance: values.balance ?? 0,
      ...(cardNumber ? { cardNumber } : {}),
      ...(pin ? { pin } : {}),
      ...(puk ? { puk } : {}),
      identity: name ? { ...DEFAULT_IDENTITY, name } : DEFAULT_IDENTITY,
    });
    io.stdout.write(`issued card ${formatCardNumber(tc.cardNumber)} into ${tc.card.path}\n`);
    for (const l of describeCardState(tc.card.state)) io.stdout.write(`  ${l}\n`);
    io.stdout.write(`  PIN ${tc.pin}, PUK ${tc.puk} (development card)\n`);
    return 0;
  },
});

const showCommand = command({
  name: 'show',
  summary: "print a card file's state: balance, counters, limits, holder, the record ring",
  args: ['CARDFILE'],
  run({ positionals, io }) {
    for (const l of describeCardState(SimulatedCard.open(positionals[0]!).persistedState()))
      io.stdout.write(`${l}\n`);
    return 0;
  },
});

/** Subcommands of huduma-sim; push a command to add one (the bin adds `vpcd`). */
export const SIM_COMMANDS: SimCommand[] = [issueCommand as SimCommand, showCommand as SimCommand];

/** The huduma-sim CLI with the commands registered so far. */
export function simCli(): CliSpec {
  return defineCli({
    name: 'huduma-sim',
    version: packageJson.version,
    summary: 'the Huduma reference card simulator: issue card files, show them, serve them to pcscd',
    commands: SIM_COMMANDS,
    nextStep(error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_PKI_NOT_FOUND') return 'create one with: huduma pki init DIR';
      return undefined;
    },
  });
}

/** Runs the simulator CLI; returns the exit code. */
export async function runSimCli(argv: string[], io: CliIo = process): Promise<number> {
  return runCli(simCli(), argv, io);
}
