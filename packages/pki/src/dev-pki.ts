import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Capability,
  type CapabilityName,
  certificateSigningMessage,
  concatBytes,
  encodeCertificateBody,
  encodeLoadAuthorizationBody,
  fromHex,
  generatePrivateKey,
  KeyUsage,
  type LoadAuthorization,
  loadAuthorizationSigningMessage,
  publicKeyOf,
  toHex,
  type UnsignedCertificate,
} from '@huduma/card-applet-spec';
import { PkiError } from './errors';
import { privateKeyFromJwk, privateKeyToJwk } from './key-file';
import { type Signer, softwareSigner } from './signer';

const DAY = 86_400;
export const DEFAULT_TERMINAL_VALIDITY_DAYS = 730;
export const DEFAULT_CARD_VALIDITY_DAYS = 1826;

/** The three roles of the development PKI and their key files inside the PKI directory. */
const ROLES = {
  issuerCa: 'issuer-ca.key',
  acquirerCa: 'acquirer-ca.key',
  loadAuthority: 'load-authority.key',
} as const;
type Role = keyof typeof ROLES;

export const PKI_MANIFEST = 'pki.json';

/** Parses "debit,undebit,identity-read" (or a number) into a capability bit mask. */
export function parseCapabilities(caps: readonly (CapabilityName | string)[] | number | string): number {
  if (typeof caps === 'number') {
    if (!Number.isInteger(caps) || caps < 0 || caps > 0xffff)
      throw new PkiError('ERR_PKI_CAPABILITY', `capability mask out of range: ${caps}`);
    return caps;
  }
  const names = typeof caps === 'string' ? caps.split(',').filter((s) => s.trim() !== '') : caps;
  let mask = 0;
  for (const raw of names) {
    const name = raw.trim().toUpperCase().replace(/-/g, '_') as CapabilityName;
    const bit = Capability[name];
    if (bit === undefined) {
      throw new PkiError(
        'ERR_PKI_CAPABILITY',
        `unknown capability "${raw}" (known: ${Object.keys(Capability)
          .map((k) => k.toLowerCase().replace(/_/g, '-'))
          .join(', ')})`,
      );
    }
    mask |= bit;
  }
  return mask;
}

/** Names of the capability bits set in a mask, e.g. ['DEBIT', 'UNDEBIT']. */
export function capabilityNames(mask: number): CapabilityName[] {
  return (Object.keys(Capability) as CapabilityName[]).filter((k) => (mask & Capability[k]) !== 0);
}

export interface IssuedTerminal {
  certificate: Uint8Array;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface TrustedKeyEntry {
  usage: number;
  publicKey: Uint8Array;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function writePrivate(file: string, content: string): void {
  // 'wx' refuses to overwrite a key; mode applies at creation, chmod covers a restrictive umask race.
  fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(file, 0o600);
}

/**
 * The development PKI: an issuer CA (signs card certificates), an acquirer CA (signs terminal
 * certificates) and the load authority (signs load authorizations; run by the clearing
 * service). File-backed (`init`/`open`) or in memory (`inMemory`) for tests.
 *
 * Directory layout: `pki.json` (public keys and key ids), `issuer-ca.key`, `acquirer-ca.key`,
 * `load-authority.key` (private JWK, mode 0600), `terminals/<id>.key` (0600) and `.cert`
 * (165 raw bytes), `cards/<number>.cert`.
 */
export class DevPki {
  private constructor(
    readonly issuerCa: Signer,
    readonly acquirerCa: Signer,
    readonly loadAuthority: Signer,
    /** Directory of a file-backed PKI; undefined in memory. */
    readonly dir: string | undefined,
  ) {}

  static inMemory(): DevPki {
    return new DevPki(
      softwareSigner(generatePrivateKey()),
      softwareSigner(generatePrivateKey()),
      softwareSigner(generatePrivateKey()),
      undefined,
    );
  }

  /** Creates a new PKI in `dir` (created if missing); refuses a directory that already holds one. */
  static init(dir: string): DevPki {
    fs.mkdirSync(dir, { recursive: true });
    if (fs.existsSync(path.join(dir, PKI_MANIFEST))) {
      throw new PkiError('ERR_PKI_EXISTS', `${dir} already holds a PKI (${PKI_MANIFEST} exists)`);
    }
    const keys = {} as Record<Role, Uint8Array>;
    const manifest: Record<string, unknown> = { version: 1, createdAt: new Date().toISOString() };
    for (const role of Object.keys(ROLES) as Role[]) {
      const key = generatePrivateKey();
      const pub = publicKeyOf(key);
      const signer = softwareSigner(key);
      writePrivate(path.join(dir, ROLES[role]), `${JSON.stringify(privateKeyToJwk(key, signer.keyId))}\n`);
      keys[role] = key;
      manifest[role] = { keyId: toHex(signer.keyId), publicKey: toHex(pub), keyFile: ROLES[role] };
    }
    fs.mkdirSync(path.join(dir, 'terminals'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'cards'), { recursive: true });
    fs.writeFileSync(path.join(dir, PKI_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    return new DevPki(
      softwareSigner(keys.issuerCa),
      softwareSigner(keys.acquirerCa),
      softwareSigner(keys.loadAuthority),
      dir,
    );
  }

  static open(dir: string): DevPki {
    if (!fs.existsSync(path.join(dir, PKI_MANIFEST))) {
      throw new PkiError('ERR_PKI_NOT_FOUND', `${dir} holds no PKI (no ${PKI_MANIFEST}); run "init" first`);
    }
    const load = (role: Role): Signer => {
      const file = path.join(dir, ROLES[role]);
      let json: unknown;
      try {
        json = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw new PkiError('ERR_PKI_KEY_FILE', `cannot read ${file}: ${(err as Error).message}`);
      }
      return softwareSigner(privateKeyFromJwk(json, file));
    };
    return new DevPki(load('issuerCa'), load('acquirerCa'), load('loadAuthority'), dir);
  }

  get issuerCaPublicKey(): Uint8Array {
    return this.issuerCa.publicKey;
  }
  get acquirerCaPublicKey(): Uint8Array {
    return this.acquirerCa.publicKey;
  }
  get loadAuthorityPublicKey(): Uint8Array {
    return this.loadAuthority.publicKey;
  }

  /** The keys a card must trust: the acquirer CA (TERMINAL_CA) and the load authority (LOAD_AUTHORITY). */
  trustedKeysForCard(): TrustedKeyEntry[] {
    return [
      { usage: KeyUsage.TERMINAL_CA, publicKey: this.acquirerCa.publicKey },
      { usage: KeyUsage.LOAD_AUTHORITY, publicKey: this.loadAuthority.publicKey },
    ];
  }

  /** Issues a terminal key pair and its certificate (signed by the acquirer CA). */
  async issueTerminal(args: {
    terminalId: string;
    merchantId: string;
    capabilities: readonly CapabilityName[] | number;
    notBefore?: number;
    notAfter?: number;
  }): Promise<IssuedTerminal> {
    const privateKey = generatePrivateKey();
    const publicKey = publicKeyOf(privateKey);
    const notBefore = args.notBefore ?? nowSeconds();
    const certificate = await signWith(this.acquirerCa, {
      type: 'terminal',
      issuerKeyId: this.acquirerCa.keyId,
      terminalId: args.terminalId,
      merchantId: args.merchantId,
      capabilities: parseCapabilities(args.capabilities),
      notBefore,
      notAfter: args.notAfter ?? notBefore + DEFAULT_TERMINAL_VALIDITY_DAYS * DAY,
      publicKey,
    });
    if (this.dir !== undefined) {
      const base = path.join(this.dir, 'terminals', args.terminalId);
      fs.mkdirSync(path.dirname(base), { recursive: true });
      writePrivate(
        `${base}.key`,
        `${JSON.stringify(privateKeyToJwk(privateKey, certificate.subarray(2, 10)))}\n`,
      );
      fs.writeFileSync(`${base}.cert`, certificate);
    }
    return { certificate, privateKey, publicKey };
  }

  /** Reads back a terminal issued by a file-backed PKI. */
  loadTerminal(terminalId: string): IssuedTerminal {
    if (this.dir === undefined)
      throw new PkiError('ERR_PKI_IN_MEMORY', 'an in-memory PKI stores no terminals');
    const base = path.join(this.dir, 'terminals', terminalId);
    const privateKey = privateKeyFromJwk(JSON.parse(fs.readFileSync(`${base}.key`, 'utf8')), `${base}.key`);
    return {
      certificate: new Uint8Array(fs.readFileSync(`${base}.cert`)),
      privateKey,
      publicKey: publicKeyOf(privateKey),
    };
  }

  /** Issues a card certificate (signed by the issuer CA) for a card's generated public key. */
  async issueCardCertificate(args: {
    cardNumber: string;
    publicKey: Uint8Array;
    notBefore?: number;
    notAfter?: number;
  }): Promise<Uint8Array> {
    const notBefore = args.notBefore ?? nowSeconds();
    const certificate = await signWith(this.issuerCa, {
      type: 'card',
      issuerKeyId: this.issuerCa.keyId,
      cardNumber: args.cardNumber,
      notBefore,
      notAfter: args.notAfter ?? notBefore + DEFAULT_CARD_VALIDITY_DAYS * DAY,
      publicKey: args.publicKey,
    });
    if (this.dir !== undefined) {
      fs.mkdirSync(path.join(this.dir, 'cards'), { recursive: true });
      fs.writeFileSync(path.join(this.dir, 'cards', `${args.cardNumber}.cert`), certificate);
    }
    return certificate;
  }

  /** Signs a load authorization with the load authority; returns the 144 bytes RELOAD takes. */
  async authorizeLoad(auth: Omit<LoadAuthorization, 'keyId' | 'signature'>): Promise<Uint8Array> {
    const body = encodeLoadAuthorizationBody({ ...auth, keyId: this.loadAuthority.keyId });
    const signature = await this.loadAuthority.sign(loadAuthorizationSigningMessage(body));
    return concatBytes(body, signature);
  }
}

async function signWith(ca: Signer, cert: UnsignedCertificate): Promise<Uint8Array> {
  const body = encodeCertificateBody(cert);
  return concatBytes(body, await ca.sign(certificateSigningMessage(body)));
}

/** Public half of a PKI directory, readable without touching private keys. */
export function readPkiManifest(dir: string): {
  issuerCa: { keyId: Uint8Array; publicKey: Uint8Array };
  acquirerCa: { keyId: Uint8Array; publicKey: Uint8Array };
  loadAuthority: { keyId: Uint8Array; publicKey: Uint8Array };
} {
  const m = JSON.parse(fs.readFileSync(path.join(dir, PKI_MANIFEST), 'utf8'));
  const entry = (role: Role) => ({ keyId: fromHex(m[role].keyId), publicKey: fromHex(m[role].publicKey) });
  return {
    issuerCa: entry('issuerCa'),
    acquirerCa: entry('acquirerCa'),
    loadAuthority: entry('loadAuthority'),
  };
}
