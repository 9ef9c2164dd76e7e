/**
 * `@huduma/transport-pn532`: a PN532 NFC controller on a serial line (HSU) as a card reader for
 * the Huduma SDK, on the `serialport` binding: the frame codec, the host protocol (ACK/NACK,
 * resend, abort), ISO/IEC 14443-4 cards over InDataExchange, presence by polling, and reader
 * specs (`pn532:/dev/ttyX`) for terminal configuration.
 *
 * @packageDocumentation
 */
export { Pn532CardTransport, type Pn532Session } from './card';
export {
  atrFromAts,
  BRTY_106_TYPE_A,
  CMD,
  DIAGNOSE_CARD_PRESENCE,
  type FirmwareVersion,
  historicalBytesOfAtr,
  historicalBytesOfAts,
  IC_PN532,
  isIsoDep,
  MAX_EXCHANGE_DATA,
  MI,
  parseFirmwareVersion,
  parseTypeATarget,
  type TypeATarget,
  WAKE_UP,
} from './commands';
export {
  describeStatus,
  type FrameFault,
  PN532_STATUS,
  Pn532FrameError,
  Pn532ProtocolError,
  Pn532StatusError,
  Pn532SyntaxError,
} from './errors';
export {
  ACK_FRAME,
  type DecodedFrame,
  decodeFrame,
  ERROR_FRAME,
  encodeInformationFrame,
  type FrameEvent,
  FrameReader,
  MAX_FRAME_LENGTH,
  MAX_NORMAL_LENGTH,
  NACK_FRAME,
  type Pn532Frame,
  TFI_HOST,
  TFI_PN532,
} from './frame';
export { Pn532Link, type Pn532LinkOptions } from './link';
export { type Pn532CardEvent, Pn532Reader, type Pn532ReaderEvents, type Pn532ReaderOptions } from './reader';
export { type ByteLink, DEFAULT_BAUD_RATE, openSerialLink } from './serial';
export {
  isPn532ReaderSpec,
  openPn532CardSource,
  type Pn532ReaderSpec,
  Pn532ReaderSpecError,
  parsePn532ReaderSpec,
} from './spec';
