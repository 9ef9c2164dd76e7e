import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCertificate, fromHex, type TerminalCertificate, toHex } from '@huduma/card-applet-spec';
import { privateKeyFromJwk } from '@huduma/pki';
import { MAX_BATCH_RECORDS } from '@huduma/txlog';
import { TerminalConfigError } from './errors';
import { readJsonIfExists } from './files';

/** Where the terminal stands: a Huduma Centre counter (sales, cancels, reloads) or a partner merchant. */
export interface TerminalLocation {
  kind: 'huduma-centre' | 'partner-merchant';
  name: string;
}

/** Terminal-side offline risk limits. The card's own cumulative offline limit lives on the card. */
export interface TerminalLimits {
  /** Largest single sale accepted offline, cents. */
  perSaleOfflineLimitCents: number;
  /** Sales above this amount need the cardholder PIN (the card may ask for it below this too). */
  cvmLimitCents: number;
  /** Longest time since the last successful sync before offline sales stop, ms. */
  maxOfflineMs: number;
  /** Most log records not yet uploaded before offline sales stop. */
  maxUnsyncedRecords: number;
}

export const DEFAULT_LIMITS: TerminalLimits = {
  perSaleOfflineLimitCents: 1_000_000,
  cvmLimitCents: 200_000,
  maxOfflineMs: 72 * 3600_000,
  maxUnsyncedRecords: 5_000,
};

/** terminal.json: what `initTerminal` writes. Keys and certificates are in their own files. */
export interface TerminalConfigFile {
  version: 1;
  terminalId: string;
  merchantId: string;
  location: TerminalLocation;
  limits: TerminalLimits;
  /** Issuer CA public keys (hex) the terminal trusts for card certificates. */
  issuerCaPublicKeys: string[];
  createdAt: number;
}

export const FILES = {
  config: 'terminal.json',
  key: 'terminal.key',
  certificate: 'terminal.cert',
  log: 'transactions.hlog',
  intents: 'intents.jsonl',
  sync: 'sync.json',
  denyList: 'deny-list.json',
  declines: 'declines.jsonl',
  /** Disk space set aside so a charged sale can always be recorded (storage.ts). */
  reserve: 'storage.reserve',
} as const;

/** Everything the engine needs from the terminal directory. */
export interface TerminalConfig {
  dir: string;
  terminalId: string;
  merchantId: string;
  location: TerminalLocation;
  limits: TerminalLimits;
  issuerCaPublicKeys: Uint8Array[];
  certificateBytes: Uint8Array;
  certificate: TerminalCertificate;
  privateKey: Uint8Array;
}

/**
 * Highest accepted `maxUnsyncedRecords`: the whole unsynced backlog, plus the checkpoint that
 * closes it, fits in one upload batch. (The uploader seals batches anyway; the cap keeps a
 * terminal from running far past what the service takes at once.)
 */
export const MAX_UNSYNCED_RECORDS_LIMIT = MAX_BATCH_RECORDS - 1;

/**
 * Validates limits (TerminalConfigError naming the field). `loaded`: read from an existing
 * terminal.json, where an over-cap maxUnsyncedRecords written by an older version is capped
 * instead of refused, so the terminal still opens and syncs its backlog.
 */
export function checkLimits(limits: TerminalLimits, options: { loaded?: boolean } = {}): TerminalLimits {
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new TerminalConfigError(`limit ${k} must be a non-negative integer, got ${v}`, { field: k });
  }
  if (limits.maxUnsyncedRecords > MAX_UNSYNCED_RECORDS_LIMIT) {
    if (options.loaded) return { ...limits, maxUnsyncedRecords: MAX_UNSYNCED_RECORDS_LIMIT };
    throw new TerminalConfigError(
      `limit maxUnsyncedRecords must be at most ${MAX_UNSYNCED_RECORDS_LIMIT} (one upload batch), got ${limits.maxUnsyncedRecords}`,
      { field: 'maxUnsyncedRecords' },
    );
  }
  return { ...limits };
}

/** Loads a provisioned terminal directory. */
export async function loadTerminalConfig(dir: string): Promise<TerminalConfig> {
  const file = await readJsonIfExists<TerminalConfigFile>(join(dir, FILES.config));
  if (!file)
    throw new TerminalConfigError(
      `${dir} is not a provisioned terminal (no ${FILES.config}): run initTerminal`,
    );
  if (file.version !== 1)
    throw new TerminalConfigError(`${FILES.config} has unknown version ${file.version}`);
  let certificateBytes: Uint8Array;
  let privateKey: Uint8Array;
  try {
    certificateBytes = new Uint8Array(await readFile(join(dir, FILES.certificate)));
    privateKey = privateKeyFromJwk(
      JSON.parse(await readFile(join(dir, FILES.key), 'utf8')),
      join(dir, FILES.key),
    );
  } catch (err) {
    throw new TerminalConfigError(
      `cannot read the terminal key or certificate in ${dir}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const certificate = decodeCertificate(certificateBytes);
  if (certificate.type !== 'terminal')
    throw new TerminalConfigError(`${FILES.certificate} is not a terminal certificate`);
  if (certificate.terminalId !== file.terminalId)
    throw new TerminalConfigError(
      `${FILES.certificate} is for terminal ${certificate.terminalId}, config says ${file.terminalId}`,
    );
  return {
    dir,
    terminalId: file.terminalId,
    merchantId: file.merchantId,
    location: file.location,
    limits: checkLimits(file.limits, { loaded: true }),
    issuerCaPublicKeys: file.issuerCaPublicKeys.map((h) => fromHex(h)),
    certificateBytes,
    certificate,
    privateKey,
  };
}

export function hexKeys(keys: Uint8Array[]): string[] {
  return keys.map((k) => toHex(k));
}
