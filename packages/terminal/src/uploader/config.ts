import { join } from 'node:path';
import { TerminalConfigError } from '../errors';
import { readJsonIfExists, writeFileAtomic } from '../files';
import { serviceAddresses } from './client';

/** Where the terminal finds its clearing service: kept in `clearing.json` in the terminal directory. */
export interface ClearingConfig {
  /** e.g. `http://127.0.0.1:8080`; several service addresses separated by commas are tried in order. */
  baseUrl: string;
  /** The service key that signs deny lists and receipts: 65-byte uncompressed P-256 point, hex. */
  servicePublicKey: string;
}

export const CLEARING_FILE = 'clearing.json';

export async function readClearingConfig(terminalDir: string): Promise<ClearingConfig | undefined> {
  const file = await readJsonIfExists<ClearingConfig>(join(terminalDir, CLEARING_FILE));
  if (file) checkClearingConfig(file);
  return file;
}

export async function writeClearingConfig(terminalDir: string, config: ClearingConfig): Promise<void> {
  checkClearingConfig(config);
  await writeFileAtomic(join(terminalDir, CLEARING_FILE), `${JSON.stringify(config, null, 1)}\n`);
}

export function servicePublicKeyBytes(config: ClearingConfig): Uint8Array {
  return new Uint8Array(Buffer.from(config.servicePublicKey, 'hex'));
}

function checkClearingConfig(c: ClearingConfig): void {
  const addresses = typeof c.baseUrl === 'string' ? serviceAddresses(c.baseUrl) : [];
  if (addresses.length === 0 || !addresses.every((u) => /^https?:\/\/[^\s,]+$/.test(u)))
    throw new TerminalConfigError(
      `${CLEARING_FILE}: baseUrl ${JSON.stringify(c.baseUrl)} is not an http(s) URL (or a comma-separated list of them)`,
    );
  if (!/^04[0-9a-fA-F]{128}$/.test(c.servicePublicKey ?? ''))
    throw new TerminalConfigError(
      `${CLEARING_FILE}: servicePublicKey must be a 65-byte uncompressed P-256 point in hex (04…)`,
    );
}
