import { type CommandApdu, encodeCommand, logicalChannelOf, withLogicalChannel } from './command';
import { ApduProtocolError } from './errors';
import { decodeResponse, encodeResponse } from './response';

/** How many GET RESPONSE rounds {@link transmitT0} sends for one command before giving up. */
export const MAX_GET_RESPONSE_ROUNDS = 64;
/** How many 6Cxx "resend with this Le" answers {@link transmitT0} follows for one command. */
export const MAX_WRONG_LE_RETRIES = 4;

const INS_GET_RESPONSE = 0xc0;

/**
 * Sends `command` and applies the T=0 response rules, returning the final response APDU bytes
 * (all collected data followed by the last SW1 SW2):
 *
 * - `61xx`: sends GET RESPONSE (`00 C0 00 00 xx`, on the command's logical channel) and appends the
 *   data, repeating while the card answers 61xx — at most {@link MAX_GET_RESPONSE_ROUNDS} times;
 * - `6Cxx`: re-encodes and resends the same command (or GET RESPONSE) with `Le = xx` (00 → 256) —
 *   at most {@link MAX_WRONG_LE_RETRIES} times in a row.
 *
 * Exceeding either bound throws {@link ApduProtocolError} (`ERR_T0_GET_RESPONSE_LIMIT`,
 * `ERR_T0_WRONG_LE_LIMIT`), so a misbehaving card cannot hang the caller. A reply shorter than 2
 * bytes throws `ApduDecodeError`; errors from `transmitRaw` propagate unchanged.
 */
export async function transmitT0(
  transmitRaw: (cmd: Uint8Array) => Promise<Uint8Array>,
  command: CommandApdu,
): Promise<Uint8Array> {
  const collected: Uint8Array[] = [];
  let collectedLength = 0;
  let current: CommandApdu = command;
  let getResponseRounds = 0;
  let wrongLeRetries = 0;
  for (;;) {
    const response = decodeResponse(await transmitRaw(encodeCommand(current)));
    if (response.sw1 === 0x6c) {
      wrongLeRetries++;
      if (wrongLeRetries > MAX_WRONG_LE_RETRIES) {
        throw new ApduProtocolError(
          'ERR_T0_WRONG_LE_LIMIT',
          `card answered 6Cxx ${wrongLeRetries} times in a row (last ${response.sw.toString(16).toUpperCase()}); giving up`,
        );
      }
      current = { ...current, le: response.sw2 === 0 ? 256 : response.sw2 };
      continue;
    }
    wrongLeRetries = 0;
    if (response.data.length > 0) {
      collected.push(response.data);
      collectedLength += response.data.length;
    }
    if (response.sw1 === 0x61) {
      getResponseRounds++;
      if (getResponseRounds > MAX_GET_RESPONSE_ROUNDS) {
        throw new ApduProtocolError(
          'ERR_T0_GET_RESPONSE_LIMIT',
          `card still answered 61xx after ${MAX_GET_RESPONSE_ROUNDS} GET RESPONSE rounds (${collectedLength} bytes collected); giving up`,
        );
      }
      current = {
        cla: withLogicalChannel(0x00, logicalChannelOf(command.cla)),
        ins: INS_GET_RESPONSE,
        p1: 0x00,
        p2: 0x00,
        le: response.sw2 === 0 ? 256 : response.sw2,
      };
      continue;
    }
    const data = new Uint8Array(collectedLength);
    let at = 0;
    for (const part of collected) {
      data.set(part, at);
      at += part.length;
    }
    return encodeResponse(data, response.sw);
  }
}
