import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type VirtualCard, VPCD_CTRL, VpcdBridge } from '../src/index';

/** Plays the vpcd driver side: listens, frames messages, reads length-prefixed answers. */
class FakeDriver {
  server: Server;
  sockets: Socket[] = [];
  private frames: Uint8Array[] = [];
  private waiters: Array<(frame: Uint8Array) => void> = [];
  private buffered = Buffer.alloc(0);

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      socket.on('data', (chunk: Buffer) => {
        this.buffered = Buffer.concat([this.buffered, chunk]);
        while (this.buffered.length >= 2 && this.buffered.length >= 2 + this.buffered.readUInt16BE(0)) {
          const n = this.buffered.readUInt16BE(0);
          const frame = new Uint8Array(this.buffered.subarray(2, 2 + n));
          this.buffered = this.buffered.subarray(2 + n);
          const waiter = this.waiters.shift();
          if (waiter) waiter(frame);
          else this.frames.push(frame);
        }
      });
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  get current(): Socket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('no client connected');
    return socket;
  }

  async nextConnection(count: number): Promise<void> {
    while (this.sockets.length < count) await once(this.server, 'connection');
  }

  /** Sends like Debian's vpcd 3.3: length and payload in two writes. */
  send(payload: Uint8Array): void {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(payload.length);
    this.current.write(length);
    this.current.write(payload);
  }

  next(): Promise<Uint8Array> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

class RecordingCard implements VirtualCard {
  readonly atr = Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01);
  events: string[] = [];
  powerOn() {
    this.events.push('on');
  }
  powerOff() {
    this.events.push('off');
  }
  reset() {
    this.events.push('reset');
  }
  async transmit(apdu: Uint8Array) {
    this.events.push(`apdu:${Buffer.from(apdu).toString('hex')}`);
    if (apdu[1] === 0x04) await new Promise((r) => setTimeout(r, 30));
    return Uint8Array.of(...apdu.subarray(apdu[4] === 0 ? 7 : 5), 0x90, 0x00);
  }
}

describe('VpcdBridge against a fake vpcd driver', () => {
  let driver: FakeDriver;
  let bridge: VpcdBridge;

  afterEach(async () => {
    await bridge?.close();
    await driver?.close();
  });

  async function setup() {
    driver = new FakeDriver();
    const port = await driver.listen();
    bridge = new VpcdBridge({ port, reconnectDelayMs: 5 });
    const card = new RecordingCard();
    await bridge.insert(card);
    await driver.nextConnection(1);
    return card;
  }

  it('answers control messages and APDUs with length-prefixed frames, in order', async () => {
    const card = await setup();
    driver.send(Uint8Array.of(VPCD_CTRL.ON));
    driver.send(Uint8Array.of(VPCD_CTRL.ATR));
    expect(Buffer.from(await driver.next()).toString('hex')).toBe('3b80800101');
    // A slow command followed by a fast one: answers keep the order of the commands.
    driver.send(Uint8Array.of(0x00, 0x04, 0x00, 0x00, 0x01, 0xaa));
    driver.send(Uint8Array.of(0x00, 0x01, 0x00, 0x00, 0x01, 0xbb));
    expect(Buffer.from(await driver.next()).toString('hex')).toBe('aa9000');
    expect(Buffer.from(await driver.next()).toString('hex')).toBe('bb9000');
    driver.send(Uint8Array.of(VPCD_CTRL.RESET));
    driver.send(Uint8Array.of(VPCD_CTRL.OFF));
    driver.send(Uint8Array.of(VPCD_CTRL.ATR));
    await driver.next();
    expect(card.events).toEqual(['on', 'apdu:0004000001aa', 'apdu:0001000001bb', 'reset', 'off']);
    expect(bridge.commandsAnswered).toBe(2);
  });

  it('handles a large (extended) APDU split over many TCP segments', async () => {
    await setup();
    const data = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const apdu = Uint8Array.of(0x00, 0x01, 0x00, 0x00, 0x00, 0x0b, 0xb8, ...data);
    driver.send(apdu);
    const answer = await driver.next();
    expect(answer.length).toBe(3002);
    expect(answer.subarray(0, 3000)).toEqual(data);
  });

  it('remove() closes the connection; insert() connects again', async () => {
    await setup();
    const closed = once(driver.current, 'close');
    await bridge.remove();
    await closed;
    expect(bridge.inserted).toBe(false);
    await bridge.insert(new RecordingCard());
    await driver.nextConnection(2);
    expect(bridge.connected).toBe(true);
  });

  it('removeOnNextCommand() drops the connection instead of answering', async () => {
    await setup();
    const removal = bridge.removeOnNextCommand();
    const closed = once(driver.current, 'close');
    driver.send(Uint8Array.of(0x00, 0x01, 0x00, 0x00, 0x01, 0xcc));
    await removal;
    await closed;
    expect(bridge.commandsAnswered).toBe(0);
    expect(bridge.inserted).toBe(false);
  });

  it('reconnects by itself when the driver side drops an inserted card (pcscd restart)', async () => {
    await setup();
    driver.current.destroy();
    await driver.nextConnection(2);
    driver.send(Uint8Array.of(VPCD_CTRL.ATR));
    expect((await driver.next()).length).toBe(5);
  });

  it('keeps retrying while nothing listens, then connects', async () => {
    driver = new FakeDriver();
    const port = await driver.listen();
    await driver.close();
    bridge = new VpcdBridge({ port, reconnectDelayMs: 5, maxReconnectDelayMs: 20 });
    const inserted = bridge.insert(new RecordingCard());
    await new Promise((r) => setTimeout(r, 60));
    expect(bridge.connected).toBe(false);
    driver = new FakeDriver();
    driver.server.listen(port, '127.0.0.1');
    await inserted;
    expect(bridge.connected).toBe(true);
  });
});
