/**
 * @huduma/terminal — the transaction engine of the Huduma counter terminal: provisioning,
 * service catalog, offline sales with durable journaling and tear recovery, cancellations,
 * reloads, deny list and shift reports. UI-free: consoles and CLIs drive it through events.
 */
export { formatKes, MAX_AMOUNT_CENTS, parseAmount } from './amount';
export {
  DEFAULT_SERVICES,
  normalizeBillRef,
  resolveSale,
  type SaleInput,
  type SaleOrder,
  type Service,
  ServiceCatalog,
  TYPED_AMOUNT_SERVICE_CODE,
} from './catalog';
export {
  DEFAULT_LIMITS,
  FILES,
  loadTerminalConfig,
  type TerminalConfig,
  type TerminalLimits,
  type TerminalLocation,
} from './config';
export { DenyList, type DenyListDelta } from './deny-list';
export {
  type ApprovedTransaction,
  type Operation,
  type PinPad,
  type RecoveryNotice,
  TerminalEngine,
  type TerminalEngineOptions,
  type TerminalEvent,
  type TerminalStatus,
  toRefusal,
  type UnresolvedTransaction,
} from './engine';
export {
  AmountFormatError,
  BillRefFormatError,
  DenyListVersionError,
  type RefusalReason,
  TerminalBusyError,
  TerminalConfigError,
  TerminalError,
  TransactionRefusedError,
  UnknownServiceError,
} from './errors';
export { type Intent, IntentJournal } from './intents';
export { devLoadAuthorizer, type LoadAuthorizationRequest, type LoadAuthorizer } from './load-authorizer';
export { type InitTerminalOptions, initTerminal } from './provisioning';
export {
  type CardReader,
  type CardTap,
  type PcscReadersLike,
  pcscCardReader,
  pollingCardReader,
} from './reader';
export { formatEat, formatReceipt, proofReference, type ReceiptData } from './receipt';
export { type CountAndAmount, computeShiftReport, type DeclineEntry, type ShiftReport } from './reports';
export { SyncState } from './sync-state';
export * from './uploader';
