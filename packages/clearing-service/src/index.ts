// The terminal ↔ service wire protocol has one home, @huduma/txlog (upstream of both).
export {
  BATCH_FORMAT_VERSION,
  decodeUploadBatch,
  encodeUploadBatch,
  MAX_BATCH_RECORDS,
  MAX_REQUEST_CLOCK_SKEW_MS,
  signTerminalRequest,
  TERMINAL_REQUEST_DOMAIN,
  terminalRequestMessage,
  type UploadBatch,
  UploadBatchFormatError,
} from '@huduma/txlog';
export { type ClearingServiceOptions, createClearingService, kesToCents } from './app';
export {
  bearerToken,
  rejectAllTerminals,
  secretsEqual,
  type TerminalAuthenticator,
  type TerminalIdentity,
} from './auth';
export { CATALOG_SEED, type CatalogEntry } from './catalog-seed';
export {
  checkpointTreeHead,
  latestSignedTreeHead,
  type SignedTreeHead,
  signedTreeHeadAt,
} from './checkpoints';
export { appliedMigrations, MIGRATIONS, type Migration, migrate } from './db/migrations';
export { openPgliteDb } from './db/pglite';
export { openPostgresDb } from './db/postgres';
export type { Db, Queryable, Row, SqlParam } from './db/types';
export {
  ClearingError,
  ConflictError,
  DbValueError,
  HttpError,
  InputError,
  MerkleError,
  MigrationError,
  NotFoundError,
  SignerError,
  UnprocessableError,
} from './errors';
export { frameworkHttpError } from './http/edge';
export { type ErrorBody, mapError, STORAGE_RETRY_AFTER_S, sendHttpError } from './http/error-mapper';
export {
  EDGE_DEFAULTS,
  type EdgeOptions,
  JSON_BODY_LIMIT,
  type RateLimitOptions,
  SHIFT_CLOSE_BODY_LIMIT,
  UPLOAD_BODY_LIMIT,
} from './http/limits';
export {
  type Authenticator,
  OperatorTokenAuthenticator,
  type Principal,
  type PrincipalKind,
  requirePrincipal,
} from './http/principal';
export { MAX_PAYMENT_CENTS, MAX_RECORD_TIME_MS } from './http/schemas';
export { type IngestContext, type IngestResult, ingestBatch, UploadRejected, verifyBatch } from './ingest';
export { INGEST_RULES } from './ingest/rules';
export type { IngestRule, IngestStep } from './ingest/step';
export { centsToKes, formatKes } from './kes';
export {
  type IssuedLoadAuthorization,
  issueLoadAuthorization,
  type LoadAuthoritySigner,
  type LoadAuthorizationRequest,
} from './loads';
export {
  appendLeaves,
  currentTreeHead,
  EMPTY_ROOT,
  hashChildren,
  hashLeaf,
  inclusionProof,
  rootFromLeaves,
  type TreeHead,
  treeRootAt,
  verifyInclusion,
} from './merkle';
export { type Account, createAccount, type NewAccount, type Role } from './people/accounts';
export { type AuditEntry, appendAudit, listAudit } from './people/audit';
export { type StorageProblem, storageProblem } from './quarantine';
export { reconcileShift, type ShiftReconciliation } from './reconcile';
export {
  CardProofRecordVerifier,
  type CardTransaction,
  proofHashOf,
  type RecordVerdict,
  type RecordVerifier,
  type TerminalRow,
  type VerifiedRecord,
} from './record-verifier';
export { RequestNonces } from './request-nonces';
export { type RunningService, type ServeOptions, serve } from './server';
export {
  BATCH_RECEIPT_DOMAIN,
  type BatchReceipt,
  DENY_LIST_DOMAIN,
  type DenyListDelta,
  decodeBatchReceipt,
  encodeBatchReceipt,
  encodeDenyListDelta,
  encodeTreeHead,
  packCardNumberBcd,
  type SignedTreeHeadBody,
  TREE_HEAD_DOMAIN,
} from './signed-messages';
export {
  generateSigner,
  keyIdOf,
  keyObjectSigner,
  loadOrCreateFileSigner,
  type Signer,
  verifyP256,
} from './signer';
export {
  STORAGE_PROBE_TTL_MS,
  type StorageHealth,
  type StorageProbe,
  WriteStorageProbe,
} from './storage-probe';
export * from './store';
export { UPLOAD_TABLES, type UploadTable, uploadTableBytes } from './table-sizes';
export { type AuthenticatedTerminal, CertificateTerminalAuthenticator } from './terminal-auth';
export { CertificateError, p256KeyObject, type TrustAnchors, TrustStore } from './trust';
