/**
 * @huduma/pki — the development PKI (SPEC-v2 §4.1): issuer CA (card certificates, after the key
 * attestation of §7.6), acquirer CA (terminal certificates), load authority (load
 * authorizations), the issuer's AES master keys (per-chip install keys, §7.1), and the `Signer`
 * interface an HSM plugs into.
 */
export {
  type CardCertificationRequest,
  CHIP_REGISTRY,
  capabilityNames,
  DEFAULT_CARD_VALIDITY_DAYS,
  DEFAULT_TERMINAL_VALIDITY_DAYS,
  DevPki,
  type IssuedTerminal,
  PKI_MANIFEST,
  parseCapabilities,
  readPkiManifest,
  type TrustedKeyEntry,
} from './dev-pki';
export { PkiError } from './errors';
export { type AttestedKey, type CardInstallKeys, IssuerHsm } from './issuer-hsm';
export {
  type AesJwk,
  aesKeyFromJwk,
  aesKeyToJwk,
  type P256Jwk,
  privateKeyFromJwk,
  privateKeyToJwk,
} from './key-file';
export {
  generateP256PrivateKey,
  isP256Point,
  p256PrivateKeyObject,
  p256PublicKeyObject,
  p256RawPublicKey,
} from './p256-key-object';
export { type CliIo, describeCertificate, pkiCli, pkiCommand, runPkiCli } from './run-cli';
export { type Signer, softwareSigner } from './signer';
