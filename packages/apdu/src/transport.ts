import { chainCommand } from './chaining';
import type { CommandApdu } from './command';
import { decodeResponse, type ResponseApdu } from './response';
import { transmitT0 } from './t0';

/**
 * The one interface every card connection implements (simulator, PC/SC reader, trace replay):
 * send one command APDU, get back one response APDU (data followed by SW1 SW2).
 *
 * Implementations report link failures with `TransportError` or its subclasses
 * (`CardRemovedError`, `ReaderUnavailableError`, `TransportTimeoutError`).
 */
export interface Transport {
  /** Sends one encoded command APDU and resolves with the raw response APDU. */
  transmit(command: Uint8Array): Promise<Uint8Array>;
  /** Releases the connection; optional for transports with nothing to release. */
  close?(): Promise<void>;
}

/**
 * Sends a command over `transport` the way applications want it: data longer than `opts.maxChunk`
 * (default 255) is split with {@link chainCommand}, each command goes through {@link transmitT0}
 * (61xx / 6Cxx handling), and the chain stops at the first intermediate response whose SW is not
 * 9000, which is then returned. Otherwise the final response is returned; data of intermediate
 * 9000 responses is discarded.
 */
export async function transceive(
  transport: Transport,
  command: CommandApdu,
  opts?: { maxChunk?: number },
): Promise<ResponseApdu> {
  const chain = chainCommand(command, opts?.maxChunk ?? 255);
  const send = (bytes: Uint8Array) => transport.transmit(bytes);
  for (let i = 0; i < chain.length - 1; i++) {
    const response = decodeResponse(await transmitT0(send, chain[i]!));
    if (response.sw !== 0x9000) return response;
  }
  return decodeResponse(await transmitT0(send, chain[chain.length - 1]!));
}
