/**
 * The frame codec against the PN532 user manual (UM0701-02 §6.2) and hostile bytes. Randomised
 * runs take their seed from HUDUMA_SEED (printed on failure); re-run with HUDUMA_SEED=<seed>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACK_FRAME,
  atrFromAts,
  decodeFrame,
  ERROR_FRAME,
  encodeInformationFrame,
  FrameReader,
  historicalBytesOfAtr,
  MAX_FRAME_LENGTH,
  NACK_FRAME,
  type Pn532Frame,
  Pn532FrameError,
  parseTypeATarget,
  TFI_HOST,
  TFI_PN532,
} from '../src/index';

const SEED = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);
const runs = { seed: SEED, numRuns: 300, endOnFailure: true };
const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function decodeAll(bytes: Uint8Array): Pn532Frame[] {
  return new FrameReader().push(bytes).flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
}

describe('frames of the user manual', () => {
  it('encodes GetFirmwareVersion and SAMConfiguration as the manual shows them', () => {
    expect(encodeInformationFrame(TFI_HOST, h('02'))).toEqual(h('00 00 FF 02 FE D4 02 2A 00'));
    expect(encodeInformationFrame(TFI_HOST, h('14 01 14 01'))).toEqual(
      h('00 00 FF 05 FB D4 14 01 14 01 02 00'),
    );
  });

  it('decodes the firmware version answer of a PN532 v1.6', () => {
    const decoded = decodeFrame(h('00 FF 06 FA D5 03 32 01 06 07 E8 00'));
    expect(decoded?.consumed).toBe(12);
    expect(decoded?.frame).toEqual({ kind: 'information', tfi: TFI_PN532, data: h('03 32 01 06 07') });
  });

  it('knows ACK, NACK and the error frame', () => {
    expect(decodeAll(ACK_FRAME)).toEqual([{ kind: 'ack' }]);
    expect(decodeAll(NACK_FRAME)).toEqual([{ kind: 'nack' }]);
    expect(ACK_FRAME).toEqual(h('00 00 FF 00 FF 00'));
    expect(NACK_FRAME).toEqual(h('00 00 FF FF 00 00'));
    expect(ERROR_FRAME).toEqual(h('00 00 FF 01 FF 7F 81 00'));
    expect(decodeAll(ERROR_FRAME)).toEqual([{ kind: 'error' }]);
  });

  it('uses an extended frame (00 00 FF FF FF LENM LENL LCS) above 254 bytes', () => {
    const data = new Uint8Array(264).map((_, i) => i & 0xff);
    const frame = encodeInformationFrame(TFI_HOST, data);
    expect([...frame.subarray(0, 8)]).toEqual([0x00, 0x00, 0xff, 0xff, 0xff, 0x01, 0x09, 0xf6]);
    expect(decodeAll(frame)).toEqual([{ kind: 'information', tfi: TFI_HOST, data }]);
    expect(encodeInformationFrame(TFI_HOST, new Uint8Array(253))[3]).toBe(0xfe); // still normal
  });

  it('refuses frames with a wrong LCS, DCS, postamble or TFI, with a typed error', () => {
    const bad = (hex: string, reason: string) => {
      let thrown: unknown;
      try {
        decodeFrame(h(hex));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(Pn532FrameError);
      expect(thrown).toMatchObject({ code: 'ERR_PN532_BAD_FRAME', reason });
    };
    bad('00 FF 06 FB D5 03 32 01 06 07 E8 00', 'length-checksum');
    bad('00 FF 06 FA D5 03 32 01 06 07 E9 00', 'data-checksum');
    bad('00 FF 06 FA D5 03 32 01 06 07 E8 01', 'postamble');
    bad('00 FF 02 FE D6 02 28 00', 'bad-tfi');
    bad('00 FF FF FF 01 0B F4', 'too-long');
  });

  it('waits for the rest of a frame cut short', () => {
    expect(decodeFrame(h('00 FF 06 FA D5 03 32'))).toBeUndefined();
    const reader = new FrameReader();
    expect(reader.push(h('55 55 00 00 00 00 FF 06 FA D5'))).toEqual([]);
    expect(reader.push(h('03 32 01 06 07 E8 00'))).toEqual([
      { type: 'frame', frame: { kind: 'information', tfi: TFI_PN532, data: h('03 32 01 06 07') } },
    ]);
  });

  it('reads an InListPassiveTarget answer for an ISO 14443-4 card and builds its PC/SC ATR', () => {
    // NbTg 1, Tg 1, SENS_RES 0004, SEL_RES 20, NFCID1 (4), ATS 0B 78 77 81 02 + "HUDUMA"
    const answer = h('01 01 00 04 20 04 08 11 22 33 0B 78 77 81 02 48 55 44 55 4D 41');
    const target = parseTypeATarget(answer)!;
    expect(target).toMatchObject({ tg: 1, sensRes: 4, selRes: 0x20, uid: h('08112233') });
    const atr = atrFromAts(target.ats);
    expect(atr).toEqual(h('3B 86 80 01 48 55 44 55 4D 41 07'));
    expect(historicalBytesOfAtr(atr)).toEqual(h('48 55 44 55 4D 41'));
    expect(parseTypeATarget(h('00'))).toBeUndefined();
  });
});

describe('hostile bytes (seeded)', () => {
  it(`decodeFrame on random bytes returns, waits or throws Pn532FrameError — nothing else (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => {
        const bytes = Uint8Array.of(0x00, 0xff, ...tail);
        try {
          const decoded = decodeFrame(bytes);
          if (decoded) expect(decoded.consumed).toBeLessThanOrEqual(bytes.length);
        } catch (error) {
          expect(error).toBeInstanceOf(Pn532FrameError);
        }
      }),
      runs,
    );
  });

  it(`FrameReader never throws, never holds more than one frame, on any stream (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 20 }), (chunks) => {
        const reader = new FrameReader();
        for (const chunk of chunks) {
          reader.push(chunk);
          expect(reader.pending).toBeLessThanOrEqual(MAX_FRAME_LENGTH + 9);
        }
      }),
      runs,
    );
  });

  it(`frames survive any chunking and garbage between them (seed ${SEED})`, () => {
    const frame = fc.oneof(
      fc.constant<Pn532Frame>({ kind: 'ack' }),
      fc.constant<Pn532Frame>({ kind: 'nack' }),
      fc.constant<Pn532Frame>({ kind: 'error' }),
      fc
        .record({
          tfi: fc.constantFrom(TFI_HOST, TFI_PN532),
          data: fc.uint8Array({ maxLength: MAX_FRAME_LENGTH - 1 }),
        })
        .map((f): Pn532Frame => ({ kind: 'information', ...f })),
    );
    // Garbage without a 00 byte cannot start a frame, so every frame after it must come out.
    const garbage = fc.uint8Array({ min: 1, maxLength: 30 }).map((g) => g.map((b) => b || 0x55));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbage, frame), { maxLength: 8 }),
        fc.integer({ min: 1, max: 64 }),
        (items, cut) => {
          const stream = Buffer.concat(items.flatMap(([g, f]) => [g, encode(f)]));
          const reader = new FrameReader();
          const out: Pn532Frame[] = [];
          for (let i = 0; i < stream.length; i += cut) {
            for (const e of reader.push(stream.subarray(i, i + cut)))
              if (e.type === 'frame') out.push(e.frame);
          }
          expect(out).toEqual(items.map(([, f]) => f));
        },
      ),
      runs,
    );
  });
});

function encode(frame: Pn532Frame): Uint8Array {
  if (frame.kind === 'ack') return ACK_FRAME;
  if (frame.kind === 'nack') return NACK_FRAME;
  if (frame.kind === 'error') return ERROR_FRAME;
  return encodeInformationFrame(frame.tfi, frame.data);
}
