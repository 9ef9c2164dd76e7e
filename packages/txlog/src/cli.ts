import { readFile } from 'node:fs/promises';
import { decodeCertificate, Size } from '@huduma/card-applet-spec';
import { cardProofVerifier } from './card-proof';
import { TxLogError, TxLogKeyError } from './errors';
import { type ExportFormat, exportLines } from './export';
import { type LogSummary, verifyLog } from './verify';

export interface CliStream {
  write(chunk: string): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
}

const USAGE = `usage:
  log verify FILE [--terminal-cert CERT] [--issuer-ca KEY] [--json]
  log export FILE --format json|csv
CERT: the terminal certificate (165 bytes, or its hex: its certified key QT signs the log), or the terminal's 65-byte P-256
      public key as hex or JSON {"publicKey": "<hex>"}.
KEY:  the issuer CA public key (hex, or JSON {"publicKey": "<hex>"}): card certificates must
      chain to it. Card proofs are always verified against each record's card certificate.
`;

/**
 * Reads a public key from a file: a Huduma certificate (SPEC.md §5; the raw bytes (165 terminal, 230 card) written by
 * `huduma pki`, or their 330 hex digits) gives its subject key; otherwise a bare 65-byte
 * uncompressed P-256 key in hex (130 digits) or JSON {"publicKey": "<hex>"}.
 */
export async function readPublicKeyFile(path: string, what = 'terminal'): Promise<Uint8Array> {
  const raw = new Uint8Array(await readFile(path));
  if ((raw.length === Size.TERMINAL_CERTIFICATE || raw.length === Size.CARD_CERTIFICATE) && raw[0] === 0x02)
    return certificateKey(raw, path);
  const text = Buffer.from(raw).toString('utf8').trim();
  let hex = text;
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new TxLogKeyError(`${path}: invalid JSON: ${(err as Error).message}`);
    }
    const value = (parsed as { publicKey?: unknown }).publicKey;
    if (typeof value !== 'string') throw new TxLogKeyError(`${path}: JSON has no "publicKey" string`);
    hex = value.trim();
  }
  hex = hex.replace(/^0x/i, '').replace(/\s+/g, '');
  if (/^[0-9a-fA-F]{330}$/.test(hex) || /^[0-9a-fA-F]{460}$/.test(hex))
    return certificateKey(new Uint8Array(Buffer.from(hex, 'hex')), path);
  if (!/^[0-9a-fA-F]{130}$/.test(hex) || !/^04/.test(hex)) {
    throw new TxLogKeyError(
      `${path}: expected a ${what} certificate (165 bytes) or a 65-byte uncompressed P-256 public key in hex`,
    );
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** @deprecated use readPublicKeyFile */
export const readTerminalPublicKey = (path: string) => readPublicKeyFile(path, 'terminal');

function certificateKey(bytes: Uint8Array, path: string): Uint8Array {
  try {
    const cert = decodeCertificate(bytes);
    // A terminal signs its log with its certified key (QT, the key it also uses for ECDH with
    // cards, separate domains); a card signs with PK.card.
    return cert.type === 'terminal' ? cert.keyAgreementKey : cert.signingKey;
  } catch (err) {
    throw new TxLogKeyError(`${path}: not a Huduma certificate: ${(err as Error).message}`);
  }
}

function parseArgs(args: string[]): { positional: string[]; flags: Map<string, string | true> } {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') flags.set('json', true);
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      else {
        const value = args[i + 1];
        if (value === undefined) throw new UsageError(`${arg} needs a value`);
        flags.set(arg.slice(2), value);
        i++;
      }
    } else positional.push(arg);
  }
  return { positional, flags };
}

class UsageError extends Error {}

const cents = (value: number) =>
  `${value < 0 ? '-' : ''}${Math.floor(Math.abs(value) / 100)}.${String(Math.abs(value) % 100).padStart(2, '0')}`;

export function formatSummary(file: string, s: LogSummary): string {
  const lines = [
    `log ${file}: ${s.ok ? 'OK' : 'BAD'}`,
    `  records              ${s.records}`,
    `  by type              ${
      Object.entries(s.byType)
        .filter(([, n]) => n > 0)
        .map(([t, n]) => `${t}=${n}`)
        .join(' ') || '-'
    }`,
    `  checkpoints          ${s.checkpoints} (signatures ${s.checkpointSignatures}${s.terminalId ? `, terminal ${s.terminalId}` : ''})`,
    `  last checkpoint seq  ${s.lastCheckpointSeq ?? '-'}`,
    `  unsigned tail        ${s.unsignedTail} record(s) after the last checkpoint`,
    `  card proofs          ${s.cardProofs}`,
    `  sales                ${cents(s.totals.saleCents)} + recovered ${cents(s.totals.recoveredSaleCents)} - cancelled ${cents(s.totals.cancelCents)} = net ${cents(s.totals.netSalesCents)}`,
    `  reloads              ${cents(s.totals.reloadCents)}`,
    `  unresolved pending   ${s.unresolvedPendingDebits.length ? s.unresolvedPendingDebits.join(', ') : 'none'}`,
    `  head hash            ${s.headHash}`,
  ];
  if (s.tornTail) {
    lines.push(
      `  torn tail            ${s.tornTail.bytes} byte(s) at offset ${s.tornTail.offset} (${s.tornTail.reason}); never acknowledged`,
    );
  }
  if (s.firstError) {
    const e = s.firstError;
    lines.push(`  FIRST BAD RECORD     seq ${e.seq} at offset ${e.offset}: ${e.kind}: ${e.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

async function write(stream: CliStream, chunk: string): Promise<void> {
  if (stream.write(chunk) === false && typeof stream.once === 'function') {
    await new Promise<void>((resolve) => stream.once!('drain', resolve));
  }
}

/**
 * `log verify FILE [--terminal-cert CERT] [--json]` and `log export FILE --format json|csv`.
 * argv may start with "log" or directly with the subcommand. Exit code: 0 ok, 1 bad log, 2 usage.
 */
export async function runLogCli(argv: string[], io: CliIo): Promise<number> {
  const args = argv[0] === 'log' ? argv.slice(1) : argv;
  try {
    const { positional, flags } = parseArgs(args);
    const [command, file, ...extra] = positional;
    if (command === undefined || command === 'help' || flags.has('help')) {
      await write(command === undefined ? io.stderr : io.stdout, USAGE);
      return command === undefined ? 2 : 0;
    }
    if (!file || extra.length > 0) throw new UsageError(`log ${command} takes exactly one FILE`);
    if (command === 'verify') {
      for (const key of flags.keys()) {
        if (key !== 'terminal-cert' && key !== 'issuer-ca' && key !== 'json') {
          throw new UsageError(`unknown option --${key}`);
        }
      }
      const cert = flags.get('terminal-cert');
      const issuer = flags.get('issuer-ca');
      const terminalPublicKey = typeof cert === 'string' ? await readPublicKeyFile(cert) : undefined;
      const issuerCaPublicKeys =
        typeof issuer === 'string' ? [await readPublicKeyFile(issuer, 'issuer CA')] : [];
      // Card proofs are always checked: each proof-carrying record holds the card's certificate.
      const summary = await verifyLog(file, {
        terminalPublicKey,
        verifyCardProof: cardProofVerifier({ issuerCaPublicKeys }),
      });
      await write(
        io.stdout,
        flags.has('json') ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(file, summary),
      );
      return summary.ok ? 0 : 1;
    }
    if (command === 'export') {
      for (const key of flags.keys()) if (key !== 'format') throw new UsageError(`unknown option --${key}`);
      const format = flags.get('format');
      if (format !== 'json' && format !== 'csv') throw new UsageError('--format must be json or csv');
      for await (const line of exportLines(file, format as ExportFormat)) await write(io.stdout, line);
      return 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (err) {
    if (err instanceof UsageError) {
      await write(io.stderr, `log: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof TxLogError) {
      await write(io.stderr, `log: ${err.code}: ${err.message}\n`);
      return 1;
    }
    const code = (err as NodeJS.ErrnoException)?.code;
    await write(io.stderr, `log: ${code ? `${code}: ` : ''}${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}
