import { createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/p256';
import { sha256 } from '@noble/hashes/sha256';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeDenyListDelta, packCardNumberBcd } from '../src/signed-messages';
import { generateSigner, keyObjectSigner, loadOrCreateFileSigner, verifyP256 } from '../src/signer';

const dir = mkdtempSync(join(tmpdir(), 'huduma-signer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('service signer', () => {
  it('creates the key file with mode 0600 on first start and reloads the same key', () => {
    const path = join(dir, 'keys', 'service-key.pem');
    const first = loadOrCreateFileSigner(path);
    expect(first.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = loadOrCreateFileSigner(path);
    expect(second.created).toBe(false);
    expect(second.signer.publicKey).toEqual(first.signer.publicKey);
    expect(second.signer.keyId).toBe(first.signer.keyId);
  });

  it('refuses a key file readable by others', () => {
    const path = join(dir, 'loose.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    chmodSync(path, 0o644);
    expect(() => loadOrCreateFileSigner(path)).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNER_KEY_FILE' }),
    );
  });

  it('refuses a key on another curve', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => keyObjectSigner(privateKey)).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNER_KEY_FORMAT' }),
    );
  });

  it('signs raw r||s that an independent P-256 implementation verifies', async () => {
    const signer = generateSigner();
    const message = new TextEncoder().encode('deny list bytes');
    const signature = await signer.sign(message);
    expect(signature).toHaveLength(64);
    expect(p256.verify(signature, sha256(message), signer.publicKey, { lowS: false })).toBe(true);
    expect(verifyP256(signer.publicKey, message, signature)).toBe(true);
    const flipped = signature.slice();
    flipped[10]! ^= 1;
    expect(verifyP256(signer.publicKey, message, flipped)).toBe(false);
    expect(verifyP256(signer.publicKey, message, signature.slice(0, 63))).toBe(false);
  });

  it('verifies high-S signatures, as cards and OpenSSL produce them', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = keyObjectSigner(privateKey);
    const message = new Uint8Array([1, 2, 3]);
    const der = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const sig = p256.Signature.fromCompact(new Uint8Array(der));
    const highS = sig.hasHighS() ? sig : new p256.Signature(sig.r, p256.CURVE.n - sig.s);
    expect(verifyP256(signer.publicKey, message, highS.toCompactRawBytes())).toBe(true);
    expect(createPublicKey(privateKey).asymmetricKeyType).toBe('ec');
  });
});

describe('deny-list canonical encoding', () => {
  it('matches the documented byte layout', () => {
    const bytes = encodeDenyListDelta({
      sinceVersion: 1,
      version: 3,
      issuedAtMs: 0x0102030405,
      entries: [{ version: 3, cardNumber: '4111222233334444', action: 'remove' }],
    });
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex).toBe(
      Buffer.from('HUDUMA-CLEARING/DENY-LIST/v1\0').toString('hex') +
        '0000000000000001' +
        '0000000000000003' +
        '0000000102030405' +
        '00000001' +
        '0000000000000003' +
        '4111222233334444' +
        '02',
    );
    expect(() => packCardNumberBcd('41112222333344')).toThrow(
      expect.objectContaining({ code: 'ERR_CARD_NUMBER' }),
    );
  });
});
