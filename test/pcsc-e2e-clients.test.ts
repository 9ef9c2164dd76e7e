/**
 * The simulated Huduma card as other PC/SC programs see it: reader events with the Huduma ATR,
 * scriptor (pcsc-tools) and opensc-tool reading the FCI and the purse, and the `huduma-sim vpcd`
 * command serving a card file to pcscd with insert/remove on demand.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AID,
  type CardNumber,
  CURRENCY_KES,
  decodePurse,
  encodeCardNumber,
  LifeCycle,
  type Purse,
  Size,
} from '@huduma/card-applet-spec';
import { DEFAULT_PURSE, HUDUMA_ATR } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { type CardEvent, PcscReaders } from '@huduma/transport-pcsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  insertCardFile,
  issueCardFile,
  removeCard,
  requireTool,
  SIMULATOR_CARD_MODULE,
  tempDir,
} from './pcsc-e2e-support';
import { type PcscHarness, startPcscHarness } from './support/pcsc-harness';

const SIM_CLI = fileURLToPath(new URL('../simulators/card/src/cli.ts', import.meta.url));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const spaced = (b: Uint8Array) => hex(b).replace(/(..)(?!$)/g, '$1 ');
const SELECT = new Uint8Array([0x00, 0xa4, 0x04, 0x00, AID.length, ...AID, 0x00]);
const READ_PURSE = new Uint8Array([0x80, 0x50, 0x00, 0x00, Size.PURSE]);
const BALANCE = 12_345;

let harness: PcscHarness;
let readers: PcscReaders;
let pki: DevPki;
let dir: string;
let card: { path: string; cardNumber: string };

beforeAll(async () => {
  requireTool('scriptor', 'pcsc-tools');
  requireTool('opensc-tool', 'opensc');
  harness = await startPcscHarness({ cardModule: SIMULATOR_CARD_MODULE });
  readers = await PcscReaders.open();
  dir = tempDir('huduma-e2e-clients-');
  pki = DevPki.inMemory();
  card = await issueCardFile(pki, dir, BALANCE);
});

afterAll(async () => {
  await readers?.close();
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function nextEvent(event: 'card-inserted' | 'card-removed', reader: string): Promise<CardEvent> {
  return new Promise((resolve) => {
    const listener = (e: CardEvent) => {
      if (e.reader !== reader) return;
      readers.off(event, listener);
      resolve(e);
    };
    readers.on(event, listener);
  });
}

/**
 * Checks a SELECT answer byte by byte against SPEC.md §6.1 (applet v2: 96-byte FCI, tags and
 * lengths in order, the 40-byte purse in C4, the crypto profile in C5) and returns the purse.
 */
function checkFci(fci: Uint8Array, cardNumber: string): Purse {
  expect(fci.length).toBe(Size.FCI);
  expect(hex(fci.subarray(0, 4))).toBe('6F5E840B');
  expect(hex(fci.subarray(4, 15))).toBe(hex(AID));
  expect(hex(fci.subarray(15, 23))).toBe('A54FC00102C10102'); // version 2, ACTIVE
  expect(fci[22]).toBe(LifeCycle.ACTIVE);
  expect(hex(fci.subarray(23, 25))).toBe('C208');
  expect(hex(fci.subarray(25, 33))).toBe(hex(encodeCardNumber(cardNumber as CardNumber)));
  expect(hex(fci.subarray(33, 35))).toBe('C310'); // 16-byte challenge at 35..50
  expect(hex(fci.subarray(51, 53))).toBe('C428');
  expect(hex(fci.subarray(93, 95))).toBe('C501');
  expect(fci[95]).toBeLessThanOrEqual(1); // crypto profile 00 or 01
  return decodePurse(fci.subarray(53, 93));
}

function expectIssuedPurse(purse: Purse): void {
  expect(purse).toEqual({
    balance: BALANCE,
    maxBalance: DEFAULT_PURSE.maxBalance,
    counter: 1, // the RELOAD of issueTestCard
    syncedThrough: 1, // a RELOAD syncs the card (its own record included)
    offlineSpend: 0,
    offlineLimit: DEFAULT_PURSE.offlineLimit,
    cvmLimit: DEFAULT_PURSE.cvmLimit,
    noCvmSpend: 0,
    noCvmLimit: DEFAULT_PURSE.noCvmLimit,
    currency: CURRENCY_KES,
    lifeCycle: LifeCycle.ACTIVE,
    pinTriesLeft: 3,
    pukBlocked: false,
  });
}

describe('reader events through pcscd with the simulator card', () => {
  it('reports card-inserted with the Huduma ATR, then card-removed', async () => {
    const reader = harness.readers[0]!;
    const inserted = nextEvent('card-inserted', reader);
    await harness.insertCard(0, { options: { cardPath: card.path } });
    const event = await inserted;
    expect(hex(event.atr)).toBe(hex(HUDUMA_ATR));
    // TS 3B, T0 86 (6 historical bytes), TD1 80, TD2 01 (T=1), "HUDUMA", TCK.
    expect(hex(event.atr.subarray(0, 4))).toBe('3B868001');
    expect(Buffer.from(event.atr.subarray(4, 10)).toString('latin1')).toBe('HUDUMA');
    expect(readers.state(reader)).toMatchObject({ cardPresent: true });
    const removed = nextEvent('card-removed', reader);
    await harness.removeCard(0);
    await removed;
    expect(readers.state(reader)?.cardPresent).toBe(false);
  });
});

describe('independent PC/SC clients read the simulated card', () => {
  beforeAll(async () => {
    await insertCardFile(harness, readers, card.path);
  });
  afterAll(async () => {
    await removeCard(harness, readers);
  });

  it('scriptor (pcsc-tools): SELECT answers the FCI of SPEC.md §6.1, READ PURSE the §2.3 purse, both 9000', () => {
    const run = spawnSync('scriptor', ['-r', harness.readers[0]!], {
      input: `${spaced(SELECT)}\n${spaced(READ_PURSE)}\n`,
      env: harness.env,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Using T=1 protocol');
    // Each answer: "< XX XX ...", wrapped over lines, ending " : Normal processing."
    const answers = [...run.stdout.matchAll(/^< ([0-9A-F \n]+?) : (.+)$/gm)].map((m) => ({
      bytes: new Uint8Array(Buffer.from(m[1]!.replace(/\s/g, ''), 'hex')),
      meaning: m[2],
    }));
    expect(answers).toHaveLength(2);
    const [select, readPurse] = answers as [(typeof answers)[0], (typeof answers)[0]];
    for (const a of answers) {
      expect(hex(a.bytes.subarray(-2))).toBe('9000');
      expect(a.meaning).toBe('Normal processing.');
    }
    const fciPurse = checkFci(select.bytes.subarray(0, -2), card.cardNumber);
    expectIssuedPurse(fciPurse);
    expect(readPurse.bytes.length).toBe(Size.PURSE + 2);
    expect(decodePurse(readPurse.bytes.subarray(0, -2))).toEqual(fciPurse);
  });

  it('opensc-tool --reader 0 --send-apdu: same FCI and purse, SW 9000', () => {
    const apdu = (b: Uint8Array) => hex(b).replace(/(..)(?!$)/g, '$1:');
    const run = spawnSync(
      'opensc-tool',
      ['--reader', '0', '--send-apdu', apdu(SELECT), '--send-apdu', apdu(READ_PURSE)],
      { env: harness.env, encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    // "Received (SW1=0x90, SW2=0x00):" then hex dump lines (16 bytes, then ASCII).
    const blocks = run.stdout.split(/^Sending: /m).slice(1);
    expect(blocks).toHaveLength(2);
    const responses = blocks.map((block) => {
      const [, sw, dump = ''] = /Received \(SW1=0x(..), SW2=0x(?:..)\):\n([\s\S]*)/.exec(block) ?? [];
      expect(sw, block).toBe('90');
      expect(block).toContain('SW2=0x00');
      const data = dump
        .split('\n')
        .map((line) => line.slice(0, 48).replace(/\s/g, ''))
        .join('');
      return new Uint8Array(Buffer.from(data, 'hex'));
    });
    const fciPurse = checkFci(responses[0]!, card.cardNumber);
    expectIssuedPurse(fciPurse);
    expect(decodePurse(responses[1]!)).toEqual(fciPurse);
  });
});

describe('huduma-sim vpcd', () => {
  let cli: ChildProcessWithoutNullStreams | undefined;
  afterAll(() => {
    cli?.kill('SIGKILL');
  });

  it('serves a card file to pcscd; keys and signals insert and remove it; Ctrl-C stops it', async () => {
    // Slot 1 (port 35964): the harness's card host only connects to slots it was asked to fill.
    const reader = harness.readers[1]!;
    const port = 35963 + 1;
    let inserted = nextEvent('card-inserted', reader);
    // The vpcd driver listens inside the harness's network namespace, so the command runs there.
    cli = spawn(
      'setpriv',
      [
        '--pdeathsig',
        'KILL',
        'nsenter',
        `--net=${harness.netnsPath()}`,
        process.execPath,
        '--conditions=huduma-source',
        '--import',
        'tsx',
        SIM_CLI,
        'vpcd',
        '--card',
        card.path,
        '--port',
        String(port),
      ],
      { env: harness.env },
    );
    let output = '';
    cli.stdout.on('data', (d) => (output += d));
    cli.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => cli!.once('exit', (code) => resolve(code)));

    expect(hex((await inserted).atr)).toBe(hex(HUDUMA_ATR));
    const connection = await readers.connect(reader);
    const answer = await connection.transmit(READ_PURSE);
    expect(hex(answer.subarray(-2))).toBe('9000');
    expectIssuedPurse(decodePurse(answer.subarray(0, -2)));
    await connection.close();

    let removed = nextEvent('card-removed', reader);
    cli.stdin.write('r');
    await removed;
    inserted = nextEvent('card-inserted', reader);
    cli.stdin.write('i');
    await inserted;
    removed = nextEvent('card-removed', reader);
    cli.kill('SIGUSR2');
    await removed;
    inserted = nextEvent('card-inserted', reader);
    cli.kill('SIGUSR1');
    await inserted;

    removed = nextEvent('card-removed', reader);
    cli.kill('SIGINT');
    expect(await exited, output).toBe(0);
    await removed; // stopping takes the card out
    expect(output).toContain('card inserted');
    expect(output).toContain('card removed');
    expect(output.trimEnd().endsWith('stopped')).toBe(true);
  });

  it('refuses a missing card file with a usage message (exit 1)', () => {
    const run = spawnSync(
      process.execPath,
      ['--conditions=huduma-source', '--import', 'tsx', SIM_CLI, 'vpcd', '--card', `${dir}/nope.cbor`],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`no card file at ${dir}/nope.cbor`);
  });
});
