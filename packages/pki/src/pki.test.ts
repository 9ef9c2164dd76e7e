import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Capability,
  CURRENCY_KES,
  decodeCertificate,
  decodeLoadAuthorization,
  generatePrivateKey,
  KeyUsage,
  keyIdOf,
  publicKeyOf,
  Size,
  toHex,
  verifyCertificateBytes,
  verifyLoadAuthorizationBytes,
  verifyMessage,
} from '@huduma/card-applet-spec';
import { afterEach, describe, expect, it } from 'vitest';
import { DevPki, PkiError, parseCapabilities, privateKeyFromJwk, runPkiCli, softwareSigner } from './index';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'huduma-pki-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

const CARD = '8404000000000013';

describe('softwareSigner', () => {
  it('signs r||s over SHA-256 that verifies with its public key', async () => {
    const s = softwareSigner(generatePrivateKey());
    const sig = await s.sign(new Uint8Array([1, 2, 3]));
    expect(sig).toHaveLength(64);
    expect(verifyMessage(s.publicKey, new Uint8Array([1, 2, 3]), sig)).toBe(true);
    expect(s.keyId).toHaveLength(8);
  });
});

describe('DevPki in memory', () => {
  it('issues terminal certificates that verify with the acquirer CA and not the issuer CA', async () => {
    const pki = DevPki.inMemory();
    const t = await pki.issueTerminal({
      terminalId: 'T-001',
      merchantId: 'M-01',
      capabilities: ['DEBIT', 'UNDEBIT'],
    });
    expect(t.certificate).toHaveLength(Size.TERMINAL_CERTIFICATE);
    expect(t.certificate[0]).toBe(0x02); // v2
    const cert = verifyCertificateBytes(t.certificate, pki.acquirerCaPublicKey);
    expect(cert?.type).toBe('terminal');
    if (cert?.type !== 'terminal') throw new Error('unreachable');
    expect(cert.capabilities).toBe(Capability.DEBIT | Capability.UNDEBIT);
    expect(cert.keyAgreementKey).toEqual(publicKeyOf(t.privateKey));
    expect(t.keyId).toEqual(keyIdOf(t.publicKey));
    expect(cert.notAfter - cert.notBefore).toBe(730 * 86400);
    expect(verifyCertificateBytes(t.certificate, pki.issuerCaPublicKey)).toBeUndefined();
    expect(verifyCertificateBytes(t.certificate, DevPki.inMemory().acquirerCaPublicKey)).toBeUndefined();
  });

  it('issues card certificates (5 years) signed by the issuer CA', async () => {
    const pki = DevPki.inMemory();
    const pub = publicKeyOf(generatePrivateKey());
    const ka = publicKeyOf(generatePrivateKey());
    const bytes = await pki.issueCardCertificate({
      cardNumber: CARD,
      signingKey: pub,
      keyAgreementKey: ka,
      notBefore: 1_700_000_000,
    });
    expect(bytes).toHaveLength(Size.CARD_CERTIFICATE);
    const cert = verifyCertificateBytes(bytes, pki.issuerCaPublicKey);
    expect(cert).toMatchObject({ type: 'card', cardNumber: CARD, notBefore: 1_700_000_000 });
    expect(cert).toMatchObject({ signingKey: pub, keyAgreementKey: ka });
    expect(cert!.notAfter - cert!.notBefore).toBe(1826 * 86400);
    expect(verifyCertificateBytes(bytes, pki.acquirerCaPublicKey)).toBeUndefined();
  });

  it('lists the acquirer CA and load authority as the card trusted keys', () => {
    const pki = DevPki.inMemory();
    expect(pki.trustedKeysForCard()).toEqual([
      { usage: KeyUsage.TERMINAL_CA, publicKey: pki.acquirerCaPublicKey },
      { usage: KeyUsage.LOAD_AUTHORITY, publicKey: pki.loadAuthorityPublicKey },
    ]);
  });

  it('signs load authorizations with the load authority', async () => {
    const pki = DevPki.inMemory();
    const bytes = await pki.authorizeLoad({
      cardNumber: CARD,
      cardCounter: 3,
      cardChallenge: new Uint8Array(16).fill(7),
      amount: 5000,
      currency: CURRENCY_KES,
      time: 1_700_000_000,
      terminalId: 'ISSUER',
      terminalSeq: 1,
      terminalNonce: new Uint8Array(8),
      loadRef: 'MPESA-1',
    });
    expect(bytes).toHaveLength(Size.LOAD_AUTHORIZATION);
    expect(verifyLoadAuthorizationBytes(bytes, pki.loadAuthorityPublicKey)).toBe(true);
    expect(verifyLoadAuthorizationBytes(bytes, pki.issuerCaPublicKey)).toBe(false);
    expect(decodeLoadAuthorization(bytes).keyId).toEqual(pki.loadAuthority.keyId);
  });

  it('parses capability lists and rejects unknown names', () => {
    expect(parseCapabilities('debit,undebit,reload,identity-read,block')).toBe(0x1f);
    expect(parseCapabilities('unblock-pin')).toBe(Capability.UNBLOCK_PIN);
    expect(() => parseCapabilities('debit,teleport')).toThrow(PkiError);
    // bits 0xFFC0 are undefined in v2 (§4.3): a certificate with them is invalid, so never issue one
    expect(() => parseCapabilities(0x0040)).toThrow(/undefined bits/);
    expect(() => parseCapabilities(0x8001)).toThrow(/undefined bits/);
  });

  it('grants UNBLOCK_PIN only when asked, and refuses notAfter before notBefore', async () => {
    const pki = DevPki.inMemory();
    const centre = await pki.issueTerminal({
      terminalId: 'HC-01',
      merchantId: 'HUDUMA',
      capabilities: ['UNBLOCK_PIN'],
    });
    const till = await pki.issueTerminal({ terminalId: 'T-01', merchantId: 'M', capabilities: 'debit' });
    const caps = (b: Uint8Array) => (decodeCertificate(b) as { capabilities: number }).capabilities;
    expect(caps(centre.certificate) & Capability.UNBLOCK_PIN).toBe(Capability.UNBLOCK_PIN);
    expect(caps(till.certificate) & Capability.UNBLOCK_PIN).toBe(0);
    await expect(
      pki.issueTerminal({ terminalId: 'T', merchantId: 'M', capabilities: 1, notBefore: 10, notAfter: 9 }),
    ).rejects.toMatchObject({ code: 'ERR_PKI_VALIDITY' });
  });
});

describe('DevPki on disk', () => {
  it('writes private keys with mode 0600 and reopens to the same keys', async () => {
    const dir = tmp();
    const pki = DevPki.init(dir);
    for (const f of ['issuer-ca.key', 'acquirer-ca.key', 'load-authority.key']) {
      expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    }
    const t = await pki.issueTerminal({ terminalId: 'T1', merchantId: 'M1', capabilities: 1 });
    expect(fs.statSync(path.join(dir, 'terminals', 'T1.key')).mode & 0o777).toBe(0o600);
    expect(new Uint8Array(fs.readFileSync(path.join(dir, 'terminals', 'T1.cert')))).toEqual(t.certificate);
    const again = DevPki.open(dir);
    expect(again.acquirerCaPublicKey).toEqual(pki.acquirerCaPublicKey);
    expect(again.issuerCaPublicKey).toEqual(pki.issuerCaPublicKey);
    expect(again.loadTerminal('T1').privateKey).toEqual(t.privateKey);
    expect(() => DevPki.init(dir)).toThrow(/already holds a PKI/);
    for (const f of ['perso-master.key', 'attestation-master.key']) {
      expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    }
    const chip = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(again.installKeys(chip)).toEqual(pki.installKeys(chip));
  });

  it("writes the terminal's own key id into its .key file, never the acquirer CA's (§14)", async () => {
    const dir = tmp();
    const pki = DevPki.init(dir);
    const t = await pki.issueTerminal({ terminalId: 'T2', merchantId: 'M1', capabilities: 1 });
    const file = path.join(dir, 'terminals', 'T2.key');
    const jwk = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(jwk.kid).toBe(toHex(keyIdOf(t.publicKey)));
    expect(jwk.kid).not.toBe(toHex(pki.acquirerCa.keyId));
    expect(pki.loadTerminal('T2').keyId).toEqual(keyIdOf(t.publicKey));
  });

  it('refuses a key file whose kid is not its key id (a v1 file naming the acquirer CA)', async () => {
    const dir = tmp();
    const pki = DevPki.init(dir);
    await pki.issueTerminal({ terminalId: 'T3', merchantId: 'M1', capabilities: 1 });
    const file = path.join(dir, 'terminals', 'T3.key');
    const jwk = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...jwk, kid: toHex(pki.acquirerCa.keyId) }));
    expect(() => pki.loadTerminal('T3')).toThrow(
      expect.objectContaining({ code: 'ERR_PKI_KEY_ID_MISMATCH' }),
    );
    fs.writeFileSync(file, JSON.stringify({ ...jwk, kid: undefined }));
    expect(() => pki.loadTerminal('T3')).toThrow(
      expect.objectContaining({ code: 'ERR_PKI_KEY_ID_MISMATCH' }),
    );
    expect(() => privateKeyFromJwk({ ...jwk, x: jwk.y }, 'x')).toThrow(/x\/y do not match/);
  });
});

describe('huduma-pki CLI', () => {
  it('init, issue-terminal and show never print a private key', async () => {
    const dir = tmp();
    const c = capture();
    expect(await runPkiCli(['init', dir], c.io)).toBe(0);
    expect(
      await runPkiCli(
        ['issue-terminal', dir, '--id', 'T-9', '--merchant', 'M-9', '--caps', 'debit,block', '--days', '30'],
        c.io,
      ),
    ).toBe(0);
    const certFile = path.join(dir, 'terminals', 'T-9.cert');
    expect(await runPkiCli(['show', certFile, '--pki', dir], c.io)).toBe(0);
    expect(c.out).toContain('capabilities:  DEBIT, BLOCK');
    expect(c.out).toContain('signature:     valid');
    const cert = decodeCertificate(new Uint8Array(fs.readFileSync(certFile)));
    expect(cert.notAfter - cert.notBefore).toBe(30 * 86400);
    const secrets: string[] = [];
    for (const f of ['issuer-ca.key', 'acquirer-ca.key', 'load-authority.key', 'terminals/T-9.key']) {
      const jwk = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      secrets.push(jwk.d, toHex(Buffer.from(jwk.d, 'base64url')));
    }
    for (const s of secrets) {
      expect(c.out).not.toContain(s);
      expect(c.err).not.toContain(s);
    }
  });

  it('show --pki reports a certificate from another CA as invalid', async () => {
    const a = tmp();
    const b = tmp();
    const c = capture();
    await runPkiCli(['init', a], c.io);
    await runPkiCli(['init', b], c.io);
    await runPkiCli(['issue-terminal', a, '--id', 'T1', '--merchant', 'M1', '--caps', 'debit'], c.io);
    expect(await runPkiCli(['show', path.join(a, 'terminals', 'T1.cert'), '--pki', b], c.io)).toBe(1);
    expect(c.out).toContain('INVALID');
  });

  it('exits 2 with usage on a bad command line', async () => {
    const c = capture();
    expect(await runPkiCli(['issue-terminal', tmp(), '--id', 'T1'], c.io)).toBe(2);
    expect(c.err).toContain('--merchant is required');
    expect(await runPkiCli(['frobnicate'], c.io)).toBe(2);
    expect(c.err).toContain('usage: huduma-pki');
  });
});
