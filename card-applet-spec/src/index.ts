/**
 * @huduma/card-applet-spec — the machine-readable half of SPEC.md (applet v2): constants, the
 * command table, byte-exact encoders/decoders of every structure, the signed-message builders
 * and the symmetric crypto both sides share (KDF, secure messaging, AES-CMAC, ECDH).
 */
export { AmountFormatError, formatKes, MAX_AMOUNT_CENTS, parseKesAmount } from './amount';
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
  certificateIdOf,
  certificateSigningMessage,
  decodeCertificate,
  encodeCertificate,
  encodeCertificateBody,
  signCertificate,
  type TerminalCertificate,
  type UnsignedCardCertificate,
  type UnsignedCertificate,
  type UnsignedTerminalCertificate,
  verifyCertificateBytes,
} from './certificate';
export {
  CHIP_TIMINGS,
  type ChipMeasurement,
  type ChipPrimitive,
  type ChipSubstitute,
  ChipTimingError,
  type ChipTimings,
  JCALGTEST_REPOSITORY,
  modelTap,
  TAP_BUDGET_MS,
  type TapExchange,
  type TapModel,
  type TapModelStep,
  V2_STEP_MS,
} from './chip-timings';
export { COMMANDS, type CommandSpec, commandByIns, type SmMode } from './commands';
export * from './constants';
export {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesEncryptBlock,
  assertPublicKey,
  cmac,
  cmac8,
  domainTag,
  ecdh,
  generatePrivateKey,
  isValidPublicKey,
  kdfCounterBlock,
  kdfExpand,
  kdfExtract,
  keyIdOf,
  macEqual,
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
  assertBcdCurrency,
  decodePurse,
  decodePurseParameters,
  encodePurse,
  encodePurseParameters,
  isBcdCurrency,
  type Purse,
  type PurseParameters,
} from './purse';
export {
  decodeGetTransactionRequest,
  decodeGetTransactionResponse,
  encodeGetTransactionRequest,
  encodeGetTransactionResponseBody,
  type GetTransactionRequest,
  type GetTransactionResponse,
  recoveryAttestationMessage,
  verifyRecoveryAttestation,
} from './recovery';
export {
  decodeInitializePersoResponse,
  decodeKeyAttestation,
  decodeOpenSessionRequest,
  encodeInitializePersoResponse,
  encodeKeyAttestation,
  encodeOpenSessionRequest,
  type InitializePersoResponse,
  type KeyAttestation,
  keyAttestationMessage,
  type OpenSessionRequest,
} from './session';
export { parseSimpleTlv, tlv } from './simple-tlv';
export {
  cardCryptogram,
  deriveLinkKey,
  derivePersoSessionKeys,
  deriveSessionKeys,
  diversifyCardKeys,
  hostCryptogram,
  padM2,
  type SessionKeys,
  type SmHeader,
  sessionContext,
  sscBytes,
  type UnwrapCommandResult,
  unpadM2,
  unwrapCommand,
  unwrapResponse,
  wrapCommand,
  wrappedLength,
  wrapResponse,
} from './sm';
export {
  type DebitProof,
  decodeTransactionProof,
  decodeTransactionRecord,
  encodeTransactionProof,
  encodeTransactionRecord,
  type TransactionProof,
  type TransactionRecord,
  transactionSigningMessage,
  transactionSigningMessageParts,
  verifyTransactionProof,
} from './transaction';
export {
  type BlockRequest,
  type DebitRequest,
  decodeBlockRequest,
  decodeDebitRequest,
  decodeUndebitRequest,
  decodeValueResponse,
  encodeBlockRequest,
  encodeDebitRequest,
  encodeUndebitRequest,
  encodeValueResponse,
  type UndebitRequest,
  type ValueResponse,
} from './value';
export {
  VECTOR_INPUTS,
  VECTOR_KEY_LABELS,
  VECTOR_RAW_LABELS,
  vectorKeys,
  vectorPrivateKey,
  vectorRawKey,
} from './vector-inputs';
