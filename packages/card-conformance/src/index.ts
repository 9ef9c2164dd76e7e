/**
 * @huduma/card-conformance — the Huduma card applet v1 conformance suite: drives any card
 * connection with raw APDUs through every command and error path of SPEC.md and reports one
 * result per check. Targets: the in-process reference simulator, or a card in a PC/SC reader.
 */

export { type CardFeeder, ConformanceReaderError, type PcscTargetOptions, pcscTarget } from './pcsc';
export { type CardTransport, RawCard, type RawResponse, shortApdu } from './raw';
export { simulatorTarget } from './simulator';
export {
  type CheckResult,
  type CheckStatus,
  type ConformanceOptions,
  formatResults,
  listChecks,
  runConformance,
} from './suite';
export {
  CONFORMANCE_PROFILE,
  type ConformanceKeys,
  type ConformanceSigner,
  type ConformanceTarget,
  type PersonalizationProfile,
  personalizeRaw,
  signCertificateWith,
  softwareSigner,
  type TargetFactory,
  vectorConformanceKeys,
} from './target';
