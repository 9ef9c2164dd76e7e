/**
 * Host-side cost of one complete debit (SELECT, terminal signature, chained DEBIT, proof
 * verification) against the in-process simulator with no latency model. Repeat taps of a known
 * card (certificate cached, terminal certificate cached on the card), as at a busy counter.
 *
 *   node --conditions=huduma-source --import tsx packages/sdk/bench/debit.ts [rounds] [debitsPerRound]
 *
 * Card side = time the simulator spent computing (its ECDSA verify + sign, state commit); terminal
 * crypto = the SDK's signing and proof verification; the rest is APDU and SDK overhead.
 */
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { HudumaCard, InMemoryCardCertificateCache } from '../src/index';

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
  purse: { maxBalance: 10_000_000, offlineLimit: 10_000_000, cvmLimit: 100_000 },
});
const terminal = await pki.issueTerminal({
  terminalId: 'BENCH-1',
  merchantId: 'M-0001',
  capabilities: ['DEBIT'],
});
const options = {
  trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
  terminal,
  certificateCache: new InMemoryCardCertificateCache(),
};

let seq = 1;
async function tap(): Promise<{ apdus: number; terminalCryptoMs: number; withinBudget: boolean }> {
  const card = await HudumaCard.select(reader, options);
  await card.debit({ amount: 100, terminalSeq: seq++, billRef: 'BENCH', serviceCode: 1 });
  const t = card.telemetry;
  return { apdus: t.apdus, terminalCryptoMs: t.hostCryptoMs, withinBudget: t.withinBudget };
}

// Warm-up: JIT, the certificate cache and the card's terminal-certificate cache.
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
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

console.log(
  `complete debit (SELECT + chained DEBIT + proof check), repeat tap, ${rounds} rounds x ${perRound}`,
);
console.log(`  ${figures.msPerDebit} ms per debit (median), ${figures.debitsPerSecond} debits/s`);
console.log(`  card side (simulator, incl. its ECDSA):   ${figures.cardSideMs} ms`);
console.log(`  terminal crypto (sign + verify proof):    ${figures.terminalCryptoMs} ms`);
console.log(`  other host (APDU codec, SDK):             ${figures.otherHostMs} ms`);
console.log(`  ${apdus} APDU exchanges; a typical real card would add ~${figures.modelledCardMsPerDebit} ms`);
console.log(JSON.stringify(figures));
