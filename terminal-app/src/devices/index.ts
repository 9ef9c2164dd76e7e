export {
  type CounterDeviceSpecs,
  type CounterDevices,
  openCounterDevices,
} from './counter-devices';
export {
  CLI_FILE,
  type CliFile,
  checkDeviceSpec,
  DEVICE_KINDS,
  DeviceConfigError,
  type DeviceKind,
  type DeviceSpecs,
  mergeDeviceSpecs,
  parseDeviceSpecs,
  parseReaderSpec,
  type ReaderSpec,
  readCliFile,
  writeCliFile,
} from './device-config';
export {
  DEVICE_STATES,
  type DeviceState,
  DeviceStateModel,
  type DeviceStates,
  pinPadDeviceState,
  printerDeviceState,
  printFailureDeviceState,
} from './device-states';
export {
  receiptDataOf,
  receiptDataOfRecord,
  receiptDocument,
  receiptQrPayload,
  shiftReportDocument,
} from './receipt-document';
export { type DocumentPrinter, type PrintReport, ReceiptPrinting } from './receipt-printer';
