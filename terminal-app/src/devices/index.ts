export {
  type CounterDeviceSpecs,
  type CounterDevices,
  type DeviceStates,
  openCounterDevices,
} from './counter-devices';
export {
  receiptDataOf,
  receiptDataOfRecord,
  receiptDocument,
  receiptQrPayload,
  shiftReportDocument,
} from './receipt-document';
export { type DocumentPrinter, type PrintReport, ReceiptPrinting } from './receipt-printer';
