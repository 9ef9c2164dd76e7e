export { receiptDataOf, receiptDocument, receiptQrPayload, shiftReportDocument } from './receipt-document';
export { type DocumentPrinter, type PrintReport, ReceiptPrinting } from './receipt-printer';
