export { type CliIo, type CliStream, formatSummary, readTerminalPublicKey, runLogCli } from './cli';
export {
  TxLogClosedError,
  TxLogCorruptError,
  TxLogEmptyError,
  TxLogError,
  TxLogEventError,
  TxLogIoError,
  TxLogKeyError,
  TxLogNoSignerError,
  TxLogNotALogError,
  TxLogNotFoundError,
  TxLogPoisonedError,
  TxLogRecordError,
  TxLogSignError,
} from './errors';
export { CSV_COLUMNS, type ExportFormat, exportLines, exportLog } from './export';
export { FILE_HEADER, FRAME_HEADER_LENGTH, FRAME_MAGIC, FRAME_VERSION, MAX_PAYLOAD_LENGTH } from './frame';
export {
  type AppendedRecord,
  type LogFileIo,
  type LogHead,
  nodeFileIo,
  type OpenOptions,
  type OpenRecovery,
  type StoredRecord,
  TransactionLog,
} from './log';
export {
  type CancelEvent,
  type CardBlockedEvent,
  type CardProofRecord,
  type CheckpointBody,
  decodeRecord,
  encodeRecord,
  GENESIS_HASH,
  type LogEvent,
  type LogRecord,
  type PendingDebitEvent,
  type PendingOutcome,
  type PendingResolvedEvent,
  RECORD_FORMAT_VERSION,
  RECORD_TYPES,
  type RecordBody,
  type RecordType,
  type RecoveredSaleEvent,
  type ReloadEvent,
  recordHash,
  type SaleEvent,
  type ShiftCloseEvent,
  type ShiftOpenEvent,
} from './records';
export {
  CHECKPOINT_DOMAIN,
  checkpointMessage,
  checkpointVerifier,
  type LogSigner,
  nodeCryptoSigner,
} from './signer';
export {
  type LogSummary,
  type LogTotals,
  type VerifyError,
  type VerifyErrorKind,
  type VerifyOptions,
  verifyLog,
} from './verify';
