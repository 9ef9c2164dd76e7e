/** The terminal's link to the clearing service: batch upload, deny list, catalog, online loads. */
export {
  type BatchReceiptAnswer,
  ClearingClient,
  type ClearingClientOptions,
  type PendingTopup,
  serviceAddresses,
  type TerminalCredentials,
  type TerminalStateAnswer,
  verifyServiceSignature,
} from './client';
export {
  CLEARING_FILE,
  type ClearingConfig,
  readClearingConfig,
  servicePublicKeyBytes,
  writeClearingConfig,
} from './config';
export {
  ClearingRejectedError,
  ClearingServerError,
  ClearingUnreachableError,
  isRetryable,
  ServiceSignatureError,
  SyncBatchTooLargeError,
  SyncError,
  SyncRetriesExhaustedError,
  SyncStateMismatchError,
} from './errors';
export {
  clearingLoadAuthorizer,
  loadPendingTopups,
  TOPUP_REFERENCE_PREFIX,
  topupReference,
} from './load-authorizer';
export { backoffDelay, DEFAULT_RETRY_POLICY, type RetryHooks, type RetryPolicy, withRetry } from './retry';
export {
  BatchUploader,
  type BatchUploaderOptions,
  CATALOG_FILE,
  type DenyListReport,
  loadSavedCatalog,
  type SyncReport,
  type SyncTarget,
  type UploadProgress,
  type UploadReport,
} from './uploader';
