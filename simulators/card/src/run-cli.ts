import {
  decodeIdentity,
  decodeTransactionRecord,
  formatCardNumber,
  IdentityType,
  LifeCycle,
  Size,
  TxType,
} from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import { SimulatedCard } from './simulated-card';
import type { CardState } from './state';
import { DEFAULT_IDENTITY, issueTestCard } from './test-card';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export class SimCliUsageError extends Error {
  readonly code = 'ERR_SIM_USAGE';
}

export interface SimCommand {
  summary: string;
  run(args: string[], flags: Map<string, string>, io: CliIo): Promise<number>;
}

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

function need(flags: Map<string, string>, name: string): string {
  const v = flags.get(name);
  if (v === undefined) throw new SimCliUsageError(`--${name} is required`);
  return v;
}

/** Subcommands of huduma-sim; add an entry to add a command (e.g. `vpcd`). */
export const SIM_COMMANDS: Record<string, SimCommand> = {
  issue: {
    summary:
      'issue --pki DIR --out card.cbor [--card-number N] [--balance CENTS] [--pin 1234] [--puk 12345678] [--name NAME]',
    async run(_args, flags, io) {
      const pki = DevPki.open(need(flags, 'pki'));
      const balanceText = flags.get('balance') ?? '0';
      const balance = Number(balanceText);
      if (!Number.isInteger(balance) || balance < 0) {
        throw new SimCliUsageError(`--balance must be integer cents, got ${balanceText}`);
      }
      const name = flags.get('name');
      const cardNumber = flags.get('card-number');
      const pin = flags.get('pin');
      const puk = flags.get('puk');
      const tc = await issueTestCard({
        pki,
        path: need(flags, 'out'),
        balance,
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
  },
  show: {
    summary: 'show card.cbor',
    async run(args, _flags, io) {
      const file = args[0];
      if (!file) throw new SimCliUsageError('show needs a card file');
      for (const l of describeCardState(SimulatedCard.open(file).persistedState())) io.stdout.write(`${l}\n`);
      return 0;
    },
  },
};

function usage(): string {
  return `usage: huduma-sim <command>\n${Object.values(SIM_COMMANDS)
    .map((c) => `  ${c.summary}`)
    .join('\n')}\n`;
}

function parseArgs(argv: string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else {
      const v = argv[++i];
      if (v === undefined) throw new SimCliUsageError(`${a} needs a value`);
      flags.set(a.slice(2), v);
    }
  }
  return { positional, flags };
}

/** Runs the simulator CLI; returns the exit code. */
export async function runSimCli(argv: string[], io: CliIo = process): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : SIM_COMMANDS[name];
  if (!command) {
    io.stderr.write(
      name === undefined || name === 'help' ? usage() : `huduma-sim: unknown command "${name}"\n${usage()}`,
    );
    return name === 'help' ? 0 : 2;
  }
  try {
    const { positional, flags } = parseArgs(rest);
    return await command.run(positional, flags, io);
  } catch (err) {
    io.stderr.write(`huduma-sim: ${(err as Error).message}\n`);
    if (err instanceof SimCliUsageError) {
      io.stderr.write(usage());
      return 2;
    }
    return 1;
  }
}
