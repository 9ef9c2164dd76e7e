/**
 * `@huduma/sdk/node`: what only Node hosts can use. The main entry stays free of Node builtins so
 * it bundles for browsers (WebUSB/WebHID readers); this one brings OpenSSL-backed crypto.
 */
export { nodeCryptoKeyAgreement, nodeCryptoVerify } from './node-crypto';
