/**
 * The PN532 transport through the real `serialport` binding on a real pty pair (socat), against
 * the simulator at the other end: card events, APDUs (chained both ways), the SDK's purse and
 * debit, and every fault the line and the card can throw, each as its typed error.
 */
import { CardRemovedError, TransportTimeoutError } from '@huduma/apdu';
import { HUDUMA_ATR, issueTestCard, type VirtualCard } from '@huduma/card-simulator';
import { DevPki, type IssuedTerminal } from '@huduma/pki';
import { HudumaCard, InMemoryCardLinkCache } from '@huduma/sdk';
import { Pn532FrameError, Pn532Reader } from '@huduma/transport-pn532';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPtyPair, SocatMissingError } from '../src/index';
import { type SerialRig, serialRig, tap, until } from './rig';

/** Answers every APDU with its own bytes repeated to `answerLength`, then 90 00. */
function echoCard(answerLength: number): VirtualCard & { received: Uint8Array[] } {
  const received: Uint8Array[] = [];
  return {
    atr: HUDUMA_ATR,
    received,
    powerOn() {},
    powerOff() {},
    reset() {},
    transmit(apdu) {
      received.push(apdu);
      const out = new Uint8Array(answerLength + 2).map((_, i) => apdu[i % apdu.length]!);
      out.set([0x90, 0x00], answerLength);
      return out;
    },
  };
}

const SELECT = Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x02, 0xa0, 0x00);

let pki: DevPki;
let terminal: IssuedTerminal;
beforeAll(async () => {
  pki = DevPki.inMemory();
  terminal = await pki.issueTerminal({
    terminalId: 'T-PN532',
    merchantId: 'M-0001',
    capabilities: ['DEBIT'],
  });
});

describe('PN532 over a pty: reader and card', () => {
  let rig: SerialRig;
  beforeAll(async () => {
    rig = await serialRig();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('identifies the PN532 and reports cards coming and going with the PC/SC ATR', async () => {
    expect(rig.reader.firmware).toEqual({ ic: 0x32, version: 1, revision: 6, support: 7 });
    expect(rig.reader.readers()).toEqual([rig.reader.name]);
    const events: string[] = [];
    rig.reader.on('card-inserted', () => events.push('in'));
    rig.reader.on('card-removed', () => events.push('out'));
    rig.sim.insert(echoCard(4));
    const inserted = await rig.reader.waitForCard(undefined, { timeoutMs: 5000 });
    expect(inserted.atr).toEqual(HUDUMA_ATR);
    rig.sim.remove();
    await until('card-removed', () => events.includes('out'));
    expect(events).toEqual(['in', 'out']);
    await expect(rig.reader.connect()).rejects.toMatchObject({ code: 'ERR_CARD_REMOVED' });
  });

  it('carries long APDUs in MI-chained InDataExchanges both ways', async () => {
    const card = echoCard(700);
    const connection = await tap(rig, card);
    const long = new Uint8Array(600).map((_, i) => (i * 7) & 0xff);
    const answer = await connection.transmit(long);
    expect(card.received.at(-1)).toEqual(long);
    expect(answer.length).toBe(702);
    expect(answer.subarray(0, 600)).toEqual(long);
    expect([...answer.subarray(700)]).toEqual([0x90, 0x00]);
    expect(await connection.transmit(SELECT)).toHaveLength(702);
    await connection.close();
    rig.sim.remove();
  });

  it('the SDK reads the purse and debits through the serial line', async () => {
    const testCard = await issueTestCard({ pki, balance: 50_000 });
    const connection = await tap(rig, testCard.card);
    const options = {
      trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
      terminal,
      linkCache: new InMemoryCardLinkCache(),
    };
    const card = await HudumaCard.select(connection, options);
    expect((await card.readPurse()).balance).toBe(50_000);
    const result = await card.debit({ amount: 1_250, terminalSeq: 1, billRef: 'PTY', serviceCode: 1 });
    expect(result.outcome).toBe('executed');
    expect((await card.readPurse()).balance).toBe(48_750);
    expect(testCard.card.state.balance).toBe(48_750);
    await connection.close();
    rig.sim.remove();
  });
});

describe('PN532 over a pty: faults, each a typed error', () => {
  let rig: SerialRig;
  beforeAll(async () => {
    rig = await serialRig({ reader: { responseTimeoutMs: 300, ackTimeoutMs: 300, maxRetries: 2 } });
  });
  afterAll(async () => {
    await rig?.close();
  });
  afterEach(() => {
    rig.sim.setSlowCard(0);
  });

  const connected = (card: VirtualCard = echoCard(8)) => tap(rig, card);

  it('a corrupted answer is asked for again (NACK) and the right answer comes back', async () => {
    const connection = await connected();
    const nacks = rig.reader.lineStats.nacksSent;
    rig.sim.corruptNextAnswers(1);
    const answer = await connection.transmit(SELECT);
    expect([...answer.subarray(-2)]).toEqual([0x90, 0x00]);
    expect(rig.reader.lineStats.nacksSent).toBe(nacks + 1);
  });

  it('a byte dropped from an answer: the cut frame is abandoned, resent, and the answer is right', async () => {
    const connection = await connected();
    rig.sim.dropByteInNextAnswers(1);
    const answer = await connection.transmit(SELECT);
    expect(answer.subarray(0, 8)).toEqual(new Uint8Array(8).map((_, i) => SELECT[i % SELECT.length]!));
  });

  it('answers garbled every time: ERR_PN532_BAD_FRAME, and the line works again afterwards', async () => {
    const connection = await connected();
    rig.sim.corruptNextAnswers(10);
    const error = await connection.transmit(SELECT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Pn532FrameError);
    expect(error).toMatchObject({ code: 'ERR_PN532_BAD_FRAME', reason: 'data-checksum' });
    expect((error as Error).message).toContain('garbled');
    rig.sim.clearFaults();
    const again = await connected();
    expect(await again.transmit(SELECT)).toHaveLength(10);
  });

  it('the answer to a chosen APDU garbled: resent while the NACKs last, then ERR_PN532_BAD_FRAME with the card having run it', async () => {
    const card = echoCard(8);
    const connection = await connected(card);
    const READ = Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x08);
    const nacks = rig.reader.lineStats.nacksSent;
    rig.sim.corruptAnswersToNextApdu({ times: 2, when: (apdu) => apdu[1] === 0xa4 });
    expect([...(await connection.transmit(READ)).subarray(-2)]).toEqual([0x90, 0x00]);
    expect(rig.reader.lineStats.nacksSent, 'an APDU not picked is not touched').toBe(nacks);
    expect((await connection.transmit(SELECT)).subarray(0, 7)).toEqual(SELECT);
    expect(rig.reader.lineStats.nacksSent, 'two garbled answers, two NACKs (the link allows two)').toBe(
      nacks + 2,
    );

    const ran = card.received.length;
    rig.sim.corruptAnswersToNextApdu({ times: 3, when: (apdu) => apdu[1] === 0xa4 });
    const error = await connection.transmit(SELECT).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_PN532_BAD_FRAME', reason: 'data-checksum' });
    expect(card.received.length, 'the card ran the command whose answer was lost').toBe(ran + 1);
    expect(() => rig.sim.corruptAnswersToNextApdu({ times: 0 })).toThrow(RangeError);
    rig.sim.clearFaults();
  });

  it('a card slower than the timeout: ERR_TRANSPORT_TIMEOUT, not a removal', async () => {
    const connection = await connected();
    rig.sim.setSlowCard(1500);
    const error = await connection.transmit(SELECT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportTimeoutError);
    expect(error).not.toBeInstanceOf(CardRemovedError);
  });

  it('a command lost on the line (no ACK): ERR_TRANSPORT_TIMEOUT', async () => {
    const connection = await connected();
    rig.sim.muteNextCommands(1);
    await expect(connection.transmit(SELECT)).rejects.toMatchObject({ code: 'ERR_TRANSPORT_TIMEOUT' });
  });

  it.each([false, true])(
    'the card pulled mid-APDU (after it processed it: %s) is ERR_CARD_REMOVED, and stays so',
    async (afterCardProcessed) => {
      const card = echoCard(8);
      const connection = await connected(card);
      const before = card.received.length;
      const removed = rig.sim.removeCardDuringNextApdu({ afterCardProcessed });
      const error = await connection.transmit(SELECT).catch((e: unknown) => e);
      await removed;
      expect(error).toBeInstanceOf(CardRemovedError);
      expect(card.received.length).toBe(before + (afterCardProcessed ? 1 : 0));
      expect(rig.reader.state()?.cardPresent).toBe(false);
      await expect(connection.transmit(SELECT)).rejects.toMatchObject({ code: 'ERR_CARD_REMOVED' });
    },
  );
});

describe('PN532 over a pty: the line itself', () => {
  it('a path that does not exist: ERR_READER_UNAVAILABLE naming it', async () => {
    const error = await Pn532Reader.open('/dev/no-such-pn532').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_READER_UNAVAILABLE' });
    expect((error as Error).message).toContain('/dev/no-such-pn532');
  });

  it('nothing at the other end of the line: ERR_TRANSPORT_TIMEOUT saying no ACK', async () => {
    const pty = await openPtyPair();
    try {
      const error = await Pn532Reader.open(pty.host, { ackTimeoutMs: 100, maxRetries: 1 }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ERR_TRANSPORT_TIMEOUT' });
      expect((error as Error).message).toContain('no ACK');
    } finally {
      await pty.close();
    }
  });

  it('socat missing: a clear error saying how to install it, not a skip', async () => {
    const error = await openPtyPair({ socat: '/nonexistent/socat' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SocatMissingError);
    expect((error as Error).message).toContain('apt-get install socat');
  });
});
