/**
 * @huduma/card-conformance — the Huduma card applet v2 conformance suite (SPEC §16): drives any
 * card connection with raw APDUs, computes the terminal side of every secure-messaging session
 * itself (§4.6–4.7) and reports one result per numbered check. Targets: the in-process reference
 * simulator, or a card in a PC/SC reader.
 */

export type { Card, TestTerminal } from './check';
export { TearPoint } from './groups/tear';
export { type CardFeeder, ConformanceReaderError, type PcscTargetOptions, pcscTarget } from './pcsc';
export {
  CONFORMANCE_PROFILE,
  encodeIdentity,
  PersoError,
  type PersonalizationProfile,
  personalizeRaw,
} from './perso';
export { type CardTransport, RawCard, type RawResponse, shortApdu } from './raw';
export { blankSimulatedCard, conformanceSimulatedCard, simulatorTarget } from './simulator';
export {
  type CheckResult,
  type CheckStatus,
  type ConformanceOptions,
  checkGroups,
  formatResults,
  listChecks,
  runConformance,
} from './suite';
export {
  type ConformanceKeys,
  type ConformanceSigner,
  type ConformanceTarget,
  type InstallKeys,
  softwareSigner,
  type TargetFactory,
  type TearableCard,
  vectorConformanceKeys,
} from './target';
