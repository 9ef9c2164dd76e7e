import { describe, expect, it } from 'vitest';
import { chainCommand } from './chaining';
import { type CommandApdu, decodeCommand } from './command';
import { ApduDecodeError, ApduProtocolError, CardRemovedError, TransportError } from './errors';
import { fromHex, hex } from './hex';
import { encodeResponse } from './response';
import { transmitT0 } from './t0';
import { type Transport, transceive } from './transport';

/** A fake card: answers from a script keyed by call order, recording what it was sent. */
function scriptedCard(answers: string[]) {
  const sent: string[] = [];
  const transmit = async (cmd: Uint8Array) => {
    sent.push(hex(cmd));
    const answer = answers[sent.length - 1];
    if (answer === undefined) throw new Error(`fake card got unexpected command ${hex(cmd)}`);
    return fromHex(answer);
  };
  return { sent, transmit };
}

const readBinary: CommandApdu = { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 256 };

describe('transmitT0', () => {
  it('passes a plain 9000 response through', async () => {
    const card = scriptedCard(['AABB9000']);
    expect(hex(await transmitT0(card.transmit, readBinary))).toBe('AABB9000');
    expect(card.sent).toEqual(['00B0000000']);
  });

  it('follows 61xx with GET RESPONSE and concatenates data', async () => {
    const card = scriptedCard(['6104', '010203046102', '05069000']);
    const cmd: CommandApdu = { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: fromHex('A0000000031010') };
    expect(hex(await transmitT0(card.transmit, cmd))).toBe('0102030405069000');
    expect(card.sent).toEqual(['00A4040007A0000000031010', '00C0000004', '00C0000002']);
  });

  it('keeps the logical channel on GET RESPONSE and maps 6100 to Le 256', async () => {
    const card = scriptedCard(['6100', '9000']);
    await transmitT0(card.transmit, { cla: 0x82, ins: 0xca, p1: 0x9f, p2: 0x7f });
    expect(card.sent[1]).toBe('02C0000000');
    const card2 = scriptedCard(['6110', '9000']);
    await transmitT0(card2.transmit, { cla: 0x45, ins: 0xca, p1: 0x9f, p2: 0x7f });
    expect(card2.sent[1]).toBe('45C0000010');
  });

  it('answers 6Cxx by re-encoding the same command with Le = xx', async () => {
    const card = scriptedCard(['6C08', '11223344556677889000']);
    const cmd: CommandApdu = { cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x36, le: 256 };
    expect(hex(await transmitT0(card.transmit, cmd))).toBe('11223344556677889000');
    expect(card.sent).toEqual(['80CA9F3600', '80CA9F3608']);
    expect(decodeCommand(fromHex(card.sent[1]!))).toMatchObject({ ...cmd, le: 8 });
  });

  it('handles 6Cxx in the middle of a GET RESPONSE sequence', async () => {
    const card = scriptedCard(['AA6105', '6C03', 'BBCCDD9000']);
    expect(hex(await transmitT0(card.transmit, readBinary))).toBe('AABBCCDD9000');
    expect(card.sent).toEqual(['00B0000000', '00C0000005', '00C0000003']);
  });

  it('returns the error SW (with data gathered so far) when GET RESPONSE fails', async () => {
    const card = scriptedCard(['AA6102', '6F00']);
    expect(hex(await transmitT0(card.transmit, readBinary))).toBe('AA6F00');
  });

  it('gives up with ERR_T0_GET_RESPONSE_LIMIT on a card that sends 61xx forever', async () => {
    let calls = 0;
    const endless = async () => {
      calls++;
      return fromHex('6101');
    };
    const err = await transmitT0(endless, readBinary).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApduProtocolError);
    expect((err as ApduProtocolError).code).toBe('ERR_T0_GET_RESPONSE_LIMIT');
    expect(calls).toBe(65);
  });

  it('gives up with ERR_T0_WRONG_LE_LIMIT on a card that sends 6Cxx forever', async () => {
    const err = await transmitT0(async () => fromHex('6C10'), readBinary).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApduProtocolError);
    expect((err as ApduProtocolError).code).toBe('ERR_T0_WRONG_LE_LIMIT');
  });

  it('rejects a reply shorter than a status word with ApduDecodeError', async () => {
    const err = await transmitT0(async () => fromHex('90'), readBinary).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApduDecodeError);
    expect((err as ApduDecodeError).code).toBe('ERR_APDU_TOO_SHORT');
  });

  it('propagates transport errors unchanged', async () => {
    const removed = new CardRemovedError();
    const err = await transmitT0(async () => Promise.reject(removed), readBinary).catch((e: unknown) => e);
    expect(err).toBe(removed);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ERR_CARD_REMOVED');
  });
});

describe('chainCommand', () => {
  it('splits data with CLA|10 on all but the last and Le only on the last', () => {
    const data = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
    const chain = chainCommand({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data, le: 256 });
    expect(chain.map((c) => [c.cla, c.data?.length, c.le])).toEqual([
      [0x90, 255, undefined],
      [0x90, 255, undefined],
      [0x80, 90, 256],
    ]);
    expect(hex(Uint8Array.from(chain.flatMap((c) => [...c.data!])))).toBe(hex(data));
  });

  it('returns a fitting command unchanged', () => {
    const cmd = { cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(255) };
    expect(chainCommand(cmd)).toEqual([cmd]);
  });
});

describe('transceive', () => {
  function transportFrom(answer: (cmd: Uint8Array, index: number) => string) {
    const sent: string[] = [];
    const transport: Transport = {
      transmit: async (cmd) => {
        sent.push(hex(cmd));
        return fromHex(answer(cmd, sent.length - 1));
      },
    };
    return { sent, transport };
  }

  it('chains long data and returns the last response, following 61xx', async () => {
    const { sent, transport } = transportFrom((_cmd, i) => ['9000', '9000', '6102', 'CAFE9000'][i]!);
    const data = new Uint8Array(700).fill(0x5a);
    const response = await transceive(transport, { cla: 0x00, ins: 0xda, p1: 0, p2: 0, data, le: 256 });
    expect(response).toMatchObject({ sw: 0x9000, sw1: 0x90, sw2: 0x00 });
    expect(hex(response.data)).toBe('CAFE');
    expect(sent.map((s) => s.slice(0, 10))).toEqual(['10DA0000FF', '10DA0000FF', '00DA0000BE', '00C0000002']);
  });

  it('stops at the first intermediate response that is not 9000', async () => {
    const { sent, transport } = transportFrom((_cmd, i) => ['9000', '6A80'][i]!);
    const data = new Uint8Array(700);
    const response = await transceive(transport, { cla: 0x00, ins: 0xda, p1: 0, p2: 0, data });
    expect(response.sw).toBe(0x6a80);
    expect(sent).toHaveLength(2);
  });

  it('honours maxChunk, switching to extended length when a chunk needs it', async () => {
    const { sent, transport } = transportFrom(() => '9000');
    const data = new Uint8Array(700);
    await transceive(transport, { cla: 0x00, ins: 0xda, p1: 0, p2: 0, data }, { maxChunk: 1000 });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.slice(0, 14)).toBe('00DA00000002BC');
    expect(encodeResponse(new Uint8Array(0), 0x9000)).toEqual(fromHex('9000'));
  });
});
