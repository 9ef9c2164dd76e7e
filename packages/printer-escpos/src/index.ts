export {
  type Align,
  type FeedBlock,
  formatShillings,
  MAX_QR_PAYLOAD,
  type PrintableDocument,
  type PrintBlock,
  type QrBlock,
  type QrErrorLevel,
  type RowBlock,
  type RuleBlock,
  type TextBlock,
} from './document';
export { DeviceSpecError, InvalidDocumentError, PrinterError } from './errors';
export { type EncodeOptions, encodeDocument, qrCommands } from './escpos';
export { PRINT_FAILURE_REASONS, type PrinterMessageLanguage, printerMessage } from './messages';
export {
  PrinterDevice,
  type PrinterDeviceEvents,
  type PrinterDeviceOptions,
  type PrintFailureReason,
  type PrintResult,
} from './printer-device';
export { type PrinterSpec, parsePrinterSpec } from './spec';
export { isStatusByte, type PrinterState, type PrinterStatus, parseStatus, STATUS_QUERIES } from './status';
