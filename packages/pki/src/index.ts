/**
 * @huduma/pki — the development PKI: issuer CA (card certificates), acquirer CA (terminal
 * certificates), load authority (load authorizations), and the `Signer` interface an HSM plugs into.
 */
export {
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
export { type P256Jwk, privateKeyFromJwk, privateKeyToJwk } from './key-file';
export { type CliIo, describeCertificate, runPkiCli } from './run-cli';
export { type Signer, softwareSigner } from './signer';
