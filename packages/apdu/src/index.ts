/**
 * `@huduma/apdu`: ISO 7816-4 command/response APDU codec, status words, BER-TLV, T=0 helpers,
 * command chaining and the `Transport` interface every card connection implements.
 *
 * @packageDocumentation
 */
export { CLA_CHAINING, chainCommand } from './chaining';
export {
  type CommandApdu,
  type DecodedCommandApdu,
  decodeCommand,
  encodeCommand,
  logicalChannelOf,
  withLogicalChannel,
} from './command';
export {
  ApduDecodeError,
  ApduEncodeError,
  ApduError,
  ApduProtocolError,
  CardRemovedError,
  HexDecodeError,
  ReaderUnavailableError,
  TlvDecodeError,
  TransportError,
  TransportTimeoutError,
} from './errors';
export { fromHex, hex } from './hex';
export { decodeResponse, encodeResponse, type ResponseApdu } from './response';
export { describeStatusWord, registerStatusWords, type StatusWordInfo, SW } from './status-words';
export { MAX_GET_RESPONSE_ROUNDS, MAX_WRONG_LE_RETRIES, transmitT0 } from './t0';
export { encodeTlv, findTlv, type ParseTlvOptions, parseTlv, type Tlv } from './tlv';
export { type Transport, transceive } from './transport';
