/**
 * @huduma/terminal-app — the counter application on the @huduma/terminal engine: the cashier
 * console, the narrated demo, the demo world (dev PKI, a provisioned terminal, simulated cards)
 * and the `huduma-terminal` CLI. `scripts/start.ts` uses it through this entry.
 */

export { type CardSource, readerSource } from './cli/card-source';
export { runTerminalCli } from './cli/commands';
export {
  CLI_FILE,
  type CliFile,
  type CounterDeviceSpecs,
  type CounterDevices,
  DEVICE_KINDS,
  DEVICE_STATES,
  DeviceConfigError,
  type DeviceKind,
  type DeviceSpecs,
  type DeviceState,
  DeviceStateModel,
  type DeviceStates,
  mergeDeviceSpecs,
  openCounterDevices,
  type PrintReport,
  parseDeviceSpecs,
  ReceiptPrinting,
  readCliFile,
  receiptDataOf,
  receiptDataOfRecord,
  receiptDocument,
  shiftReportDocument,
  writeCliFile,
} from './devices/index';
export { DEVICE_WORDS, deviceStatesLine } from './messages/device-words';
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
export { type CounterAppOptions, type RunningCounterApp, startCounterApp } from './web/counter-app';
export {
  CounterBusyError,
  CounterRefusedError,
  CounterSession,
  type CounterSessionOptions,
  type LiveState,
  WebPinPadSlot,
} from './web/counter-session';
export { runDemoCommand, type SimulatedDevicesDemo, startSimulatedDevicesDemo } from './web/demo-command';
export { type ReceiptView, receiptFromLog } from './web/receipt-view';
export { DEFAULT_WEB_PORT, runServeCommand } from './web/serve-command';
export { type CounterWebApp, startCounterWebApp } from './web/server';
