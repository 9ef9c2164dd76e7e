/**
 * Raw APDU exchange for the conformance suite. Deliberately independent of @huduma/apdu and the
 * SDK: the suite judges a card by the bytes of SPEC.md alone, so it builds every command itself.
 */
import { toHex } from '@huduma/card-applet-spec';

/** The one thing the suite needs from a card connection (structurally @huduma/apdu's Transport). */
export interface CardTransport {
  transmit(command: Uint8Array): Promise<Uint8Array>;
  close?(): Promise<void>;
}

export interface RawResponse {
  data: Uint8Array;
  sw: number;
}

/** Short APDU, case 1-4. `le` 256 is written 00. */
export function shortApdu(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data?: Uint8Array,
  le?: number,
): Uint8Array {
  if (data && data.length > 255)
    throw new RangeError(`short APDU data must be <= 255 bytes, got ${data.length}`);
  const out = [cla, ins, p1, p2];
  if (data && data.length > 0) out.push(data.length, ...data);
  if (le !== undefined) out.push(le & 0xff);
  return new Uint8Array(out);
}

export function parseResponse(bytes: Uint8Array): RawResponse {
  if (bytes.length < 2) throw new Error(`response of ${bytes.length} bytes has no status word`);
  return { data: bytes.slice(0, -2), sw: (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]! };
}

export const swHex = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

/** A card connection that speaks raw APDUs, with T=0 61xx / 6Cxx handling and ISO chaining. */
export class RawCard {
  readonly log: string[] = [];
  constructor(readonly transport: CardTransport) {}

  async send(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, le?: number) {
    return this.sendBytes(shortApdu(cla, ins, p1, p2, data, le));
  }

  async sendBytes(apdu: Uint8Array): Promise<RawResponse> {
    let r = parseResponse(await this.transport.transmit(apdu));
    this.trace(apdu, r);
    // T=0 readers may answer 6Cxx (wrong Le) or 61xx (more data): follow them, bounded.
    if (r.sw >> 8 === 0x6c) {
      const again = apdu.slice();
      again[again.length - 1] = r.sw & 0xff;
      r = parseResponse(await this.transport.transmit(again));
      this.trace(again, r);
    }
    let data = r.data;
    for (let i = 0; i < 16 && r.sw >> 8 === 0x61; i++) {
      const getResponse = shortApdu(apdu[0]! & 0x03, 0xc0, 0, 0, undefined, r.sw & 0xff);
      r = parseResponse(await this.transport.transmit(getResponse));
      this.trace(getResponse, r);
      data = new Uint8Array([...data, ...r.data]);
    }
    return { data, sw: r.sw };
  }

  /**
   * Sends data of any length as an ISO 7816-4 chain of `chunk`-byte segments. Stops at the first
   * segment that does not answer 9000 and returns that answer.
   */
  async sendChained(cla: number, ins: number, p1: number, p2: number, data: Uint8Array, le = 0, chunk = 255) {
    for (let at = 0; ; at += chunk) {
      const end = Math.min(at + chunk, data.length);
      const last = end === data.length;
      const segment = data.subarray(at, end);
      const r = last
        ? await this.send(cla, ins, p1, p2, segment, le)
        : await this.send(cla | 0x10, ins, p1, p2, segment);
      if (last || r.sw !== 0x9000) return r;
    }
  }

  private trace(apdu: Uint8Array, r: RawResponse): void {
    this.log.push(`> ${toHex(apdu)}`, `< ${toHex(r.data)} ${swHex(r.sw)}`);
    if (this.log.length > 400) this.log.splice(0, this.log.length - 400);
  }
}
