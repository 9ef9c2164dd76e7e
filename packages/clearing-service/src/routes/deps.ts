/**
 * What every route plugin needs. Routes for people admit principals through
 * `requirePrincipal(deps.authenticators, kinds)` (http/principal.ts); terminal-signed routes use
 * the one header-authenticated mechanism of http/terminal-request.ts (`deps.terminalRequest`):
 * its hooks authenticate before any body byte is read and check the body against the signature.
 */
import type { Db } from '../db/types';
import type { Authenticator } from '../http/principal';
import type { TerminalRequestGuard } from '../http/terminal-request';
import type { IngestContext } from '../ingest';
import type { LoadAuthoritySigner } from '../loads';
import type { Signer } from '../signer';
import type { StorageProbe } from '../storage-probe';

export interface RouteDeps {
  db: Db;
  signer: Signer;
  /** Operator, auditor and merchant credentials, tried in order (http/principal.ts). */
  authenticators: readonly Authenticator[];
  topupCallbackToken: string | undefined;
  /** Undefined when no trust anchors are configured: uploads answer 503. */
  ingest: IngestContext | undefined;
  /** Hooks of every terminal-signed route (http/terminal-request.ts): `...deps.terminalRequest({ … })`. */
  terminalRequest: TerminalRequestGuard;
  loadAuthority: LoadAuthoritySigner | undefined;
  storage: StorageProbe;
  now: () => number;
}

/** Lower-case hex for JSON answers: OpenSSL-side in one allocation (an upload receipt is ~10 KB). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
