/**
 * What the real PC/SC stack costs the host, measured against the simulated card behind pcscd +
 * vpcd in a private network namespace (test/support/pcsc-harness.ts; needs root or CAP_SYS_ADMIN,
 * never touches the host's own network settings):
 *
 * 1. A complete debit (SELECT, OPEN SESSION, DEBIT, proof check: applet v2; repeat tap with the
 *    card certificate and link key cached)
 *    through pcscd, next to the same debit on the in-process SimulatedReader. Both cards are
 *    file-backed in the same directory, so the difference is the transport. A v2 card takes at
 *    most 32 debits between syncs: every 30 debits an untimed KES 0 RELOAD syncs it.
 * 2. The per-APDU round trip of this transport (READ PURSE loop), next to the same loop in pyscard
 *    (Debian's python3-pyscard) against the same pcscd and card.
 * 3. The stall without quickack: Debian's vpcd driver sends length and APDU in two writes, so with
 *    delayed ACK on loopback each APDU waits ~40 ms (see simulators/vpcd/README.md). Measured once
 *    by turning quickack off in the private namespace only, then back on.
 *
 *   npm run bench:pcsc [-- debits apdus]
 *
 * The last line is one JSON object with the figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AID, CURRENCY_KES, INS, Size } from '@huduma/card-applet-spec';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { HudumaCard, InMemoryCardLinkCache, type Transport } from '@huduma/sdk';
import { startPcscHarness } from '../../../test/support/pcsc-harness';
import { PcscReaders } from '../src/index';

const debits = Number(process.argv[2] ?? 200);
const apdus = Number(process.argv[3] ?? 1000);
const STALL_APDUS = 10;
const PYTHON = '/usr/bin/python3'; // Debian's: python3-pyscard is installed for it
const CARD_MODULE = fileURLToPath(new URL('../../../simulators/card/src/vpcd-card.ts', import.meta.url));
const READ_PURSE = new Uint8Array([0x80, INS.READ_PURSE, 0x00, 0x00, Size.PURSE]);
const SELECT = new Uint8Array([0x00, 0xa4, 0x04, 0x00, AID.length, ...AID, 0x00]);

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return s[lo]! + (s[hi]! - s[lo]!) * (at - lo);
}
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Counts APDUs and bytes both ways. */
class CountingTransport implements Transport {
  commands = 0;
  bytesOut = 0;
  bytesIn = 0;
  constructor(private readonly inner: Transport) {}
  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const response = await this.inner.transmit(command);
    this.commands++;
    this.bytesOut += command.length;
    this.bytesIn += response.length;
    return response;
  }
}

if (!existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import smartcard']).status !== 0) {
  throw new Error(
    `pyscard for ${PYTHON} is missing: install it with \`bash scripts/setup\` or \`apt-get install python3-pyscard\``,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'huduma-bench-pcsc-'));
const harness = await startPcscHarness({ cardModule: CARD_MODULE });
const reader = harness.readers[0]!;
let readers: PcscReaders | undefined;
try {
  readers = await PcscReaders.open();
  const pki = DevPki.inMemory();
  const terminal = await pki.issueTerminal({
    terminalId: 'BENCH-PC',
    merchantId: 'M-0001',
    capabilities: ['DEBIT'],
  });
  const purse = {
    maxBalance: 10_000_000,
    offlineLimit: 10_000_000,
    cvmLimit: 100_000,
    noCvmLimit: 10_000_000,
    currency: CURRENCY_KES,
  };
  const pcscCardPath = join(dir, 'pcsc-card.cbor');
  await issueTestCard({ pki, path: pcscCardPath, balance: 9_000_000, purse });
  const local = await issueTestCard({ pki, path: join(dir, 'local-card.cbor'), balance: 9_000_000, purse });
  const options = {
    trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
    terminal,
    linkCache: new InMemoryCardLinkCache(),
  };

  const insert = async () => {
    await harness.insertCard(0, { options: { cardPath: pcscCardPath } });
    await readers!.waitForCard(reader, { timeoutMs: 5000 });
  };
  const remove = async () => {
    await harness.removeCard(0);
    while (readers!.state(reader)?.cardPresent) await new Promise((r) => setTimeout(r, 5));
  };
  await insert();

  let seq = 1;
  /** KES 0 RELOAD (online contact): the card's records count as synced again. Not timed. */
  async function sync(transport: Transport) {
    const card = await HudumaCard.select(transport, options);
    const context = await card.reloadContext();
    const authorization = await pki.authorizeLoad({
      cardNumber: card.cardNumber,
      cardCounter: context.counter,
      cardChallenge: context.challenge,
      amount: 0,
      currency: CURRENCY_KES,
      time: Math.floor(Date.now() / 1000),
      terminalId: 'BENCH-PC',
      terminalSeq: seq++,
      terminalNonce: new Uint8Array(8),
      loadRef: 'BENCH-SYNC',
    });
    await card.reload(authorization);
  }
  async function debitTimes(transport: Transport, n: number) {
    const counting = new CountingTransport(transport);
    const times: number[] = [];
    let unsynced = 0;
    for (let i = 0; i < n + 10; i++) {
      if (unsynced >= 30) await sync(transport);
      const before = { c: counting.commands, o: counting.bytesOut, i: counting.bytesIn };
      const start = performance.now();
      const card = await HudumaCard.select(counting, options);
      const result = await card.debit({ amount: 100, terminalSeq: seq++, billRef: 'BENCH', serviceCode: 1 });
      const ms = performance.now() - start;
      unsynced = result.counter - result.syncedThrough;
      // The first 10 taps warm up JIT and the certificate caches (ours and the card's).
      if (i >= 10) times.push(ms);
      if (i === n + 9) {
        return {
          times,
          apdus: counting.commands - before.c,
          bytesOut: counting.bytesOut - before.o,
          bytesIn: counting.bytesIn - before.i,
        };
      }
    }
    throw new Error('unreachable');
  }

  // 1. Debit through pcscd vs in-process.
  const connection = await readers.connect(reader);
  const viaPcsc = await debitTimes(connection, debits);
  const inProcess = await debitTimes(local.reader, debits);

  // 2. Per-APDU round trip: our transport, then pyscard, same card and pcscd.
  async function apduLoop(n: number): Promise<number[]> {
    const times: number[] = [];
    await connection.transmit(SELECT);
    for (let i = 0; i < n + 50; i++) {
      const start = performance.now();
      const r = await connection.transmit(READ_PURSE);
      const ms = performance.now() - start;
      if (r[r.length - 2] !== 0x90) throw new Error(`READ PURSE answered ${Buffer.from(r).toString('hex')}`);
      if (i >= 50) times.push(ms);
    }
    return times;
  }
  const ours = await apduLoop(apdus);
  await connection.close();

  const pyscript = `
import json, sys, time
from smartcard.System import readers
r = [x for x in readers() if str(x) == sys.argv[1]][0]
c = r.createConnection()
c.connect()
select = list(bytes.fromhex(sys.argv[2]))
read_purse = list(bytes.fromhex(sys.argv[3]))
n = int(sys.argv[4])
data, sw1, sw2 = c.transmit(select)
assert (sw1, sw2) == (0x90, 0x00), (sw1, sw2)
times = []
for i in range(n + 50):
    t = time.perf_counter()
    data, sw1, sw2 = c.transmit(read_purse)
    dt = (time.perf_counter() - t) * 1000
    assert (sw1, sw2) == (0x90, 0x00) and len(data) == ${Size.PURSE}
    if i >= 50:
        times.append(dt)
c.disconnect()
print(json.dumps(times))
`;
  const py = spawnSync(
    PYTHON,
    [
      '-c',
      pyscript,
      reader,
      Buffer.from(SELECT).toString('hex'),
      Buffer.from(READ_PURSE).toString('hex'),
      String(apdus),
    ],
    { env: harness.env, encoding: 'utf8', timeout: 120_000 },
  );
  if (py.status !== 0) throw new Error(`pyscard loop failed (${py.status}):\n${py.stderr}`);
  const pyscard = JSON.parse(py.stdout) as number[];

  // 3. The stall without quickack, in the private namespace only; quickack back on afterwards.
  const route = (quickack: boolean) => {
    for (const dst of ['127.0.0.0/8', '127.0.0.1']) {
      const args = [
        '--net=' + harness.netnsPath(),
        'ip',
        'route',
        'change',
        'local',
        dst,
        'dev',
        'lo',
        'table',
        'local',
      ];
      if (quickack) args.push('quickack', '1');
      const r = spawnSync('nsenter', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`nsenter ip route change ${dst} failed: ${r.stderr}`);
    }
  };
  let stall: number[];
  try {
    route(false);
    // A new card connection (TCP) so nothing cached from the quickack route carries over.
    await remove();
    await insert();
    const slow = await readers.connect(reader);
    await slow.transmit(SELECT);
    stall = [];
    for (let i = 0; i < STALL_APDUS; i++) {
      const start = performance.now();
      await slow.transmit(READ_PURSE);
      stall.push(performance.now() - start);
    }
    await slow.close();
  } finally {
    route(true);
  }

  const pcscMedian = quantile(viaPcsc.times, 0.5);
  const localMedian = quantile(inProcess.times, 0.5);
  const oursMedian = quantile(ours, 0.5);
  const pyMedian = quantile(pyscard, 0.5);
  const figures = {
    benchmark: 'pcsc',
    debits,
    debitPcscMedianMs: round(pcscMedian),
    debitPcscP95Ms: round(quantile(viaPcsc.times, 0.95)),
    debitInProcessMedianMs: round(localMedian),
    debitInProcessP95Ms: round(quantile(inProcess.times, 0.95)),
    debitPcscOverInProcess: round(pcscMedian / localMedian, 2),
    debitPcscExtraMs: round(pcscMedian - localMedian),
    apdusPerDebit: viaPcsc.apdus,
    bytesOutPerDebit: viaPcsc.bytesOut,
    bytesInPerDebit: viaPcsc.bytesIn,
    apduRoundTrips: apdus,
    apduOursMedianMs: round(oursMedian),
    apduOursP95Ms: round(quantile(ours, 0.95)),
    apduPyscardMedianMs: round(pyMedian),
    apduPyscardP95Ms: round(quantile(pyscard, 0.95)),
    apduOursOverPyscard: round(oursMedian / pyMedian, 2),
    quickack: true,
    apduWithoutQuickackMedianMs: round(quantile(stall, 0.5), 1),
  };
  if (viaPcsc.apdus !== inProcess.apdus) {
    throw new Error(`APDU count differs: ${viaPcsc.apdus} through pcscd, ${inProcess.apdus} in process`);
  }
  console.log(
    `complete debit (SELECT + OPEN SESSION + DEBIT + proof check), repeat tap, ${debits} debits each`,
  );
  console.log(
    `  through pcscd + vpcd: median ${figures.debitPcscMedianMs} ms, p95 ${figures.debitPcscP95Ms} ms`,
  );
  console.log(
    `  in process:           median ${figures.debitInProcessMedianMs} ms, p95 ${figures.debitInProcessP95Ms} ms`,
  );
  console.log(
    `  ratio ${figures.debitPcscOverInProcess}x (+${figures.debitPcscExtraMs} ms); ${viaPcsc.apdus} APDUs, ${viaPcsc.bytesOut} bytes out, ${viaPcsc.bytesIn} bytes in`,
  );
  console.log(`per-APDU round trip (READ PURSE x ${apdus}) through pcscd, quickack on in the namespace`);
  console.log(
    `  @huduma/transport-pcsc: median ${figures.apduOursMedianMs} ms, p95 ${figures.apduOursP95Ms} ms`,
  );
  console.log(
    `  pyscard:                median ${figures.apduPyscardMedianMs} ms, p95 ${figures.apduPyscardP95Ms} ms`,
  );
  console.log(`  ratio ${figures.apduOursOverPyscard}x`);
  console.log(
    `without quickack (private namespace only): median ${figures.apduWithoutQuickackMedianMs} ms per APDU over ${STALL_APDUS} APDUs (the delayed-ACK stall)`,
  );
  console.log(JSON.stringify(figures));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  // harness.stop() waits for unref'd children to exit; a ref'd timer keeps Node from deciding
  // the loop is empty meanwhile (exit 13, "unsettled top-level await").
  const keepAlive = setInterval(() => {}, 1000);
  await readers?.close();
  await harness.stop();
  clearInterval(keepAlive);
  rmSync(dir, { recursive: true, force: true });
}
