import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Capability,
  type CapabilityName,
  decodeCertificate,
  isValidEntityId,
  publicKeyOf,
} from '@huduma/card-applet-spec';
import type { DevPki } from '@huduma/pki';
import { privateKeyToJwk } from '@huduma/pki';
import { TransactionLog } from '@huduma/txlog';
import {
  checkLimits,
  DEFAULT_LIMITS,
  FILES,
  hexKeys,
  loadTerminalConfig,
  type TerminalConfig,
  type TerminalConfigFile,
  type TerminalLimits,
  type TerminalLocation,
} from './config';
import { TerminalConfigError } from './errors';
import { writeFileAtomic } from './files';
import { SyncState } from './sync-state';

export interface InitTerminalOptions {
  /** Directory for the terminal's key, certificate, config and log (created if missing). */
  dir: string;
  terminalId: string;
  merchantId: string;
  location: TerminalLocation;
  limits?: Partial<TerminalLimits>;
  /** Development PKI that issues the terminal its key and certificate. */
  pki?: DevPki;
  /**
   * Or: a certificate issued elsewhere, with the private key it certifies (e.g. generated on
   * the terminal and certified by the acquirer), plus the issuer CA keys for card certificates.
   */
  importCert?: { certificate: Uint8Array; privateKey: Uint8Array; issuerCaPublicKeys: Uint8Array[] };
  /** Capabilities requested from the dev PKI. Default: DEBIT, UNDEBIT, BLOCK, and RELOAD at a Huduma Centre. */
  capabilities?: CapabilityName[];
  /** Time of provisioning (ms); the terminal counts as synced at this moment. */
  now?: number;
}

/**
 * Provisions a terminal directory: key (mode 0600), certificate, config, an empty transaction
 * log and the sync state. Refuses a directory that already holds a terminal.
 */
export async function initTerminal(options: InitTerminalOptions): Promise<TerminalConfig> {
  const { dir, terminalId, merchantId, location } = options;
  const now = options.now ?? Date.now();
  if (!isValidEntityId(terminalId))
    throw new TerminalConfigError(`terminal id "${terminalId}" must be 1-8 of A-Z 0-9 -`);
  if (!isValidEntityId(merchantId))
    throw new TerminalConfigError(`merchant id "${merchantId}" must be 1-8 of A-Z 0-9 -`);
  if (location.kind !== 'huduma-centre' && location.kind !== 'partner-merchant')
    throw new TerminalConfigError(
      `location kind must be huduma-centre or partner-merchant, got ${location.kind}`,
    );
  if (!location.name.trim()) throw new TerminalConfigError('location name is empty');
  const limits = checkLimits({ ...DEFAULT_LIMITS, ...options.limits });
  await mkdir(dir, { recursive: true });
  if (await exists(join(dir, FILES.config))) throw new TerminalConfigError(`${dir} already holds a terminal`);

  let certificate: Uint8Array;
  let privateKey: Uint8Array;
  let issuerCaPublicKeys: Uint8Array[];
  if (options.pki) {
    const capabilities =
      options.capabilities ??
      (location.kind === 'huduma-centre'
        ? (['DEBIT', 'UNDEBIT', 'RELOAD', 'BLOCK'] as CapabilityName[])
        : (['DEBIT', 'UNDEBIT', 'BLOCK'] as CapabilityName[]));
    const issued = await options.pki.issueTerminal({ terminalId, merchantId, capabilities });
    certificate = issued.certificate;
    privateKey = issued.privateKey;
    issuerCaPublicKeys = [options.pki.issuerCaPublicKey];
  } else if (options.importCert) {
    ({ certificate, privateKey, issuerCaPublicKeys } = options.importCert);
  } else {
    throw new TerminalConfigError('initTerminal needs { pki } or { importCert }');
  }
  const cert = decodeCertificate(certificate);
  if (cert.type !== 'terminal')
    throw new TerminalConfigError('the certificate is not a terminal certificate');
  if (cert.terminalId !== terminalId || cert.merchantId !== merchantId)
    throw new TerminalConfigError(
      `the certificate is for terminal ${cert.terminalId} of merchant ${cert.merchantId}, not ${terminalId}/${merchantId}`,
    );
  const pub = publicKeyOf(privateKey);
  // v2: the certificate certifies the terminal's key-agreement key QT (ECDH with cards); the
  // terminal also signs its log and its clearing requests with it (separate domains).
  const certified = cert.keyAgreementKey;
  if (pub.length !== certified.length || pub.some((b, i) => b !== certified[i]))
    throw new TerminalConfigError('the certificate does not certify this private key');
  if ((cert.capabilities & Capability.DEBIT) === 0)
    throw new TerminalConfigError('the terminal certificate does not grant DEBIT');

  const keyFile = join(dir, FILES.key);
  await writeFile(keyFile, `${JSON.stringify(privateKeyToJwk(privateKey))}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  await chmod(keyFile, 0o600);
  await writeFileAtomic(join(dir, FILES.certificate), certificate);
  const log = await TransactionLog.open(join(dir, FILES.log), { create: true });
  await log.close();
  await SyncState.create(join(dir, FILES.sync), now);
  const file: TerminalConfigFile = {
    version: 1,
    terminalId,
    merchantId,
    location: { kind: location.kind, name: location.name.trim() },
    limits,
    issuerCaPublicKeys: hexKeys(issuerCaPublicKeys),
    createdAt: now,
  };
  // Config last: its presence means "provisioned".
  await writeFileAtomic(join(dir, FILES.config), `${JSON.stringify(file, null, 2)}\n`);
  return loadTerminalConfig(dir);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
