/**
 * Host-side cost of one complete v2 debit (SELECT, OPEN SESSION with the cached link key, DEBIT
 * under secure messaging, proof verification) against the in-process simulator with no latency
 * model. Repeat taps of a known card (link key cached on the terminal, registration on the card),
 * as at a busy counter.
 *
 *   node --conditions=huduma-source --import tsx packages/sdk/bench/debit.ts [rounds] [debitsPerRound]
 *
 * Card side = time the simulator spent computing (its ECDSA verify + sign, state commit); terminal
 * crypto = the SDK's session keys, MACs and proof verification; the rest is APDU and SDK overhead.
 *
 * Beside it, per named chip, the v2 tap as SPEC.md §9.3/§9.4 model it from published on-card
 * measurements (`CHIP_TIMINGS`, JCAlgTest): the cached tap (one public-key operation, the proof
 * signature) and the first tap at a new terminal (+ certificate verify and ECDH), against the
 * 300 ms tap budget, and the host time measured here as a fraction of the cached tap. The last
 * line printed is one JSON object with the figures.
 */
import { CHIP_TIMINGS, CURRENCY_KES, modelTap, TAP_BUDGET_MS } from '@huduma/card-applet-spec';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { HudumaCard, InMemoryCardLinkCache } from '../src/index';

const rounds = Number(process.argv[2] ?? 7);
const perRound = Number(process.argv[3] ?? 40);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const pki = DevPki.inMemory();
const { reader } = await issueTestCard({
  pki,
  balance: 9_000_000,
  purse: {
    maxBalance: 10_000_000,
    offlineLimit: 10_000_000,
    cvmLimit: 100_000,
    noCvmLimit: 10_000_000,
    currency: CURRENCY_KES,
  },
});
const terminal = await pki.issueTerminal({
  terminalId: 'BENCH-1',
  merchantId: 'M-0001',
  capabilities: ['DEBIT'],
});
const options = {
  trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
  terminal,
  linkCache: new InMemoryCardLinkCache(),
};

let seq = 1;
async function tap(): Promise<{ apdus: number; terminalCryptoMs: number; withinBudget: boolean }> {
  const card = await HudumaCard.select(reader, options);
  await card.debit({ amount: 100, terminalSeq: seq++, billRef: 'BENCH', serviceCode: 1 });
  const t = card.telemetry;
  return { apdus: t.apdus, terminalCryptoMs: t.hostCryptoMs, withinBudget: t.withinBudget };
}

/**
 * A v2 card refuses payments once 32 records are unsynced (SPEC.md §2.12, 9F14): an online
 * RELOAD of 0 syncs it, as a terminal does when the clearing service holds the card's records.
 * Run between timed taps, never inside one.
 */
let syncs = 0;
async function sync(): Promise<void> {
  const card = await HudumaCard.select(reader, options);
  const ctx = await card.reloadContext();
  await card.reload(
    await pki.authorizeLoad({
      cardNumber: ctx.cardNumber,
      cardCounter: ctx.counter,
      cardChallenge: ctx.challenge,
      amount: 0,
      currency: CURRENCY_KES,
      time: Math.floor(Date.now() / 1000),
      terminalId: 'ISSUER',
      terminalSeq: 1_000_000 + ++syncs,
      terminalNonce: new Uint8Array(8),
      loadRef: `SYNC-${syncs}`,
    }),
  );
}
const SYNC_EVERY = 30;
let sinceSync = 0;

// Warm-up: JIT, the terminal's link-key cache and the card's registration.
await sync();
for (let i = 0; i < 5; i++) await tap();

const perRoundMs: number[] = [];
const cardMs: number[] = [];
const terminalMs: number[] = [];
const modelledMs: number[] = [];
let apdus = 0;
let allWithinBudget = true;
for (let r = 0; r < rounds; r++) {
  const cardBefore = reader.hostTimeMs;
  const modelledBefore = reader.modelledTimeMs;
  let terminalCrypto = 0;
  let elapsed = 0;
  // Sync time is taken out of every figure: only taps are measured.
  let syncHost = 0;
  let syncModelled = 0;
  for (let i = 0; i < perRound; i++) {
    if (++sinceSync + 5 >= SYNC_EVERY) {
      const [h, m] = [reader.hostTimeMs, reader.modelledTimeMs];
      await sync();
      syncHost += reader.hostTimeMs - h;
      syncModelled += reader.modelledTimeMs - m;
      sinceSync = 0;
    }
    const start = performance.now();
    const t = await tap();
    elapsed += performance.now() - start;
    terminalCrypto += t.terminalCryptoMs;
    apdus = t.apdus;
    allWithinBudget &&= t.withinBudget;
  }
  perRoundMs.push(elapsed / perRound);
  cardMs.push((reader.hostTimeMs - cardBefore - syncHost) / perRound);
  terminalMs.push(terminalCrypto / perRound);
  modelledMs.push((reader.modelledTimeMs - modelledBefore - syncModelled) / perRound);
}

const msPerDebit = median(perRoundMs);
const chips = CHIP_TIMINGS.map((chip) => {
  const cached = modelTap(chip, { firstTapAtTerminal: false });
  const first = modelTap(chip, { firstTapAtTerminal: true });
  return {
    chip: chip.id,
    name: chip.name,
    cachedTapMs: cached.totalMs,
    firstTapMs: first.totalMs,
    cachedWithinBudget: cached.withinBudget,
    firstWithinBudget: first.withinBudget,
    cachedTapOfBudget: round(cached.totalMs / TAP_BUDGET_MS),
    // The host work measured here comes on top of the card's (it does not overlap the card's).
    cachedWithHostMs: round(cached.totalMs + msPerDebit),
    hostOfCachedTap: round(msPerDebit / cached.totalMs),
  };
});
const cardSideMs = median(cardMs);
const terminalCryptoMs = median(terminalMs);
const figures = {
  benchmark: 'sdk-debit',
  rounds,
  debitsPerRound: perRound,
  msPerDebit: round(msPerDebit),
  debitsPerSecond: round(1000 / msPerDebit),
  cardSideMs: round(cardSideMs),
  terminalCryptoMs: round(terminalCryptoMs),
  otherHostMs: round(msPerDebit - cardSideMs - terminalCryptoMs),
  apdusPerDebit: apdus,
  modelledCardMsPerDebit: round(median(modelledMs)),
  sdkTelemetryWithinBudget: allWithinBudget,
  tapBudgetMs: TAP_BUDGET_MS,
  chips,
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

console.log(
  `complete debit (SELECT + OPEN SESSION + DEBIT + proof check), repeat tap, ${rounds} rounds x ${perRound}`,
);
console.log(`  ${figures.msPerDebit} ms per debit (median), ${figures.debitsPerSecond} debits/s`);
console.log(`  card side (simulator, incl. its ECDSA):   ${figures.cardSideMs} ms`);
console.log(`  terminal crypto (session, MACs, proof):   ${figures.terminalCryptoMs} ms`);
console.log(`  other host (APDU codec, SDK):             ${figures.otherHostMs} ms`);
console.log(
  `  ${apdus} APDU exchanges; the simulator's latency model (TypicalCardTimeMs, not a measurement) adds ~${figures.modelledCardMsPerDebit} ms`,
);
console.log(
  `\nv2 tap on real chips (SPEC.md §9.3/§9.4, modelled from JCAlgTest measurements) vs the ${TAP_BUDGET_MS} ms budget:`,
);
console.log(
  `  ${'chip'.padEnd(24)} ${'cached'.padStart(9)} ${'÷ budget'.padStart(9)} ${'first tap'.padStart(10)}   host ${figures.msPerDebit} ms ÷ cached`,
);
for (const c of chips) {
  const verdict = (ok: boolean) => (ok ? 'fits' : 'OVER');
  console.log(
    `  ${c.name.padEnd(24)} ${c.cachedTapMs.toFixed(1).padStart(6)} ms ${c.cachedTapOfBudget.toFixed(2).padStart(6)} ${verdict(c.cachedWithinBudget)} ${c.firstTapMs.toFixed(1).padStart(6)} ms ${verdict(c.firstWithinBudget)}   ${c.hostOfCachedTap.toFixed(3)}`,
  );
}
console.log(JSON.stringify(figures));
