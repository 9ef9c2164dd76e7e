/**
 * A PN532 in HSU mode at the device end of a serial line, with a card slot: it answers the host
 * protocol as the controller does (wake-up, ACK, NACK = resend the last frame, ACK = abort, the
 * error frame for what it does not know) and carries APDUs to the hosted card. Faults are
 * injected on demand (next N answers) or at random rates from a seed.
 */
import type { VirtualCard } from '@huduma/card-simulator';
import {
  ACK_FRAME,
  type ByteLink,
  CMD,
  DIAGNOSE_CARD_PRESENCE,
  ERROR_FRAME,
  encodeInformationFrame,
  FrameReader,
  historicalBytesOfAtr,
  MAX_EXCHANGE_DATA,
  MI,
  openSerialLink,
  PN532_STATUS,
  type Pn532Frame,
  TFI_HOST,
  TFI_PN532,
} from '@huduma/transport-pn532';

export interface Pn532SimulatorOptions {
  /** Probability (0..1) that an answer frame goes out with one byte flipped (bad DCS). */
  corruptRate?: number;
  /** Probability (0..1) that an answer frame loses a byte on the way. */
  dropRate?: number;
  /** Extra time the card takes for every APDU, ms. */
  slowCardMs?: number;
  /** Seed of the random faults (same seed, same faults). */
  seed?: number;
}

export interface Pn532SimulatorStats {
  commands: number;
  apdus: number;
  nacksReceived: number;
  abortsReceived: number;
  framesCorrupted: number;
  framesCut: number;
}

/** GetFirmwareVersion of a PN532 v1.6 (IC 32, Ver 1, Rev 6, Support 07). */
const FIRMWARE = Uint8Array.of(0x32, 0x01, 0x06, 0x07);
const SENS_RES = Uint8Array.of(0x00, 0x04);
const SEL_RES_ISO_DEP = 0x20;

/** mulberry32: a small seeded generator, so a fault run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type ApduCorruption = { times: number; when?: (apdu: Uint8Array) => boolean };
type Removal = { afterCardProcessed: boolean; when?: (apdu: Uint8Array) => boolean; done: () => void };

export class Pn532Simulator {
  private readonly frames = new FrameReader();
  private readonly random: () => number;
  private readonly options: Required<Omit<Pn532SimulatorOptions, 'seed'>>;
  private awake = false;
  private lastSent: Uint8Array | undefined;
  private jobs: Promise<void> = Promise.resolve();
  private current: { aborted: boolean } | undefined;
  private card: VirtualCard | undefined;
  private powered = false;
  private activated = false;
  private uid = new Uint8Array(4);
  private chainIn: Uint8Array[] = [];
  private chainOut: Uint8Array | undefined;
  private corruptNext = 0;
  private cutNext = 0;
  private muteNext = 0;
  private removal: Removal | undefined;
  private apduCorruption: ApduCorruption | undefined;
  private closed = false;
  readonly seed: number;
  readonly stats: Pn532SimulatorStats = {
    commands: 0,
    apdus: 0,
    nacksReceived: 0,
    abortsReceived: 0,
    framesCorrupted: 0,
    framesCut: 0,
  };

  private constructor(
    private readonly link: ByteLink,
    options: Pn532SimulatorOptions,
  ) {
    this.seed = options.seed ?? (Date.now() ^ (process.pid << 8)) >>> 0;
    this.random = seededRandom(this.seed);
    this.options = {
      corruptRate: rate(options.corruptRate, 'corruptRate'),
      dropRate: rate(options.dropRate, 'dropRate'),
      slowCardMs: options.slowCardMs ?? 0,
    };
    link.onData((bytes) => this.receive(bytes));
    link.onClose(() => {
      this.closed = true;
    });
  }

  /** Opens the device end of the line at `path` (a pty made by openPtyPair, a real UART). */
  static async open(path: string, options: Pn532SimulatorOptions = {}): Promise<Pn532Simulator> {
    return new Pn532Simulator(await openSerialLink(path), options);
  }

  static over(link: ByteLink, options: Pn532SimulatorOptions = {}): Pn532Simulator {
    return new Pn532Simulator(link, options);
  }

  get cardPresent(): boolean {
    return this.card !== undefined;
  }

  /** Puts `card` in the field (any card already there leaves first). */
  insert(card: VirtualCard): void {
    if (this.card) this.remove();
    this.card = card;
    this.powered = false;
    this.activated = false;
    this.uid = Uint8Array.of(0x08, ...Array.from({ length: 3 }, () => Math.floor(this.random() * 256)));
  }

  /** Takes the card out of the field: it loses power (and its RAM). */
  remove(): void {
    if (this.card && this.powered) this.card.powerOff();
    this.card = undefined;
    this.powered = false;
    this.chainIn = [];
    this.chainOut = undefined;
  }

  /** The next `n` answer frames go out with a flipped byte. */
  corruptNextAnswers(n = 1): void {
    this.corruptNext += n;
  }

  /** The next `n` answer frames lose a byte in the middle. */
  dropByteInNextAnswers(n = 1): void {
    this.cutNext += n;
  }

  /** The next `n` commands are lost: no ACK, no answer. */
  muteNextCommands(n = 1): void {
    this.muteNext += n;
  }

  /** Cancels the pending one-shot faults (corrupt, drop, mute, removal, corrupted APDU answers). */
  clearFaults(): void {
    this.corruptNext = 0;
    this.cutNext = 0;
    this.muteNext = 0;
    this.removal = undefined;
    this.apduCorruption = undefined;
  }

  /**
   * The answer to the next APDU (the next one `when` picks, e.g. a DEBIT) goes out with a flipped
   * byte `times` times: once, and again for each NACK. The card runs the APDU all the same, so
   * more garbled answers than the host's resends lose the answer to a command the card obeyed.
   */
  corruptAnswersToNextApdu(options: ApduCorruption): void {
    if (!Number.isInteger(options.times) || options.times < 1)
      throw new RangeError(`times must be a positive integer, got ${options.times}`);
    this.apduCorruption = { ...options };
  }

  /** From now on every APDU takes `ms` longer (0: as fast as the card computes). */
  setSlowCard(ms: number): void {
    this.options.slowCardMs = ms;
  }

  /**
   * The card leaves the field during the next APDU: before it received it, or after it ran it
   * (its state changed, the answer is lost). With `when`, the next APDU `when` picks (a DEBIT).
   * Resolves once the card is out.
   */
  removeCardDuringNextApdu(options: {
    afterCardProcessed: boolean;
    when?: (apdu: Uint8Array) => boolean;
  }): Promise<void> {
    return new Promise((resolve) => {
      this.removal = { ...options, done: resolve };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.link.close();
  }

  private receive(bytes: Uint8Array): void {
    let chunk = bytes;
    if (!this.awake) {
      // Asleep (power-on low-battery mode on HSU): everything before a 0x55 is ignored.
      const wake = chunk.indexOf(0x55);
      if (wake < 0) return;
      this.awake = true;
      chunk = chunk.subarray(wake);
    }
    for (const event of this.frames.push(chunk)) {
      if (event.type === 'frame') this.onFrame(event.frame);
      // A garbled frame from the host is ignored, as the PN532 does: the host times out and resends.
    }
  }

  private onFrame(frame: Pn532Frame): void {
    if (frame.kind === 'nack') {
      this.stats.nacksReceived++;
      if (this.lastSent) this.send(this.lastSent, this.lastSent !== ACK_FRAME);
      return;
    }
    if (frame.kind === 'ack') {
      this.stats.abortsReceived++;
      if (this.current) this.current.aborted = true;
      return;
    }
    if (frame.kind !== 'information' || frame.tfi !== TFI_HOST || frame.data.length === 0) return;
    if (this.muteNext > 0) {
      this.muteNext--;
      return;
    }
    this.send(ACK_FRAME, false);
    const job = { aborted: false };
    this.jobs = this.jobs.then(async () => {
      this.current = job;
      this.stats.commands++;
      let answer: Uint8Array | undefined;
      try {
        answer = await this.execute(frame.data[0]!, frame.data.subarray(1));
      } catch {
        answer = undefined;
      }
      this.current = undefined;
      if (job.aborted || this.closed) return;
      this.send(
        answer
          ? encodeInformationFrame(TFI_PN532, Uint8Array.of(frame.data[0]! + 1, ...answer))
          : ERROR_FRAME,
        true,
      );
    });
  }

  private send(frame: Uint8Array, isAnswer: boolean): void {
    if (this.closed) return;
    this.lastSent = frame;
    let bytes = frame;
    if (isAnswer && (this.corruptNext > 0 || this.random() < this.options.corruptRate)) {
      if (this.corruptNext > 0) this.corruptNext--;
      this.stats.framesCorrupted++;
      bytes = frame.slice();
      bytes[bytes.length - 2]! ^= 0x5a; // the DCS: the frame arrives whole but fails its checksum
    } else if (isAnswer && (this.cutNext > 0 || this.random() < this.options.dropRate)) {
      if (this.cutNext > 0) this.cutNext--;
      this.stats.framesCut++;
      const at = Math.floor(bytes.length / 2);
      bytes = Uint8Array.of(...frame.subarray(0, at), ...frame.subarray(at + 1));
    }
    this.link.write(bytes).catch(() => undefined);
  }

  /** Runs one command; resolves with the answer data after the response code (undefined: error frame). */
  private async execute(code: number, params: Uint8Array): Promise<Uint8Array | undefined> {
    switch (code) {
      case CMD.GET_FIRMWARE_VERSION:
        return FIRMWARE;
      case CMD.SAM_CONFIGURATION:
      case CMD.RF_CONFIGURATION:
        return new Uint8Array(0);
      case CMD.DIAGNOSE:
        if (params[0] !== DIAGNOSE_CARD_PRESENCE) return params.length ? Uint8Array.of(0x00) : undefined;
        return Uint8Array.of(this.card && this.activated ? 0x00 : 0x01);
      case CMD.IN_LIST_PASSIVE_TARGET:
        return this.listPassiveTarget(params);
      case CMD.IN_RELEASE:
        this.activated = false;
        this.chainIn = [];
        this.chainOut = undefined;
        return Uint8Array.of(PN532_STATUS.OK);
      case CMD.IN_DATA_EXCHANGE:
        return this.dataExchange(params);
      default:
        return undefined;
    }
  }

  private listPassiveTarget(params: Uint8Array): Uint8Array | undefined {
    if (params.length < 2 || params[0]! < 1 || params[0]! > 2) return undefined;
    if (params[1] !== 0x00 || !this.card) return Uint8Array.of(0);
    // Activation: first power in the field, or a fresh ISO-DEP session (the card resets).
    if (!this.powered) {
      this.card.powerOn();
      this.powered = true;
    } else this.card.reset();
    this.activated = true;
    this.chainIn = [];
    this.chainOut = undefined;
    const historical = historicalBytesOfAtr(this.card.atr);
    // ATS: TL, T0 (TA TB TC follow, FSCI 8 = 256 bytes), TA, TB (FWI 8), TC, historical bytes.
    const ats = Uint8Array.of(5 + historical.length, 0x78, 0x77, 0x81, 0x02, ...historical);
    return Uint8Array.of(1, 1, ...SENS_RES, SEL_RES_ISO_DEP, this.uid.length, ...this.uid, ...ats);
  }

  private async dataExchange(params: Uint8Array): Promise<Uint8Array | undefined> {
    if (params.length < 1) return undefined;
    const tg = params[0]!;
    const data = params.subarray(1);
    const card = this.card;
    if (!this.activated) return Uint8Array.of(PN532_STATUS.WRONG_CONTEXT);
    if (!card || (tg & 0x3f) !== 1) return Uint8Array.of(PN532_STATUS.TIMEOUT); // nobody answers in the field
    if (tg & MI) {
      this.chainIn.push(data.slice());
      return Uint8Array.of(PN532_STATUS.OK);
    }
    if (data.length === 0 && this.chainOut) return this.nextOutPart();
    const apdu = concat([...this.chainIn, data]);
    this.chainIn = [];
    this.stats.apdus++;
    const removal =
      this.removal && (!this.removal.when || this.removal.when(apdu)) ? this.removal : undefined;
    if (removal) this.removal = undefined;
    const corruption =
      this.apduCorruption && (!this.apduCorruption.when || this.apduCorruption.when(apdu))
        ? this.apduCorruption
        : undefined;
    if (corruption) this.apduCorruption = undefined;
    if (removal && !removal.afterCardProcessed) {
      this.remove();
      removal.done();
      return Uint8Array.of(PN532_STATUS.TIMEOUT);
    }
    if (this.options.slowCardMs > 0) await new Promise((r) => setTimeout(r, this.options.slowCardMs));
    let response: Uint8Array;
    try {
      response = await card.transmit(apdu);
    } catch {
      // The card lost power mid-command (a tear): to the reader it simply stopped answering.
      if (this.card === card) this.remove();
      removal?.done();
      return Uint8Array.of(PN532_STATUS.TIMEOUT);
    }
    if (removal) {
      this.remove();
      removal.done();
      return Uint8Array.of(PN532_STATUS.TIMEOUT);
    }
    if (this.card !== card) return Uint8Array.of(PN532_STATUS.TIMEOUT); // pulled while it worked
    this.chainOut = response;
    if (corruption) this.corruptNext += corruption.times;
    return this.nextOutPart();
  }

  private nextOutPart(): Uint8Array {
    const rest = this.chainOut ?? new Uint8Array(0);
    const part = rest.subarray(0, MAX_EXCHANGE_DATA);
    const more = rest.length > MAX_EXCHANGE_DATA;
    this.chainOut = more ? rest.slice(MAX_EXCHANGE_DATA) : undefined;
    return Uint8Array.of(more ? MI : PN532_STATUS.OK, ...part);
  }
}

function rate(value: number | undefined, name: string): number {
  const r = value ?? 0;
  if (!(r >= 0 && r <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${value}`);
  return r;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
