/**
 * `@huduma/sim-pn532`: a PN532 NFC controller simulated at the device end of a real pty pair
 * (socat), hosting a simulated Huduma card, with fault injection: corrupted frames, dropped
 * bytes, a slow card, a card pulled mid-exchange, lost commands.
 *
 * @packageDocumentation
 */
export { openPtyPair, type PtyPair, SocatMissingError } from './pty';
export { type Pn532SimIo, Pn532SimUsageError, parsePn532SimArgs, runPn532SimCli } from './run-cli';
export {
  Pn532Simulator,
  type Pn532SimulatorOptions,
  type Pn532SimulatorStats,
  seededRandom,
} from './simulator';
