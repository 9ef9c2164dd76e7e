/**
 * @huduma/card-simulator — the reference Huduma card: every command of applet v1, a persisted
 * EEPROM image (CBOR file or memory) with atomic writes, power-loss injection at every tear
 * point, an in-process reader with removal faults and a latency model.
 */
export { type AppletHost, CardApplet, type CommandInfo, memoryHost } from './applet';
export { CardFileError, PowerLossError } from './errors';
export { modelledCardTimeMs, SimulatedReader, type SimulatedReaderOptions } from './reader';
export {
  type CliIo,
  describeCardState,
  formatKes,
  runSimCli,
  SIM_COMMANDS,
  SimCliUsageError,
  type SimCommand,
} from './run-cli';
export {
  HUDUMA_ATR,
  SimulatedCard,
  type SimulatedCardOptions,
  type TearOutcome,
  type VirtualCard,
} from './simulated-card';
export {
  blankCardState,
  type CardState,
  CardStateFormatError,
  decodeCardState,
  encodeCardState,
  type StoredTrustedKey,
  type TransientState,
} from './state';
export { type CardStore, FileCardStore, MemoryCardStore } from './store';
export {
  DEFAULT_IDENTITY,
  DEFAULT_PURSE,
  type IssueTestCardOptions,
  issueTestCard,
  loadBalance,
  type TestCard,
} from './test-card';
export { createCard } from './vpcd-card';
