/**
 * @huduma/card-simulator — the reference Huduma card: every command of applet v2, a persisted
 * EEPROM image (CBOR file or memory) with atomic writes, power-loss injection at every tear
 * point, an in-process reader with removal faults and a latency model.
 */
export { CardApplet, memoryHost } from './applet';
export type { AppletHost, CommandInfo } from './context';
export { CardFileError, PowerLossError } from './errors';
export {
  type Answer,
  cardKeyAgreementKey,
  type PersonalizationPlan,
  RawTerminal,
  type SmAnswer,
  type TerminalIdentity,
  type TerminalSession,
  type Transmit,
  terminalLinkKey,
} from './raw-terminal';
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
  randomInstallParameters,
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
  type InstallParameters,
  type Registration,
  type Session,
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
