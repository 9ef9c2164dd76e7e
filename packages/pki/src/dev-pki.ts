import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  bytesEqual,
  Capability,
  type CapabilityName,
  certificateSigningMessage,
  concatBytes,
  decodeCertificate,
  encodeCertificateBody,
  encodeLoadAuthorizationBody,
  fromHex,
  generatePrivateKey,
  KeyKind,
  KeyUsage,
  keyIdOf,
  type LoadAuthorization,
  loadAuthorizationSigningMessage,
  publicKeyOf,
  toHex,
  type UnsignedCertificate,
} from '@huduma/card-applet-spec';
import { randomBytes } from '@noble/hashes/utils';
import { PkiError } from './errors';
import { type AttestedKey, type CardInstallKeys, IssuerHsm } from './issuer-hsm';
import { aesKeyFromJwk, aesKeyToJwk, privateKeyFromJwk, privateKeyToJwk } from './key-file';
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

/** The issuer's two AES master keys (§4.1): in production each lives in an HSM, never in a file. */
const MASTER_KEYS = { perso: 'perso-master.key', att: 'attestation-master.key' } as const;

export const PKI_MANIFEST = 'pki.json';
/** Chip inventory, issued attestation nonces and certified chips of a file-backed PKI. */
export const CHIP_REGISTRY = 'chips.json';

/** Capability bits SPEC-v2 §4.3 leaves undefined: a certificate with any of them is invalid. */
const UNDEFINED_CAPABILITY_BITS = 0xffc0;

/** Parses "debit,undebit,identity-read" (or a number) into a capability bit mask. */
export function parseCapabilities(caps: readonly (CapabilityName | string)[] | number | string): number {
  if (typeof caps === 'number') {
    if (!Number.isInteger(caps) || caps < 0 || caps > 0xffff || (caps & UNDEFINED_CAPABILITY_BITS) !== 0)
      throw new PkiError(
        'ERR_PKI_CAPABILITY',
        `capability mask out of range or with undefined bits: ${caps}`,
      );
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
  /** The terminal's static key-agreement private key (§4.4), 32 bytes. */
  privateKey: Uint8Array;
  /** QT, the certified key-agreement public key. */
  publicKey: Uint8Array;
  /** The terminal's own key id, SHA-256(QT)[0..7] (what its `.key` file's `kid` holds). */
  keyId: Uint8Array;
}

export interface TrustedKeyEntry {
  usage: number;
  publicKey: Uint8Array;
}

/** What the issuer CA needs to certify a card (§7.6): the chip and both attested public keys. */
export interface CardCertificationRequest {
  chipSerial: Uint8Array;
  cardNumber: string;
  signingKey: AttestedKey;
  keyAgreementKey: AttestedKey;
  notBefore?: number;
  notAfter?: number;
}

interface ChipRecord {
  /** attNonces issued and not yet used, hex. */
  nonces: string[];
  /** Card number certified for this chip, once. */
  certifiedCard?: string;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function writePrivate(file: string, content: string): void {
  // 'wx' refuses to overwrite a key; mode applies at creation, chmod covers a restrictive umask race.
  fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(file, 0o600);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PkiError('ERR_PKI_KEY_FILE', `cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * The development PKI (SPEC-v2 §4.1): an issuer CA (signs card certificates, after the key
 * attestation of §7.6), an acquirer CA (signs terminal certificates), the load authority (signs
 * load authorizations; run by the clearing service), and the issuer's two AES master keys
 * (MK.perso diversified into each chip's personalization keys, MK.att into its attestation key).
 * File-backed (`init`/`open`) or in memory (`inMemory`) for tests.
 *
 * Directory layout: `pki.json` (public keys and key ids), `issuer-ca.key`, `acquirer-ca.key`,
 * `load-authority.key`, `perso-master.key`, `attestation-master.key` (private JWKs, mode 0600),
 * `chips.json` (chip inventory, open attestation nonces, certified chips),
 * `terminals/<id>.key` (0600; `kid` = the terminal's own key id) and `.cert` (165 raw bytes),
 * `cards/<number>.cert` (230 raw bytes).
 */
export class DevPki {
  private readonly hsm: IssuerHsm;
  private readonly chips: Map<string, ChipRecord>;

  private constructor(
    readonly issuerCa: Signer,
    readonly acquirerCa: Signer,
    readonly loadAuthority: Signer,
    masterKeys: { perso: Uint8Array; att: Uint8Array },
    /** Directory of a file-backed PKI; undefined in memory. */
    readonly dir: string | undefined,
  ) {
    this.hsm = new IssuerHsm(masterKeys.perso, masterKeys.att);
    this.chips = new Map();
    if (dir !== undefined && fs.existsSync(path.join(dir, CHIP_REGISTRY))) {
      const saved = JSON.parse(fs.readFileSync(path.join(dir, CHIP_REGISTRY), 'utf8')) as Record<
        string,
        ChipRecord
      >;
      for (const [k, v] of Object.entries(saved)) this.chips.set(k, v);
    }
  }

  static inMemory(): DevPki {
    return new DevPki(
      softwareSigner(generatePrivateKey()),
      softwareSigner(generatePrivateKey()),
      softwareSigner(generatePrivateKey()),
      { perso: randomBytes(16), att: randomBytes(16) },
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
    const manifest: Record<string, unknown> = { version: 2, createdAt: new Date().toISOString() };
    for (const role of Object.keys(ROLES) as Role[]) {
      const key = generatePrivateKey();
      const pub = publicKeyOf(key);
      writePrivate(path.join(dir, ROLES[role]), `${JSON.stringify(privateKeyToJwk(key))}\n`);
      keys[role] = key;
      manifest[role] = { keyId: toHex(keyIdOf(pub)), publicKey: toHex(pub), keyFile: ROLES[role] };
    }
    const masterKeys = { perso: randomBytes(16), att: randomBytes(16) };
    writePrivate(
      path.join(dir, MASTER_KEYS.perso),
      `${JSON.stringify(aesKeyToJwk(masterKeys.perso, 'MK.perso'))}\n`,
    );
    writePrivate(
      path.join(dir, MASTER_KEYS.att),
      `${JSON.stringify(aesKeyToJwk(masterKeys.att, 'MK.att'))}\n`,
    );
    fs.mkdirSync(path.join(dir, 'terminals'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'cards'), { recursive: true });
    fs.writeFileSync(path.join(dir, PKI_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    return new DevPki(
      softwareSigner(keys.issuerCa),
      softwareSigner(keys.acquirerCa),
      softwareSigner(keys.loadAuthority),
      masterKeys,
      dir,
    );
  }

  static open(dir: string): DevPki {
    if (!fs.existsSync(path.join(dir, PKI_MANIFEST))) {
      throw new PkiError('ERR_PKI_NOT_FOUND', `${dir} holds no PKI (no ${PKI_MANIFEST}); run "init" first`);
    }
    const load = (role: Role): Signer => {
      const file = path.join(dir, ROLES[role]);
      return softwareSigner(privateKeyFromJwk(readJson(file), file));
    };
    const master = (name: keyof typeof MASTER_KEYS): Uint8Array => {
      const file = path.join(dir, MASTER_KEYS[name]);
      return aesKeyFromJwk(readJson(file), file);
    };
    return new DevPki(
      load('issuerCa'),
      load('acquirerCa'),
      load('loadAuthority'),
      { perso: master('perso'), att: master('att') },
      dir,
    );
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

  /**
   * Issues a terminal's static key-agreement key pair and its v2 certificate (signed by the
   * acquirer CA). Grant `unblock-pin` only to Huduma Centre counters (§4.3). A file-backed PKI
   * writes `terminals/<id>.key` whose `kid` is the terminal's own key id.
   */
  async issueTerminal(args: {
    terminalId: string;
    merchantId: string;
    capabilities: readonly (CapabilityName | string)[] | number | string;
    notBefore?: number;
    notAfter?: number;
  }): Promise<IssuedTerminal> {
    const privateKey = generatePrivateKey();
    const publicKey = publicKeyOf(privateKey);
    const notBefore = args.notBefore ?? nowSeconds();
    const notAfter = args.notAfter ?? notBefore + DEFAULT_TERMINAL_VALIDITY_DAYS * DAY;
    if (notAfter < notBefore) throw new PkiError('ERR_PKI_VALIDITY', 'notAfter is before notBefore');
    const certificate = await signWith(this.acquirerCa, {
      type: 'terminal',
      issuerKeyId: this.acquirerCa.keyId,
      terminalId: args.terminalId,
      merchantId: args.merchantId,
      capabilities: parseCapabilities(args.capabilities),
      notBefore,
      notAfter,
      keyAgreementKey: publicKey,
    });
    if (this.dir !== undefined) {
      const base = path.join(this.dir, 'terminals', args.terminalId);
      fs.mkdirSync(path.dirname(base), { recursive: true });
      writePrivate(`${base}.key`, `${JSON.stringify(privateKeyToJwk(privateKey))}\n`);
      fs.writeFileSync(`${base}.cert`, certificate);
    }
    return { certificate, privateKey, publicKey, keyId: keyIdOf(publicKey) };
  }

  /**
   * Reads back a terminal issued by a file-backed PKI. Refuses a key file whose `kid` is not the
   * key's own id (ERR_PKI_KEY_ID_MISMATCH) and a certificate that does not certify that key
   * (ERR_PKI_KEY_FILE).
   */
  loadTerminal(terminalId: string): IssuedTerminal {
    if (this.dir === undefined)
      throw new PkiError('ERR_PKI_IN_MEMORY', 'an in-memory PKI stores no terminals');
    const base = path.join(this.dir, 'terminals', terminalId);
    const privateKey = privateKeyFromJwk(readJson(`${base}.key`), `${base}.key`);
    const publicKey = publicKeyOf(privateKey);
    const certificate = new Uint8Array(fs.readFileSync(`${base}.cert`));
    const cert = decodeCertificate(certificate);
    if (cert.type !== 'terminal' || !bytesEqual(cert.keyAgreementKey, publicKey)) {
      throw new PkiError('ERR_PKI_KEY_FILE', `${base}.cert does not certify the key in ${base}.key`);
    }
    return { certificate, privateKey, publicKey, keyId: keyIdOf(publicKey) };
  }

  /**
   * The issuer HSM's part of applet installation (§7.1): the per-chip K.perso-enc, K.perso-mac
   * and K.att for the install parameters. Also records the chip in the issuer's inventory (the
   * issuer installs applets only on chips it bought), which `certifyCard` checks.
   */
  installKeys(chipSerial: Uint8Array): CardInstallKeys {
    const keys = this.hsm.installKeys(chipSerial);
    const id = toHex(chipSerial);
    if (!this.chips.has(id)) {
      this.chips.set(id, { nonces: [] });
      this.saveChips();
    }
    return keys;
  }

  /**
   * The bureau HSM's view of `installKeys`: only the two personalization keys (never K.att, which
   * stays with the issuer CA). With `attestationNonce` and `certifyCard` this makes a DevPki the
   * `CardIssuer` that @huduma/sdk's `personalizeCard` talks to.
   */
  persoKeys(chipSerial: Uint8Array): { persoEncKey: Uint8Array; persoMacKey: Uint8Array } {
    const k = this.installKeys(chipSerial);
    return { persoEncKey: k.persoEnc, persoMacKey: k.persoMac };
  }

  /** A fresh attNonce for one GENERATE KEY PAIR on this chip (§7.5); usable once by `certifyCard`. */
  attestationNonce(chipSerial: Uint8Array): Uint8Array {
    const chip = this.chips.get(toHex(chipSerial));
    if (!chip)
      throw new PkiError(
        'ERR_PKI_UNKNOWN_CHIP',
        `chip ${toHex(chipSerial)} is not in the issuer's inventory`,
      );
    const nonce = randomBytes(16);
    chip.nonces.push(toHex(nonce));
    this.saveChips();
    return nonce;
  }

  /**
   * The issuer CA's certification of a card (§7.6), in the spec's order: both attMacs under the
   * chip's K.att and both attSigs under PK.card (1–2), each attNonce one issued for this chip
   * and unused (3), the chip in the inventory and never certified before (4). Only then does it
   * sign the 230-byte card certificate. Nonces are consumed even when a later check fails.
   */
  async certifyCard(req: CardCertificationRequest): Promise<Uint8Array> {
    const id = toHex(req.chipSerial);
    const chip = this.chips.get(id);
    this.hsm.verifyAttestation(req.chipSerial, KeyKind.SIGNING, req.signingKey, req.signingKey.publicKey);
    this.hsm.verifyAttestation(
      req.chipSerial,
      KeyKind.KEY_AGREEMENT,
      req.keyAgreementKey,
      req.signingKey.publicKey,
    );
    for (const att of [req.signingKey, req.keyAgreementKey]) {
      const at = chip ? chip.nonces.indexOf(toHex(att.attNonce)) : -1;
      if (!chip || at < 0) {
        throw new PkiError(
          'ERR_PKI_ATTESTATION_NONCE',
          `attNonce ${toHex(att.attNonce)} was not issued for chip ${id} or was used`,
        );
      }
      chip.nonces.splice(at, 1);
    }
    this.saveChips();
    if (!chip) throw new PkiError('ERR_PKI_UNKNOWN_CHIP', `chip ${id} is not in the issuer's inventory`);
    if (chip.certifiedCard !== undefined) {
      throw new PkiError(
        'ERR_PKI_CHIP_CERTIFIED',
        `chip ${id} already holds a certificate (card ${chip.certifiedCard})`,
      );
    }
    const certificate = await this.issueCardCertificate({
      cardNumber: req.cardNumber,
      signingKey: req.signingKey.publicKey,
      keyAgreementKey: req.keyAgreementKey.publicKey,
      ...(req.notBefore === undefined ? {} : { notBefore: req.notBefore }),
      ...(req.notAfter === undefined ? {} : { notAfter: req.notAfter }),
    });
    chip.certifiedCard = req.cardNumber;
    this.saveChips();
    return certificate;
  }

  /**
   * Signs a card certificate **without** the key attestation of §7.6. Production issuance goes
   * through `certifyCard`; this exists for fixtures (test cards whose keys the test made).
   */
  async issueCardCertificate(args: {
    cardNumber: string;
    /** PK.card. */
    signingKey: Uint8Array;
    /** QA.card. */
    keyAgreementKey: Uint8Array;
    notBefore?: number;
    notAfter?: number;
  }): Promise<Uint8Array> {
    const notBefore = args.notBefore ?? nowSeconds();
    const notAfter = args.notAfter ?? notBefore + DEFAULT_CARD_VALIDITY_DAYS * DAY;
    if (notAfter < notBefore) throw new PkiError('ERR_PKI_VALIDITY', 'notAfter is before notBefore');
    const certificate = await signWith(this.issuerCa, {
      type: 'card',
      issuerKeyId: this.issuerCa.keyId,
      cardNumber: args.cardNumber,
      notBefore,
      notAfter,
      signingKey: args.signingKey,
      keyAgreementKey: args.keyAgreementKey,
    });
    if (this.dir !== undefined) {
      fs.mkdirSync(path.join(this.dir, 'cards'), { recursive: true });
      fs.writeFileSync(path.join(this.dir, 'cards', `${args.cardNumber}.cert`), certificate);
    }
    return certificate;
  }

  /** Signs a load authorization with the load authority; returns the 146 bytes RELOAD takes. */
  async authorizeLoad(auth: Omit<LoadAuthorization, 'keyId' | 'signature'>): Promise<Uint8Array> {
    const body = encodeLoadAuthorizationBody({ ...auth, keyId: this.loadAuthority.keyId });
    const signature = await this.loadAuthority.sign(loadAuthorizationSigningMessage(body));
    return concatBytes(body, signature);
  }

  private saveChips(): void {
    if (this.dir === undefined) return;
    fs.writeFileSync(
      path.join(this.dir, CHIP_REGISTRY),
      `${JSON.stringify(Object.fromEntries(this.chips), null, 2)}\n`,
    );
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
