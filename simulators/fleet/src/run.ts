/**
 * Days of trading across the fleet, in simulated time: opening hours and busy hours per kind of
 * counter, cash loads at Huduma Centres, M-Pesa top-ups loaded on the next Centre tap, sales by
 * service or amount, a few cancels, fleet-wide outages after which every terminal uploads at
 * once, and injected fraud (cloned cards spent at the same time as the original). Every terminal
 * is the real engine on a simulated card; every upload goes over HTTP to the clearing service.
 */
import { rmSync } from 'node:fs';
import { type Db, uploadTableBytes } from '@huduma/clearing-service';
import {
  DEFAULT_SERVICES,
  loadPendingTopups,
  type TerminalEngine,
  TransactionRefusedError,
} from '@huduma/terminal';
import { hourWeight, nairobiMidnight } from './model';
import { seededRandom } from './prng';
import { type Expected, type Reconciliation, reconcile } from './reconcile';
import { uploadTampered } from './tamper';
import { buildWorld, type Counter, cloneCard, type FleetCard, TOPUP_TOKEN } from './world';

export interface FleetOptions {
  /** Working directory (terminals, cards, the embedded database); emptied first. */
  dir: string;
  terminals: number;
  cards: number;
  days: number;
  /** Taps per counter in an hour of weight 1 (default 4). */
  tapsPerHour?: number;
  /** Cloned cards injected (default 1 per 40 cards, at least 1). */
  clones?: number;
  /**
   * Terminals whose operator sends one tampered upload (alternately an inflated sale and a
   * dropped record) before each online day's honest sync (default 0).
   */
  tampering?: number;
  /** Days on which the whole fleet is offline (default 1 when there are 2 days or more). */
  outages?: number;
  seed: number;
  /** A PostgreSQL server instead of the embedded database. */
  databaseUrl?: string;
  log?: (line: string) => void;
}

export interface DayFigures {
  day: number;
  online: boolean;
  taps: number;
  approved: number;
  declined: number;
  /** Wall time of the day's uploads, all terminals at once. */
  uploadMs: number;
  recordsUploaded: number;
  rssMiB: number;
  /** JS heap in use, and ArrayBuffer memory (PGlite's WebAssembly memory lives there): where RSS goes. */
  heapMiB: number;
  arrayBuffersMiB: number;
  /** Records the service holds at the end of the day, and the bytes of the tables an upload writes. */
  recordsHeld: number;
  storageBytes: number;
}

export interface FleetResult extends Reconciliation {
  seed: number;
  options: {
    terminals: number;
    cards: number;
    days: number;
    clones: number;
    outages: number;
    tampering: number;
  };
  days: DayFigures[];
  wallSeconds: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function storageFigures(db: Db): Promise<{ recordsHeld: number; storageBytes: number }> {
  const { records, total } = await uploadTableBytes(db);
  return { recordsHeld: records, storageBytes: total };
}

export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const clones = options.clones ?? Math.max(1, Math.floor(options.cards / 40));
  const outages = options.outages ?? (options.days >= 2 ? 1 : 0);
  const tapsPerHour = options.tapsPerHour ?? 4;
  const tampering = Math.min(options.tampering ?? 0, options.terminals);
  rmSync(options.dir, { recursive: true, force: true });
  // The simulated days end at the last Nairobi midnight: every record is in the past.
  const startMs = nairobiMidnight(Date.now()) - options.days * DAY;
  const world = await buildWorld({ ...options, startMs });
  const { counters, cards, clock } = world;
  const expected: Expected = { byMerchant: new Map(), balances: new Map(), clones: [], tampered: [] };
  // Tampering operators: the last counters (partner merchants first when there are few).
  const tamperers = counters.slice(counters.length - tampering);
  let tamperSeq = 0;
  const merchant = (id: string) => {
    let m = expected.byMerchant.get(id);
    if (!m)
      expected.byMerchant.set(id, (m = { debitCount: 0, debitCents: 0, cancelCount: 0, cancelCents: 0 }));
    return m;
  };
  const credit = (card: FleetCard, cents: number) =>
    expected.balances.set(card.label, (expected.balances.get(card.label) ?? 0) + cents);
  const centres = counters.filter((c) => c.kind === 'huduma-centre');

  const tap = async <T>(counter: Counter, card: FleetCard, fn: (engine: TerminalEngine) => Promise<T>) => {
    counter.reader.insert(card.card);
    try {
      return await fn(counter.engine);
    } finally {
      counter.reader.remove();
    }
  };
  const syncAll = async () => {
    const t0 = Date.now();
    const before = counters.reduce((n, c) => n + c.engine.syncedRecordCount, 0);
    const reports = await Promise.all(counters.map((c) => c.uploader.syncNow()));
    const errors = reports.flatMap((r) => r.errors.map((e) => e.message));
    if (errors.length > 0) throw new Error(`uploads failed: ${errors.slice(0, 3).join('; ')}`);
    const after = counters.reduce((n, c) => n + c.engine.syncedRecordCount, 0);
    return { ms: Date.now() - t0, records: after - before };
  };

  // Morning of day 0: every terminal enrols (deny list, catalog); every card gets a cash load.
  await syncAll();
  for (const [i, card] of cards.entries()) {
    clock.now = startMs + 8 * HOUR + i * 1000;
    const amount = random.int(5, 20) * 100_000;
    await tap(centres[i % centres.length]!, card, (e) => e.reload({ amountCents: amount }));
    credit(card, amount);
  }

  // Which days are offline, and when the clones are made.
  const offline = new Set<number>();
  while (offline.size < Math.min(outages, options.days - 1)) offline.add(random.int(0, options.days - 2));
  const cloneDay = random.int(0, options.days - 1);
  const dayFigures: DayFigures[] = [];
  let topupSeq = 0;
  const copiesSpent = new Set<string>();

  for (let day = 0; day < options.days; day++) {
    const dayStart = startMs + day * DAY;
    const online = !offline.has(day);
    const figures: DayFigures = {
      day,
      online,
      taps: 0,
      approved: 0,
      declined: 0,
      uploadMs: 0,
      recordsUploaded: 0,
      rssMiB: 0,
      heapMiB: 0,
      arrayBuffersMiB: 0,
      recordsHeld: 0,
      storageBytes: 0,
    };

    // The day's taps across the fleet, in time order.
    /** `copyOf`: a fraudster's copy of that card, made at this moment and spent here. */
    type Tap = {
      at: number;
      counter: Counter;
      card: FleetCard;
      copyOf?: FleetCard;
      fraud?: 'copy' | 'original';
    };
    const taps: Tap[] = [];
    for (const counter of counters) {
      for (let hour = 0; hour < 24; hour++) {
        const w = hourWeight(counter.kind, dayStart, hour);
        if (w === 0) continue;
        const n = Math.round(tapsPerHour * w * (0.5 + random.next()));
        for (let k = 0; k < n; k++)
          taps.push({
            at: dayStart + hour * HOUR + random.int(0, HOUR - 1),
            counter,
            card: random.pick(cards),
          });
      }
    }
    if (day === cloneDay) {
      // A fraudster copies a card in the afternoon and spends the copy at once; the holder spends
      // the original a minute later at another counter, before any upload: one counter value,
      // two records.
      for (let k = 0; k < clones && k < cards.length; k++) {
        const victim = cards[(k * 7 + 3) % cards.length]!;
        const at = dayStart + 14 * HOUR + k * 120_000;
        const [a, b] = [random.pick(counters), random.pick(counters)];
        taps.push({ at, counter: a, card: victim, copyOf: victim, fraud: 'copy' });
        taps.push({
          fraud: 'original',
          at: at + 60_000,
          counter: b === a ? counters[(counters.indexOf(a) + 1) % counters.length]! : b,
          card: victim,
        });
      }
    }
    taps.sort((a, b) => a.at - b.at);

    // M-Pesa top-ups paid today (online days), loaded on the card's next Centre tap.
    if (online) {
      for (let k = 0; k < Math.max(1, Math.floor(cards.length / 20)); k++) {
        const card = random.pick(cards);
        const cents = random.int(5, 50) * 10_000;
        const res = await fetch(`${world.service.url}/v1/topups/mpesa`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-callback-token': TOPUP_TOKEN },
          body: JSON.stringify({
            TransID: `FLT${options.seed % 1000}${String(++topupSeq).padStart(6, '0')}`.slice(0, 20),
            TransAmount: (cents / 100).toFixed(2),
            BillRefNumber: card.cardNumber,
            MSISDN: '254700000000',
          }),
        });
        if (res.status !== 200)
          throw new Error(`M-Pesa confirmation refused: ${res.status} ${await res.text()}`);
      }
    }

    for (const t of taps) {
      clock.now = t.at;
      figures.taps++;
      const card = t.copyOf ? cloneCard(t.copyOf, `${t.copyOf.label}-copy${day}`) : t.card;
      const c = t.counter;
      try {
        if (c.kind === 'huduma-centre' && online && !t.fraud) {
          const loaded = await tap(c, card, (e) => loadPendingTopups(e, c.client, card.cardNumber));
          for (const l of loaded) credit(card, l.approved.amountCents);
        }
        const balance = card.card.state.balance;
        if (c.kind === 'huduma-centre' && online && balance < 700_000 && !t.fraud) {
          const amount = random.int(10, 30) * 100_000;
          await tap(c, card, (e) => e.reload({ amountCents: amount }));
          credit(card, amount);
          figures.approved++;
          continue;
        }
        const service = random.pick(DEFAULT_SERVICES);
        const input = t.fraud
          ? { amount: 10_000, billRef: `INV${day}-${figures.taps}` }
          : c.kind === 'huduma-centre'
            ? { serviceCode: service.code, billRef: `EC${day}${figures.taps}`.slice(0, 16) }
            : { amount: random.int(50, 2_500) * 100, billRef: `INV${day}-${figures.taps}`.slice(0, 16) };
        const sale = await tap(c, card, (e) => e.sale(input));
        figures.approved++;
        // A clone counts as injected once the copy and then the original have both been spent.
        if (t.fraud === 'copy') copiesSpent.add(card.cardNumber);
        if (t.fraud === 'original' && copiesSpent.has(card.cardNumber)) expected.clones.push(card.cardNumber);
        const m = merchant(c.merchantId);
        m.debitCount++;
        m.debitCents += sale.amountCents;
        if (!card.cloneOf) credit(card, -sale.amountCents);
        if (!t.fraud && random.chance(0.03)) {
          const cancel = await tap(c, card, (e) => e.cancelLast());
          m.cancelCount++;
          m.cancelCents += cancel.amountCents;
          if (!card.cloneOf) credit(card, cancel.amountCents);
        }
      } catch (err) {
        // Insufficient funds, offline limits, a PIN threshold: a decline is part of the day.
        if (!(err instanceof TransactionRefusedError)) throw err;
        figures.declined++;
      }
    }

    if (online) {
      for (const counter of tamperers) {
        const attempt = await uploadTampered(counter, tamperSeq % 2 === 0 ? 'inflate' : 'drop');
        if (!attempt) continue;
        tamperSeq++;
        expected.tampered.push(attempt);
      }
      const up = await syncAll();
      figures.uploadMs = up.ms;
      figures.recordsUploaded = up.records;
    }
    const memory = process.memoryUsage();
    figures.rssMiB = Math.round(memory.rss / 1048576);
    figures.heapMiB = Math.round(memory.heapUsed / 1048576);
    figures.arrayBuffersMiB = Math.round(memory.arrayBuffers / 1048576);
    Object.assign(figures, await storageFigures(world.service.db));
    dayFigures.push(figures);
    log(
      `day ${day + 1}/${options.days}${online ? '' : ' (offline: no uploads)'}: ${figures.taps} taps, ${figures.approved} approved, ${figures.declined} declined` +
        (online ? `, ${figures.recordsUploaded} records uploaded in ${figures.uploadMs} ms` : '') +
        `, RSS ${figures.rssMiB} MiB (JS heap ${figures.heapMiB}, ArrayBuffers ${figures.arrayBuffersMiB}), ${figures.recordsHeld} records held in ${(figures.storageBytes / 1048576).toFixed(1)} MiB`,
    );
  }
  // The last day is always online, so everything is uploaded; reconcile.
  const result = await reconcile(world, expected);
  await world.close();
  return {
    ...result,
    seed: options.seed,
    options: {
      terminals: options.terminals,
      cards: options.cards,
      days: options.days,
      clones,
      outages,
      tampering,
    },
    days: dayFigures,
    wallSeconds: (Date.now() - started) / 1000,
  };
}
