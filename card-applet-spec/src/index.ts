/**
 * @huduma/card-applet-spec — the machine-readable half of SPEC.md: constants, the command
 * table, byte-exact encoders/decoders of every structure, and the signed-message builders.
 */
export { ByteReader, bytesEqual, concatBytes, fromHex, toHex, u16, u32 } from './bytes';
export {
  CARD_NUMBER_PREFIX,
  type CardNumber,
  cardNumberFromAccount,
  decodeCardNumber,
  encodeCardNumber,
  formatCardNumber,
  isValidCardNumber,
  maskCardNumber,
} from './card-number';
export {
  type CardCertificate,
  type Certificate,
  certificateSigningMessage,
  decodeCertificate,
  encodeCertificate,
  encodeCertificateBody,
  signCertificate,
  type TerminalCertificate,
  type UnsignedCertificate,
  verifyCertificateBytes,
  verifyCertificateSignature,
} from './certificate';
export {
  CHIP_TIMINGS,
  type ChipMeasurement,
  type ChipPrimitive,
  type ChipSubstitute,
  ChipTimingError,
  type ChipTimings,
  JCALGTEST_REPOSITORY,
  modelV1Tap,
  type TapModel,
  type TapModelStep,
  V1_TAP_BUDGET_MS,
  V1_TAP_WIRE_BYTES,
} from './chip-timings';
export { COMMANDS, type CommandSpec, commandByIns } from './commands';
export * from './constants';
export {
  assertPublicKey,
  domainTag,
  generatePrivateKey,
  keyIdOf,
  publicKeyOf,
  type SignatureVerify,
  sha256,
  signMessage,
  verifyMessage,
} from './crypto';
export { SpecCodecError } from './errors';
export { decodeSelectResponse, encodeSelectResponse, type SelectResponse } from './fci';
export { decodeIdentity, encodeIdentity, type HolderIdentity } from './identity';
export {
  decodeBillRef,
  decodeEntityId,
  type EntityId,
  encodeBillRef,
  encodeEntityId,
  isValidEntityId,
} from './ids';
export {
  decodeLoadAuthorization,
  encodeLoadAuthorization,
  encodeLoadAuthorizationBody,
  type LoadAuthorization,
  loadAuthorizationSigningMessage,
  signLoadAuthorization,
  verifyLoadAuthorizationBytes,
} from './load-authorization';
export { decodeTrustedKey, encodePinBlock, encodeTrustedKey, isValidPinBlock, type TrustedKey } from './pin';
export {
  decodePurse,
  decodePurseParameters,
  encodePurse,
  encodePurseParameters,
  type Purse,
  type PurseParameters,
} from './purse';
export {
  decodeRecoveryRequest,
  decodeRecoveryResponse,
  encodeRecoveryRequest,
  encodeRecoveryResponseBody,
  type RecoveryRequest,
  type RecoveryResponse,
  recoveryAttestationMessage,
  verifyRecoveryAttestation,
} from './recovery';
export { parseSimpleTlv, tlv } from './simple-tlv';
export {
  type AuthenticatedCommand,
  type BlockRequest,
  type DebitRequest,
  decodeAuthenticatedCommand,
  decodeBlockRequest,
  decodeDebitRequest,
  decodeIdentityReadRequest,
  decodeUndebitRequest,
  encodeAuthenticatedCommand,
  encodeBlockRequest,
  encodeDebitRequest,
  encodeIdentityReadRequest,
  encodeUndebitRequest,
  type IdentityReadRequest,
  signAuthenticatedCommand,
  terminalAuthMessage,
  type UndebitRequest,
} from './terminal-auth';
export {
  type DebitProof,
  decodeTransactionProof,
  decodeTransactionRecord,
  encodeTransactionProof,
  encodeTransactionRecord,
  type TransactionProof,
  type TransactionRecord,
  transactionSigningMessage,
  verifyTransactionProof,
} from './transaction';
export { VECTOR_INPUTS, VECTOR_KEY_LABELS, vectorKeys, vectorPrivateKey } from './vector-inputs';
