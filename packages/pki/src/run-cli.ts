import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type Certificate,
  decodeCertificate,
  formatCardNumber,
  fromHex,
  Size,
  toHex,
  verifyCertificateBytes,
} from '@huduma/card-applet-spec';
import { type CliIo, command, defineCli, runCli } from '@huduma/cli-kit';
import packageJson from '../package.json' with { type: 'json' };
import { capabilityNames, DevPki, parseCapabilities, readPkiManifest } from './dev-pki';

export type { CliIo };

const iso = (s: number) => new Date(s * 1000).toISOString();

/** Human-readable lines describing a certificate (public data only). */
export function describeCertificate(cert: Certificate): string[] {
  const lines = [`type:          ${cert.type}`];
  if (cert.type === 'card') lines.push(`card number:   ${formatCardNumber(cert.cardNumber)}`);
  else {
    lines.push(`terminal id:   ${cert.terminalId}`, `merchant id:   ${cert.merchantId}`);
    lines.push(
      `capabilities:  ${capabilityNames(cert.capabilities).join(', ') || '(none)'} (0x${cert.capabilities.toString(16).padStart(4, '0')})`,
    );
  }
  lines.push(
    `issuer key id: ${toHex(cert.issuerKeyId)}`,
    `not before:    ${iso(cert.notBefore)}`,
    `not after:     ${iso(cert.notAfter)}`,
  );
  if (cert.type === 'card') {
    lines.push(`signing key:   ${toHex(cert.signingKey)}`, `key agreement: ${toHex(cert.keyAgreementKey)}`);
  } else {
    lines.push(`key agreement: ${toHex(cert.keyAgreementKey)}`);
  }
  return lines;
}

function readCertFile(file: string): Uint8Array {
  const raw = new Uint8Array(fs.readFileSync(file));
  if (raw.length === Size.CARD_CERTIFICATE || raw.length === Size.TERMINAL_CERTIFICATE) return raw;
  return fromHex(new TextDecoder().decode(raw).trim());
}

const days = {
  type: 'integer',
  value: 'N',
  description: 'validity in days (default: the PKI default)',
  min: 1,
  max: 36_500,
} as const;

const notAfter = (notBefore: number, d: number | undefined) =>
  d === undefined ? {} : { notAfter: notBefore + d * 86_400 };

const print = (io: CliIo, line = '') => io.stdout.write(`${line}\n`);

const initCommand = command({
  name: 'init',
  summary: 'create issuer CA, acquirer CA and load authority keys in DIR',
  args: ['DIR'],
  run({ positionals, io }) {
    const dir = positionals[0]!;
    const pki = DevPki.init(dir);
    print(io, `created development PKI in ${path.resolve(dir)}`);
    print(io, `issuer CA       key id ${toHex(pki.issuerCa.keyId)}  (signs card certificates)`);
    print(io, `acquirer CA     key id ${toHex(pki.acquirerCa.keyId)}  (signs terminal certificates)`);
    print(io, `load authority  key id ${toHex(pki.loadAuthority.keyId)}  (signs load authorizations)`);
    print(io, 'private keys: *.key (JWK, mode 0600)');
    return 0;
  },
});

const issueTerminalCommand = command({
  name: 'issue-terminal',
  summary: 'issue a terminal key (DIR/terminals/T.key, 0600) and certificate (T.cert)',
  args: ['DIR'],
  options: {
    id: { type: 'string', value: 'T', description: 'terminal id', required: true },
    merchant: { type: 'string', value: 'M', description: 'merchant id', required: true },
    caps: {
      type: 'string',
      value: 'LIST',
      description: 'capabilities: debit,undebit,reload,identity-read,block,unblock-pin',
      required: true,
    },
    days,
  },
  async run({ positionals, values, io, need }) {
    const dir = positionals[0]!;
    const id = need('id');
    const merchantId = need('merchant');
    const capabilities = parseCapabilities(need('caps'));
    const pki = DevPki.open(dir);
    const notBefore = Math.floor(Date.now() / 1000);
    const issued = await pki.issueTerminal({
      terminalId: id,
      merchantId,
      capabilities,
      notBefore,
      ...notAfter(notBefore, values.days),
    });
    print(io, `issued terminal ${id}`);
    for (const l of describeCertificate(decodeCertificate(issued.certificate))) print(io, `  ${l}`);
    print(io, `certificate: ${path.join(dir, 'terminals', `${id}.cert`)}`);
    print(io, `private key: ${path.join(dir, 'terminals', `${id}.key`)} (mode 0600)`);
    return 0;
  },
});

const issueCardCommand = command({
  name: 'issue-card',
  summary: "sign a card certificate for a card's public key (DIR/cards/N.cert)",
  args: ['DIR'],
  options: {
    'card-number': { type: 'string', value: 'N', description: 'the 16-digit card number', required: true },
    'signing-key': {
      type: 'string',
      value: 'HEX',
      description: "the card's signing public key",
      required: true,
    },
    'key-agreement-key': {
      type: 'string',
      value: 'HEX',
      description: "the card's key agreement public key",
      required: true,
    },
    days,
  },
  async run({ positionals, values, io, need }) {
    const dir = positionals[0]!;
    const cardNumber = need('card-number');
    const signingKey = fromHex(need('signing-key'));
    const keyAgreementKey = fromHex(need('key-agreement-key'));
    const pki = DevPki.open(dir);
    const notBefore = Math.floor(Date.now() / 1000);
    const cert = await pki.issueCardCertificate({
      cardNumber,
      signingKey,
      keyAgreementKey,
      notBefore,
      ...notAfter(notBefore, values.days),
    });
    print(io, `issued card certificate ${path.join(dir, 'cards', `${cardNumber}.cert`)}`);
    for (const l of describeCertificate(decodeCertificate(cert))) print(io, `  ${l}`);
    return 0;
  },
});

const showCommand = command({
  name: 'show',
  summary: 'print a certificate (raw 165 bytes or hex); with --pki, verify it',
  args: ['CERTFILE'],
  options: { pki: { type: 'string', value: 'DIR', description: 'verify against the CA keys of this PKI' } },
  run({ positionals, values, io }) {
    const bytes = readCertFile(positionals[0]!);
    const cert = decodeCertificate(bytes);
    for (const l of describeCertificate(cert)) print(io, l);
    const pkiDir = values.pki;
    if (pkiDir === undefined) return 0;
    const m = readPkiManifest(pkiDir);
    const ca = cert.type === 'card' ? m.issuerCa : m.acquirerCa;
    const ok = verifyCertificateBytes(bytes, ca.publicKey) !== undefined;
    print(
      io,
      `signature:     ${ok ? 'valid' : 'INVALID'} (${cert.type === 'card' ? 'issuer' : 'acquirer'} CA)`,
    );
    return ok ? 0 : 1;
  },
});

/** `huduma pki …` / `huduma-pki …`: the development PKI. Private keys are written 0600, never printed. */
export const pkiCommand = command({
  name: 'pki',
  summary: 'the development PKI: CA keys, terminal and card certificates',
  commands: [initCommand, issueTerminalCommand, issueCardCommand, showCommand],
  details: 'Private keys are written to files with mode 0600 and never printed.',
});

/** The `huduma-pki` CLI. */
export const pkiCli = defineCli({ ...pkiCommand, name: 'huduma-pki', version: packageJson.version });

/** Runs the PKI CLI; returns the exit code. `huduma pki ...` calls this with the arguments after "pki". */
export async function runPkiCli(argv: string[], io: CliIo = process): Promise<number> {
  return runCli(pkiCli, argv, io);
}
