/**
 * What the PN532 serial path costs, measured in one run against the in-process simulated reader
 * and against the line-rate limit of a real HSU line:
 *
 * 1. The per-APDU round trip (READ PURSE loop) through our transport, the real `serialport`
 *    binding, a socat pty pair and the PN532 simulator, next to the same loop on the in-process
 *    SimulatedReader.
 * 2. A complete debit tap (connect, SELECT, OPEN SESSION, DEBIT, proof check, release) the same two
 *    ways, with the card certificate and link key cached as on a repeat tap.
 * 3. The line-rate floor at 115,200 baud: the bytes that crossed the line (frames, ACKs, presence
 *    polls included) × 10 bits / 115200 — what a real PN532 on a UART could not go below. A pty
 *    does not throttle to the baud rate, so the measured figures can be under this floor.
 *
 *   npm run bench:pn532 [-- apdus debits]
 *
 * The last line is one JSON object with the figures.
 */
import { AID, INS, Size } from '@huduma/card-applet-spec';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { HudumaCard, InMemoryCardLinkCache, type Transport } from '@huduma/sdk';
import { openPtyPair, Pn532Simulator } from '@huduma/sim-pn532';
import { Pn532Reader } from '../src/index';

const APDUS = Number(process.argv[2] ?? 300);
const DEBITS = Number(process.argv[3] ?? 25); // a v2 card takes at most 32 debits between syncs
const BAUD = 115_200;
const READ_PURSE = Uint8Array.of(0x80, INS.READ_PURSE, 0x00, 0x00, Size.PURSE);
const SELECT = Uint8Array.of(0x00, 0xa4, 0x04, 0x00, AID.length, ...AID);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const lineMs = (bytes: number) => (bytes * 10 * 1000) / BAUD;

async function apduLoop(transport: Transport): Promise<number[]> {
  const sw = (r: Uint8Array) => (r[r.length - 2]! << 8) | r[r.length - 1]!;
  if (sw(await transport.transmit(SELECT)) !== 0x9000) throw new Error('SELECT failed');
  const times: number[] = [];
  for (let i = 0; i < APDUS; i++) {
    const t0 = performance.now();
    const r = await transport.transmit(READ_PURSE);
    times.push(performance.now() - t0);
    if (sw(r) !== 0x9000) throw new Error(`READ PURSE answered ${sw(r).toString(16)}`);
  }
  return times;
}

const pty = await openPtyPair();
const sim = await Pn532Simulator.open(pty.device);
// Presence polls every 50 ms share the line (as in production); they are counted in the bytes.
const reader = await Pn532Reader.open(pty.host, { pollMs: 50 });
try {
  const pki = DevPki.inMemory();
  const terminal = await pki.issueTerminal({
    terminalId: 'T-BENCH',
    merchantId: 'M-0001',
    capabilities: ['DEBIT'],
  });
  const serialCard = await issueTestCard({ pki, balance: 10_000_000 });
  const localCard = await issueTestCard({ pki, balance: 10_000_000 });
  sim.insert(serialCard.card);
  await reader.waitForCard(undefined, { timeoutMs: 5000 });

  // 1. APDU round trip.
  const before = reader.lineStats;
  const connection = await reader.connect();
  const apduSerial = await apduLoop(connection);
  await connection.close();
  const after = reader.lineStats;
  const bytesPerApdu = (after.bytesOut - before.bytesOut + after.bytesIn - before.bytesIn) / (APDUS + 1);
  const apduLocal = await apduLoop(localCard.reader);

  // 2. Debit taps.
  const options = () => ({
    trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
    terminal,
    linkCache: new InMemoryCardLinkCache(),
  });
  const serialOptions = options();
  const localOptions = options();
  const debitSerial: number[] = [];
  const debitLocal: number[] = [];
  let debitBytes = 0;
  for (let i = 0; i < DEBITS + 1; i++) {
    const s0 = reader.lineStats;
    let t0 = performance.now();
    const link = await reader.connect();
    const card = await HudumaCard.select(link, serialOptions);
    const r = await card.debit({ amount: 100, terminalSeq: 1000 + i, billRef: 'BENCH', serviceCode: 1 });
    await link.close();
    const serialMs = performance.now() - t0;
    const s1 = reader.lineStats;
    t0 = performance.now();
    const local = await HudumaCard.select(localCard.reader, localOptions);
    const l = await local.debit({ amount: 100, terminalSeq: 1000 + i, billRef: 'BENCH', serviceCode: 1 });
    const localMs = performance.now() - t0;
    if (r.outcome !== 'executed' || l.outcome !== 'executed') throw new Error('a debit did not execute');
    if (i === 0) continue; // the first tap fetches the certificate and registers the link key
    debitSerial.push(serialMs);
    debitLocal.push(localMs);
    debitBytes += s1.bytesOut - s0.bytesOut + s1.bytesIn - s0.bytesIn;
  }
  const bytesPerDebit = debitBytes / DEBITS;

  const figures = {
    apdus: APDUS,
    debits: DEBITS,
    baud: BAUD,
    apduSerialMedianMs: round(median(apduSerial)),
    apduSerialP95Ms: round(p95(apduSerial)),
    apduInProcessMedianMs: round(median(apduLocal)),
    apduSerialOverInProcess: round(median(apduSerial) / median(apduLocal), 1),
    apduBytesOnWire: round(bytesPerApdu, 1),
    apduLineRateFloorMs: round(lineMs(bytesPerApdu)),
    apduSerialOverLineRate: round(median(apduSerial) / lineMs(bytesPerApdu), 2),
    debitSerialMedianMs: round(median(debitSerial)),
    debitSerialP95Ms: round(p95(debitSerial)),
    debitInProcessMedianMs: round(median(debitLocal)),
    debitSerialOverInProcess: round(median(debitSerial) / median(debitLocal), 2),
    debitBytesOnWire: round(bytesPerDebit, 1),
    debitLineRateFloorMs: round(lineMs(bytesPerDebit)),
    debitSerialOverLineRate: round(median(debitSerial) / lineMs(bytesPerDebit), 2),
    nacks: reader.lineStats.nacksSent,
  };
  console.log(
    `PN532 over HSU (serialport on a socat pty, simulated PN532) vs in-process, ${BAUD} baud floor`,
  );
  console.log(`APDU round trip (READ PURSE x ${APDUS})`);
  console.log(`  serial path:  median ${figures.apduSerialMedianMs} ms, p95 ${figures.apduSerialP95Ms} ms`);
  console.log(
    `  in process:   median ${figures.apduInProcessMedianMs} ms (ratio ${figures.apduSerialOverInProcess}x)`,
  );
  console.log(
    `  line-rate floor: ${figures.apduBytesOnWire} bytes on the wire = ${figures.apduLineRateFloorMs} ms (serial/floor ${figures.apduSerialOverLineRate}x)`,
  );
  console.log(`debit tap (connect, SELECT, OPEN SESSION, DEBIT, proof, release) x ${DEBITS}`);
  console.log(`  serial path:  median ${figures.debitSerialMedianMs} ms, p95 ${figures.debitSerialP95Ms} ms`);
  console.log(
    `  in process:   median ${figures.debitInProcessMedianMs} ms (ratio ${figures.debitSerialOverInProcess}x)`,
  );
  console.log(
    `  line-rate floor: ${figures.debitBytesOnWire} bytes on the wire = ${figures.debitLineRateFloorMs} ms (serial/floor ${figures.debitSerialOverLineRate}x)`,
  );
  console.log(JSON.stringify(figures));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await reader.close();
  await sim.close();
  await pty.close();
}
