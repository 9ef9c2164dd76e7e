/**
 * PC/SC transport for the Huduma SDK, on the `pcsclite` addon: readers and card events that
 * survive pcscd restarts, card connections as {@link Transport}s, transactions, APDU traces.
 *
 * @packageDocumentation
 */
export type { CardProtocol, PcscConnectOptions, ShareMode } from './card';
export { PcscCardTransport } from './card';
export {
  PcscError,
  PcscNoServiceError,
  PcscSharingViolationError,
  pcscCodeOf,
  SCARD,
  UnknownReaderError,
} from './errors';
export type { CardEvent, PcscReadersEvents, PcscReadersOptions, ReaderState } from './readers';
export { PcscReaders } from './readers';
export type { ApduTrace, TraceEntry } from './trace';
export { ReplayTransport, TraceMismatchError, TraceRecorder } from './trace';
