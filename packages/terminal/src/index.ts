/**
 * @huduma/terminal — the transaction engine of the Huduma counter terminal: provisioning,
 * service catalog, offline sales with durable journaling and tear recovery, cancellations,
 * reloads, deny list and shift reports. UI-free: consoles and CLIs drive it through events.
 */
export { formatKes, MAX_AMOUNT_CENTS, parseAmount } from './amount';
export { type CashierLanguage, type CashierMessageKey, cashierText } from './cashier-messages';
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
  MAX_UNSYNCED_RECORDS_LIMIT,
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
  type UnresolvedTransaction,
} from './engine';
export {
  AmountFormatError,
  BillRefFormatError,
  DenyListVersionError,
  NOTICE_KEYS,
  type NoticeKey,
  REFUSAL_REASONS,
  type RefusalParams,
  type RefusalReason,
  ShiftFieldFormatError,
  TerminalBusyError,
  TerminalConfigError,
  TerminalError,
  TransactionRefusedError,
  UnknownServiceError,
} from './errors';
export {
  AUTO_CHECKPOINT_AFTER_MS,
  AUTO_CHECKPOINT_RECORDS,
  MAX_SANE_TIME_MS,
  MIN_SANE_TIME_MS,
} from './housekeeping';
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
export { toRefusal } from './refusals';
export { type CountAndAmount, computeShiftReport, type DeclineEntry, type ShiftReport } from './reports';
export { RESERVE_BYTES, storageFailureLine } from './storage';
export { SyncState } from './sync-state';
export * from './uploader';
