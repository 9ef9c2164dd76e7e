import type { CommandApdu } from './command';
import { ApduEncodeError } from './errors';

/** CLA bit b5: "command is not the last of a chain" (ISO 7816-4 §5.3.3). */
export const CLA_CHAINING = 0x10;

/**
 * Splits a command whose data exceeds `maxChunk` bytes (default 255, the short-form limit) into a
 * chain: every command but the last carries `CLA | 0x10` and no Le; the last carries the original
 * CLA and Le. A command that fits is returned unchanged as a one-element array.
 *
 * Throws {@link ApduEncodeError} (`ERR_APDU_BAD_CHUNK`) unless `maxChunk` is an integer 1..65535.
 */
export function chainCommand(cmd: CommandApdu, maxChunk = 255): CommandApdu[] {
  if (!Number.isInteger(maxChunk) || maxChunk < 1 || maxChunk > 65535) {
    throw new ApduEncodeError('ERR_APDU_BAD_CHUNK', `maxChunk must be an integer 1..65535, got ${maxChunk}`);
  }
  const data = cmd.data;
  if (data === undefined || data.length <= maxChunk) return [cmd];
  const chain: CommandApdu[] = [];
  for (let start = 0; start < data.length; start += maxChunk) {
    const end = Math.min(start + maxChunk, data.length);
    const chunk = data.slice(start, end);
    if (end < data.length) {
      chain.push({ cla: cmd.cla | CLA_CHAINING, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data: chunk });
    } else {
      const last: CommandApdu = { cla: cmd.cla, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data: chunk };
      if (cmd.le !== undefined) last.le = cmd.le;
      chain.push(last);
    }
  }
  return chain;
}
