import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeCryptoSigner, runLogCli, TransactionLog } from '../src/index';
import {
  provenSale as sale,
  TEST_ISSUER_CA_PUBLIC_KEY,
  TEST_PRIVATE_KEY,
  TEST_TERMINAL_ID,
  tempDir,
} from './fixtures';

const tmp = tempDir('txlog-cli-');
afterAll(() => tmp.cleanup());
const signer = nodeCryptoSigner(TEST_PRIVATE_KEY, TEST_TERMINAL_ID);

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runLogCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

async function makeLog(name: string): Promise<string> {
  const path = tmp.path(name);
  const log = await TransactionLog.open(path, { create: true, signer });
  await log.append(sale(1, 1050));
  await log.append(sale(2, 2000));
  await log.checkpoint();
  await log.append(sale(3, 5));
  await log.close();
  return path;
}

describe('log CLI', () => {
  it('verify prints a summary and exits 0 for a good log, with a hex or JSON terminal cert', async () => {
    const path = await makeLog('good.log');
    const hexCert = tmp.path('terminal.hex');
    writeFileSync(hexCert, `${Buffer.from(signer.publicKey).toString('hex')}\n`);
    const jsonCert = tmp.path('terminal.json');
    writeFileSync(jsonCert, JSON.stringify({ publicKey: Buffer.from(signer.publicKey).toString('hex') }));

    const plain = await run('log', 'verify', path);
    expect(plain.code).toBe(0);
    expect(plain.out).toContain('OK');
    expect(plain.out).toMatch(/records\s+4/);
    expect(plain.out).toContain('signatures not-checked');
    expect(plain.out).toMatch(/unsigned tail\s+1 record/);
    expect(plain.out).toContain('30.55');

    for (const cert of [hexCert, jsonCert]) {
      const checked = await run('verify', path, '--terminal-cert', cert);
      expect(checked.code).toBe(0);
      expect(checked.out).toContain(`signatures verified, terminal ${TEST_TERMINAL_ID}`);
    }
    const json = await run('verify', path, '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, records: 4, lastCheckpointSeq: 2 });
  });

  it('verify exits 1 and names the first bad record', async () => {
    const path = await makeLog('bad.log');
    const bytes = readFileSync(path);
    bytes[30]! ^= 0xff; // inside record 0's payload
    writeFileSync(path, bytes);
    const result = await run('log', 'verify', path);
    expect(result.code).toBe(1);
    expect(result.out).toContain('BAD');
    expect(result.out).toMatch(/FIRST BAD RECORD\s+seq 0 at offset 8: frame-corrupt/);

    const otherKey = tmp.path('other.hex');
    writeFileSync(
      otherKey,
      Buffer.from(nodeCryptoSigner(new Uint8Array(32).fill(5), 'X').publicKey).toString('hex'),
    );
    const wrongKey = await run('verify', await makeLog('good2.log'), '--terminal-cert', otherKey);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.out).toMatch(/seq 2 .*checkpoint-signature/);

    const missing = await run('verify', tmp.path('nope.log'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('ERR_TXLOG_NOT_FOUND');
    expect(missing.err).toMatch(/^error: .*nope.log/);
  });

  it('verify checks every card proof: a forged proof or an untrusted issuer CA names the record', async () => {
    const path = tmp.path('forged.log');
    const log = await TransactionLog.open(path, { create: true, signer });
    await log.append(sale(1, 1050));
    const forged = sale(2, 2000);
    forged.amountCents = 200; // the card signed 2000 cents
    await log.append(forged);
    await log.close();
    const result = await run('verify', path);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/seq 1 .*card-proof: card signed 2000 cents, record says 200/);

    const issuer = tmp.path('issuer.hex');
    writeFileSync(issuer, Buffer.from(TEST_ISSUER_CA_PUBLIC_KEY).toString('hex'));
    const trusted = await run('verify', await makeLog('chained.log'), '--issuer-ca', issuer);
    expect(trusted.code).toBe(0);
    expect(trusted.out).toMatch(/card proofs\s+verified/);
    const otherIssuer = tmp.path('other-issuer.hex');
    writeFileSync(
      otherIssuer,
      Buffer.from(nodeCryptoSigner(new Uint8Array(32).fill(7), 'X').publicKey).toString('hex'),
    );
    const untrusted = await run('verify', await makeLog('chained2.log'), '--issuer-ca', otherIssuer);
    expect(untrusted.code).toBe(1);
    expect(untrusted.out).toMatch(/seq 0 .*not issued by a trusted issuer CA/);
  });

  it('export writes JSON or CSV to stdout', async () => {
    const path = await makeLog('export.log');
    const json = await run('log', 'export', path, '--format', 'json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out).map((r: { type: string }) => r.type)).toEqual([
      'sale',
      'sale',
      'checkpoint',
      'sale',
    ]);
    const csv = await run('export', path, '--format=csv');
    expect(csv.code).toBe(0);
    expect(csv.out.trimEnd().split('\n')).toHaveLength(5);
  });

  it('usage errors exit 2', async () => {
    expect((await run()).code).toBe(2);
    expect((await run('export', 'x.log')).code).toBe(2);
    expect((await run('export', 'x.log', '--format', 'xml')).code).toBe(2);
    expect((await run('frobnicate', 'x.log')).code).toBe(2);
    const badCert = tmp.path('bad.cert');
    writeFileSync(badCert, 'not a key');
    const result = await run('verify', await makeLog('c.log'), '--terminal-cert', badCert);
    expect(result.code).toBe(1);
    expect(result.err).toContain('ERR_TXLOG_KEY');
  });
});
