/**
 * `@huduma/sdk`: the typed Huduma card API (applet v2) over any {@link Transport}. Select a card
 * with {@link HudumaCard.select}, then debit, recover, reload, verify the PIN and read it; every
 * answer inside a session is MAC-verified, every proof and attestation signature-checked, and
 * every status word maps to a typed error.
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
  type DebitParams,
  type DebitProof,
  type DebitResult,
  HudumaCard,
  type JournaledIntent,
  type RecoveryResult,
  type ReloadContext,
  type TransactionLookup,
  type UndebitParams,
  type ValueResult,
} from './card';
export type { HudumaCardOptions, VerifiedCardCertificate, VerifiedProof } from './card-core';
export type { BlockReasonName } from './card-holder';
export {
  CardBlockedError,
  CardCertificateInvalidError,
  type CardCertificateRejection,
  CardError,
  CardResponseMalformedError,
  type CommandName,
  CounterExhaustedError,
  CurrencyMismatchError,
  DebitOutcomeUnknownError,
  errorForStatusWord,
  HudumaCardError,
  InsufficientFundsError,
  LoadAuthorizationInvalidError,
  MaxBalanceExceededError,
  NoCvmLimitReachedError,
  OfflineLimitExceededError,
  PinBlockedError,
  PinRequiredError,
  ProofInvalidError,
  PukBlockedError,
  SecureMessagingError,
  type SecureMessagingFailure,
  type SentDebitRequest,
  SequenceReusedError,
  SyncRequiredError,
  TerminalNotAuthorizedError,
  type TerminalRefusalReason,
  TerminalRequiredError,
  TransactionOutcomeUnknownError,
  UndebitRefusedError,
  WrongPinError,
  WrongPukError,
} from './errors';
export { type CardLink, type CardLinkCache, InMemoryCardLinkCache } from './link-cache';
export {
  type CardIssuer,
  type PersoKeys,
  PersonalizationError,
  type PersonalizationStep,
  type PersonalizeArgs,
  type PersonalizeResult,
  personalizeCard,
} from './personalize';
export { describePurse, type LifeCycleName, type PurseView } from './purse-view';
export type { SessionKind } from './session';
export { TAP_BUDGET_MS, type TapStep, type TapTelemetry, TapTelemetryRecorder } from './telemetry';
export {
  type TerminalCredentials,
  type TerminalKeyAgreement,
  type TerminalKeyPair,
  terminalKeyAgreementFromPrivateKey,
} from './terminal';
