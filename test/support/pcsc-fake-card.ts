import { fromHex } from '@huduma/card-applet-spec';
import type { VirtualCard } from '@huduma/sim-vpcd';

/**
 * A small card for exercising the PC/SC stack (not the Huduma applet). Card module for the harness:
 * it exports `createCard(options)` like every module the card host can load.
 *
 * Instructions (CLA 00 or 80):
 * - A4 SELECT: 9000
 * - 01 ECHO: returns the command data, 9000 (works with extended APDUs)
 * - 02 LONG: P1P2 = n; answers 61xx and hands out n bytes (i & 0xFF) through GET RESPONSE (C0)
 * - 03 EXACT-LE: P1 = n; answers 6Cnn unless Le == n, then n bytes (0xA0 + i) and 9000
 * - 04 SLOW: waits P1 * 100 ms, then 9000
 * - 06 LOG-APPEND: appends the data (as UTF-8) to a log kept while the card is inserted; 9000
 * - 07 LOG-READ: returns the log joined with '\n' (extended Le if needed), 9000
 * - anything else: 6D00
 */
export interface FakeCardOptions {
  /** ATR as hex; default offers T=0 and T=1. */
  atrHex?: string;
}

/** ATR offering T=0 and T=1 (TD1 = T=0, TD2 = T=1). */
export const ATR_T0_T1 = '3B80800101';
/** ATR offering only T=0 (no interface bytes, two historical bytes). */
export const ATR_T0 = '3B021450';
/** ATR offering only T=1 (TD1 = T=1) with its check byte. */
export const ATR_T1 = '3B800181';

interface ParsedCommand {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  le: number | undefined;
}

function parse(apdu: Uint8Array): ParsedCommand {
  const [cla = 0, ins = 0, p1 = 0, p2 = 0] = apdu;
  const body = apdu.subarray(4);
  if (body.length === 0) return { cla, ins, p1, p2, data: new Uint8Array(0), le: undefined };
  if (body.length === 1) return { cla, ins, p1, p2, data: new Uint8Array(0), le: body[0] || 256 };
  if (body[0] === 0 && body.length >= 3) {
    const n = (body[1]! << 8) | body[2]!;
    if (body.length === 3) return { cla, ins, p1, p2, data: new Uint8Array(0), le: n || 65536 };
    const data = body.subarray(3, 3 + n);
    const rest = body.subarray(3 + n);
    const le = rest.length === 2 ? (rest[0]! << 8) | rest[1]! || 65536 : undefined;
    return { cla, ins, p1, p2, data, le };
  }
  const lc = body[0]!;
  const data = body.subarray(1, 1 + lc);
  const rest = body.subarray(1 + lc);
  return { cla, ins, p1, p2, data, le: rest.length === 1 ? rest[0] || 256 : undefined };
}

function respond(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

export class FakeCard implements VirtualCard {
  readonly atr: Uint8Array;
  powered = false;
  resets = 0;
  private pending: Uint8Array | undefined;
  private log: string[] = [];

  constructor(options: FakeCardOptions = {}) {
    this.atr = fromHex(options.atrHex ?? ATR_T0_T1);
  }

  powerOn(): void {
    this.powered = true;
  }

  powerOff(): void {
    this.powered = false;
    this.pending = undefined;
  }

  reset(): void {
    this.resets++;
    this.pending = undefined;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const cmd = parse(apdu);
    if (cmd.ins !== 0xc0) this.pending = undefined;
    switch (cmd.ins) {
      case 0xa4:
        return respond(new Uint8Array(0), 0x9000);
      case 0x01:
        return respond(cmd.data, 0x9000);
      case 0x02: {
        const n = (cmd.p1 << 8) | cmd.p2;
        this.pending = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
        return respond(new Uint8Array(0), 0x6100 | (n >= 256 ? 0 : n));
      }
      case 0xc0: {
        const pending = this.pending;
        if (!pending) return respond(new Uint8Array(0), 0x6985);
        const chunk = pending.subarray(0, Math.min(cmd.le ?? 256, pending.length));
        const rest = pending.subarray(chunk.length);
        this.pending = rest.length > 0 ? rest : undefined;
        return respond(chunk, rest.length > 0 ? 0x6100 | (rest.length >= 256 ? 0 : rest.length) : 0x9000);
      }
      case 0x03: {
        const n = cmd.p1;
        if (cmd.le !== (n || 256)) return respond(new Uint8Array(0), 0x6c00 | n);
        return respond(
          Uint8Array.from({ length: n || 256 }, (_, i) => (0xa0 + i) & 0xff),
          0x9000,
        );
      }
      case 0x04:
        await new Promise((resolve) => setTimeout(resolve, cmd.p1 * 100));
        return respond(new Uint8Array(0), 0x9000);
      case 0x06:
        this.log.push(new TextDecoder().decode(cmd.data));
        return respond(new Uint8Array(0), 0x9000);
      case 0x07:
        return respond(new TextEncoder().encode(this.log.join('\n')), 0x9000);
      default:
        return respond(new Uint8Array(0), 0x6d00);
    }
  }
}

/** Entry point used by the card host (`--card-module`). */
export function createCard(options?: FakeCardOptions): VirtualCard {
  return new FakeCard(options);
}
