/**
 * The Huduma card applet v1 conformance suite: drives any card connection with raw APDUs
 * through every command and error path of SPEC.md and reports one result per check.
 */
export { type CardTransport, RawCard, type RawResponse, shortApdu } from './raw';
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
