/**
 * `@huduma/sdk`: the typed Huduma card API over any {@link Transport}. Select a card with
 * {@link HudumaCard.select}, then debit, reload, recover and read it; every result is checked
 * against what the card signed, and every status word maps to a typed error.
 *
 * @packageDocumentation
 */
export {
  CardRemovedError,
  ReaderUnavailableError,
  type Transport,
  TransportError,
  TransportTimeoutError,
} from '@huduma/apdu';
export {
  type BlockReasonName,
  type DebitParams,
  type DebitProof,
  HudumaCard,
  type HudumaCardOptions,
  type RecoveryEvidence,
  type RecoveryResult,
  type ReloadContext,
  type UndebitParams,
  type VerifiedProof,
} from './card';
export {
  type CardCertificateCache,
  InMemoryCardCertificateCache,
  type VerifiedCardCertificate,
} from './certificate-cache';
export {
  CardBlockedError,
  CardCertificateInvalidError,
  type CardCertificateRejection,
  CardError,
  CardResponseMalformedError,
  CardTerminatedError,
  type CommandName,
  CounterExhaustedError,
  DebitOutcomeUnknownError,
  errorForStatusWord,
  HudumaCardError,
  InsufficientFundsError,
  LoadAuthorizationInvalidError,
  MaxBalanceExceededError,
  OfflineLimitExceededError,
  PinBlockedError,
  PinRequiredError,
  ProofInvalidError,
  type SentDebitRequest,
  SequenceReusedError,
  TerminalNotAuthorizedError,
  type TerminalRefusalReason,
  TerminalRequiredError,
  TransactionOutcomeUnknownError,
  UndebitRefusedError,
  WrongPinError,
  WrongPukError,
} from './errors';
export {
  PersonalizationError,
  type PersonalizationStep,
  type PersonalizeArgs,
  type PersonalizeResult,
  personalizeCard,
} from './personalize';
export { TAP_BUDGET_MS, type TapStep, type TapTelemetry, TapTelemetryRecorder } from './telemetry';
export {
  type TerminalCredentials,
  type TerminalKeyPair,
  type TerminalSigner,
  terminalSignerFromPrivateKey,
} from './terminal';
