/**
 * @huduma/terminal-app — the counter application on the @huduma/terminal engine: the cashier
 * console, the narrated demo, the demo world (dev PKI, a provisioned terminal, simulated cards)
 * and the `huduma-terminal` CLI. `scripts/start.ts` uses it through this entry.
 */
export { runTerminalCli } from './cli/commands';
export {
  type CounterDeviceSpecs,
  type CounterDevices,
  type DeviceStates,
  openCounterDevices,
  type PrintReport,
  ReceiptPrinting,
  receiptDataOf,
  receiptDataOfRecord,
  receiptDocument,
  shiftReportDocument,
} from './devices/index';
export {
  CATALOGS,
  LANGUAGES,
  type Language,
  type MessageKey,
  type MessageParams,
  noticeText,
  translate,
} from './messages/index';
export { CashierConsole } from './ui/console';
export { type DemoCounter, type DemoWorld, ensureDemoWorld, openDemoCounter } from './ui/demo-world';
export { runNarratedDemo } from './ui/narrated-demo';
export {
  CounterBusyError,
  CounterRefusedError,
  CounterSession,
  type CounterSessionOptions,
  type LiveState,
  WebPinPadSlot,
} from './web/counter-session';
export { type ReceiptView, receiptFromLog, receiptPayload, verifyReceiptPayload } from './web/receipt-view';
export { DEFAULT_WEB_PORT, runServeCommand } from './web/serve-command';
export { type CounterWebApp, startCounterWebApp } from './web/server';
