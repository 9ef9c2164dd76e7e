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
 * Beside it, per named chip, the v1 tap as SPEC.md §9.2 models it from published on-card
 * measurements (`CHIP_TIMINGS`, JCAlgTest), against the 300 ms tap budget: what a real card would
 * add to the host-side time measured here.
 */
import { CHIP_TIMINGS, CURRENCY_KES, modelV1Tap, V1_TAP_BUDGET_MS } from '@huduma/card-applet-spec';
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

// Warm-up: JIT, the terminal's link-key cache and the card's registration.
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
  const start = performance.now();
  for (let i = 0; i < perRound; i++) {
    const t = await tap();
    terminalCrypto += t.terminalCryptoMs;
    apdus = t.apdus;
    allWithinBudget &&= t.withinBudget;
  }
  perRoundMs.push((performance.now() - start) / perRound);
  cardMs.push((reader.hostTimeMs - cardBefore) / perRound);
  terminalMs.push(terminalCrypto / perRound);
  modelledMs.push((reader.modelledTimeMs - modelledBefore) / perRound);
}

const msPerDebit = median(perRoundMs);
const chips = CHIP_TIMINGS.map((chip) => {
  const cached = modelV1Tap(chip, { terminalCertificateCached: true });
  const fresh = modelV1Tap(chip, { terminalCertificateCached: false });
  return {
    chip: chip.id,
    name: chip.name,
    modelledTapMs: cached.totalMs,
    modelledTapNewTerminalMs: fresh.totalMs,
    withinBudget: cached.withinBudget,
    withinBudgetNewTerminal: fresh.withinBudget,
    // The host work measured here comes on top of the card's.
    withHostMs: round(cached.totalMs + msPerDebit),
    substitutes: cached.steps.filter((s) => s.substitute).map((s) => s.primitive),
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
  tapBudgetMs: V1_TAP_BUDGET_MS,
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
console.log(`  terminal crypto (sign + verify proof):    ${figures.terminalCryptoMs} ms`);
console.log(`  other host (APDU codec, SDK):             ${figures.otherHostMs} ms`);
console.log(
  `  ${apdus} APDU exchanges; the simulator's latency model (TypicalCardTimeMs, not a measurement) adds ~${figures.modelledCardMsPerDebit} ms`,
);
console.log(
  `\nv1 tap on real chips (SPEC.md §9.2, modelled from JCAlgTest measurements) vs the ${V1_TAP_BUDGET_MS} ms budget:`,
);
for (const c of chips) {
  const verdict = (ok: boolean) => (ok ? 'fits' : 'OVER');
  const note = c.substitutes.length ? `  [substituted: ${c.substitutes.join(', ')}]` : '';
  console.log(
    `  ${c.name.padEnd(24)} ${c.modelledTapMs.toFixed(1).padStart(6)} ms ${verdict(c.withinBudget)}, new terminal ${c.modelledTapNewTerminalMs.toFixed(1).padStart(6)} ms ${verdict(c.withinBudgetNewTerminal)}; + host ${figures.msPerDebit} ms = ${c.withHostMs.toFixed(1)} ms${note}`,
  );
}
console.log(JSON.stringify(figures));
