import { readFile } from 'node:fs/promises';
import { decodeCertificate, Size } from '@huduma/card-applet-spec';
import { type CliIo, type CliStream, command, runCli, write } from '@huduma/cli-kit';
import packageJson from '../package.json' with { type: 'json' };
import { cardProofVerifier } from './card-proof';
import { TxLogKeyError } from './errors';
import { type ExportFormat, exportLines } from './export';
import { type LogSummary, verifyLog } from './verify';

export type { CliIo, CliStream };

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

const verifyCommand = command({
  name: 'verify',
  summary: 'check every frame, hash link, checkpoint signature and card proof of a log',
  args: ['FILE'],
  options: {
    'terminal-cert': {
      type: 'string',
      value: 'CERT',
      description: "the terminal's certificate (or its public key): checkpoint signatures are verified",
    },
    'issuer-ca': {
      type: 'string',
      value: 'KEY',
      description: 'the issuer CA public key card certificates must chain to',
    },
    json: { type: 'boolean', description: 'print the summary as JSON' },
  },
  details: `CERT: the terminal certificate (165 bytes, or its hex: its certified key QT signs the log), or the
      terminal's 65-byte P-256 public key as hex or JSON {"publicKey": "<hex>"}.
KEY:  the issuer CA public key (hex, or JSON {"publicKey": "<hex>"}): card certificates must
      chain to it. Card proofs are always verified against each record's card certificate.
Exit 0 the log is good, 1 it is not (the first bad record is named).`,
  async run({ values, positionals, io }) {
    const file = positionals[0]!;
    const cert = values['terminal-cert'];
    const issuer = values['issuer-ca'];
    const terminalPublicKey = cert === undefined ? undefined : await readPublicKeyFile(cert);
    const issuerCaPublicKeys = issuer === undefined ? [] : [await readPublicKeyFile(issuer, 'issuer CA')];
    // Card proofs are always checked: each proof-carrying record holds the card's certificate.
    const summary = await verifyLog(file, {
      terminalPublicKey,
      verifyCardProof: cardProofVerifier({ issuerCaPublicKeys }),
    });
    await write(
      io.stdout,
      values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(file, summary),
    );
    return summary.ok ? 0 : 1;
  },
});

const exportCommand = command({
  name: 'export',
  summary: 'write every record of a log as JSON or CSV to stdout',
  args: ['FILE'],
  options: {
    format: { type: 'string', value: 'json|csv', description: 'output format', required: true },
  },
  async run({ positionals, io, need, usageError }) {
    const format = need('format');
    if (format !== 'json' && format !== 'csv') throw usageError('--format must be json or csv');
    for await (const line of exportLines(positionals[0]!, format as ExportFormat))
      await write(io.stdout, line);
    return 0;
  },
});

/** `log verify …` and `log export …`: the `huduma log` command group. */
export const logCommand = command({
  name: 'log',
  summary: "a terminal's transaction log: verify it, export it",
  commands: [verifyCommand, exportCommand],
});

/**
 * `log verify FILE [--terminal-cert CERT] [--json]` and `log export FILE --format json|csv`, as a
 * CLI of its own (the `huduma` command mounts `logCommand`). argv may start with "log" or
 * directly with the subcommand. Exit code: 0 ok, 1 bad log or failure, 2 usage.
 */
export async function runLogCli(argv: string[], io: CliIo): Promise<number> {
  const args = argv[0] === 'log' ? argv.slice(1) : argv;
  return runCli({ ...logCommand, version: packageJson.version }, args, io);
}
