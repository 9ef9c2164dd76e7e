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
import { capabilityNames, DevPki, parseCapabilities, readPkiManifest } from './dev-pki';
import { PkiError } from './errors';

/** Where the CLI writes; `process` fits. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const USAGE = `usage: huduma-pki <command>
  init DIR                               create issuer CA, acquirer CA and load authority keys in DIR
  issue-terminal DIR --id T --merchant M --caps debit,undebit,reload,identity-read,block,unblock-pin [--days N]
                                         issue a terminal key (DIR/terminals/T.key, 0600) and certificate (T.cert)
  issue-card DIR --card-number N --signing-key HEX --key-agreement-key HEX [--days N]
                                         sign a card certificate for a card's public key (DIR/cards/N.cert)
  show CERTFILE [--pki DIR]              print a certificate (raw 165 bytes or hex); with --pki, verify it
Private keys are written to files with mode 0600 and never printed.`;

function parseFlags(args: string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else {
        const v = args[i + 1];
        if (v === undefined || v.startsWith('--')) throw new PkiError('ERR_PKI_USAGE', `${a} needs a value`);
        flags.set(a.slice(2), v);
        i++;
      }
    } else positional.push(a);
  }
  return { positional, flags };
}

function need(flags: Map<string, string>, name: string): string {
  const v = flags.get(name);
  if (v === undefined) throw new PkiError('ERR_PKI_USAGE', `--${name} is required`);
  return v;
}

function days(flags: Map<string, string>): number | undefined {
  const v = flags.get('days');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new PkiError('ERR_PKI_USAGE', `--days must be a positive integer, got ${v}`);
  return n;
}

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

/** Runs the PKI CLI; returns the exit code. `huduma pki ...` calls this with the arguments after "pki". */
export async function runPkiCli(argv: string[], io: CliIo = process): Promise<number> {
  const [command, ...rest] = argv;
  const print = (line = '') => io.stdout.write(`${line}\n`);
  try {
    const { positional, flags } = parseFlags(rest);
    switch (command) {
      case 'init': {
        const dir = positional[0];
        if (!dir) throw new PkiError('ERR_PKI_USAGE', 'init needs a directory');
        const pki = DevPki.init(dir);
        print(`created development PKI in ${path.resolve(dir)}`);
        print(`issuer CA       key id ${toHex(pki.issuerCa.keyId)}  (signs card certificates)`);
        print(`acquirer CA     key id ${toHex(pki.acquirerCa.keyId)}  (signs terminal certificates)`);
        print(`load authority  key id ${toHex(pki.loadAuthority.keyId)}  (signs load authorizations)`);
        print('private keys: *.key (JWK, mode 0600)');
        return 0;
      }
      case 'issue-terminal': {
        const dir = positional[0];
        if (!dir) throw new PkiError('ERR_PKI_USAGE', 'issue-terminal needs the PKI directory');
        const pki = DevPki.open(dir);
        const id = need(flags, 'id');
        const d = days(flags);
        const notBefore = Math.floor(Date.now() / 1000);
        const issued = await pki.issueTerminal({
          terminalId: id,
          merchantId: need(flags, 'merchant'),
          capabilities: parseCapabilities(need(flags, 'caps')),
          notBefore,
          ...(d === undefined ? {} : { notAfter: notBefore + d * 86_400 }),
        });
        print(`issued terminal ${id}`);
        for (const l of describeCertificate(decodeCertificate(issued.certificate))) print(`  ${l}`);
        print(`certificate: ${path.join(dir, 'terminals', `${id}.cert`)}`);
        print(`private key: ${path.join(dir, 'terminals', `${id}.key`)} (mode 0600)`);
        return 0;
      }
      case 'issue-card': {
        const dir = positional[0];
        if (!dir) throw new PkiError('ERR_PKI_USAGE', 'issue-card needs the PKI directory');
        const pki = DevPki.open(dir);
        const cardNumber = need(flags, 'card-number');
        const d = days(flags);
        const notBefore = Math.floor(Date.now() / 1000);
        const cert = await pki.issueCardCertificate({
          cardNumber,
          signingKey: fromHex(need(flags, 'signing-key')),
          keyAgreementKey: fromHex(need(flags, 'key-agreement-key')),
          notBefore,
          ...(d === undefined ? {} : { notAfter: notBefore + d * 86_400 }),
        });
        print(`issued card certificate ${path.join(dir, 'cards', `${cardNumber}.cert`)}`);
        for (const l of describeCertificate(decodeCertificate(cert))) print(`  ${l}`);
        return 0;
      }
      case 'show': {
        const file = positional[0];
        if (!file) throw new PkiError('ERR_PKI_USAGE', 'show needs a certificate file');
        const bytes = readCertFile(file);
        const cert = decodeCertificate(bytes);
        for (const l of describeCertificate(cert)) print(l);
        const pkiDir = flags.get('pki');
        if (pkiDir !== undefined) {
          const m = readPkiManifest(pkiDir);
          const ca = cert.type === 'card' ? m.issuerCa : m.acquirerCa;
          const ok = verifyCertificateBytes(bytes, ca.publicKey) !== undefined;
          print(
            `signature:     ${ok ? 'valid' : 'INVALID'} (${cert.type === 'card' ? 'issuer' : 'acquirer'} CA)`,
          );
          return ok ? 0 : 1;
        }
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
        print(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new PkiError('ERR_PKI_USAGE', `unknown command "${command}"`);
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    io.stderr.write(`huduma-pki: ${e.message}\n`);
    if (e.code === 'ERR_PKI_USAGE') io.stderr.write(`${USAGE}\n`);
    return e.code === 'ERR_PKI_USAGE' ? 2 : 1;
  }
}
