export {
  type PinEntryOutcome,
  PinPadDriver,
  type PinPadDriverEvents,
  type PinPadDriverOptions,
  type PinPadLog,
  type PinPadState,
} from './driver';
export {
  type EnginePinPad,
  enginePinPad,
  PINPAD_OUTCOME_REASONS,
  type PinPadMessageLanguage,
  type PinPadOutcomeReason,
  pinPadMessage,
} from './engine-pinpad';
export { PinPadConfigError, type PinPadSpec, parsePinPadSpec } from './errors';
export { type HidBackend, type HidDeviceInfo, type HidDeviceLike, nodeHidBackend } from './hid';
export {
  type BeginPinEntry,
  beginPinEntryReport,
  cancelReport,
  clearReport,
  type InputEvent,
  InputReport,
  Key,
  MAX_PIN_LENGTH,
  NO_DIGIT,
  OutputReport,
  PINPAD_PRODUCT_ID,
  PINPAD_VENDOR_ID,
  parseInputReport,
  REPORT_SIZE,
} from './protocol';
