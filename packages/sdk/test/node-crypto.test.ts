import {
  CryptoProfile,
  ecdh,
  generatePrivateKey,
  INS,
  publicKeyOf,
  signMessage,
  verifyMessage,
} from '@huduma/card-applet-spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CardCertificateInvalidError, DebitOutcomeUnknownError, HudumaCard } from '../src/index';
import { nodeCryptoKeyAgreement, nodeCryptoVerify } from '../src/node';
import { fakeCardWithPki } from './fake-card';

const SEED = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);

describe('nodeCryptoVerify (OpenSSL) agrees with the spec’s verifyMessage', () => {
  it(`on valid signatures and any one-bit change of signature, message or key (seed ${SEED})`, () => {
    const key = generatePrivateKey();
    const message: Uint8Array = new TextEncoder().encode('HUDUMA proof');
    const base = { key: publicKeyOf(key), message, signature: signMessage(key, message) };
    expect(nodeCryptoVerify(base.key, base.message, base.signature)).toBe(true);
    fc.assert(
      fc.property(
        fc.constantFrom('signature', 'message', 'key'),
        fc.nat(),
        fc.nat({ max: 7 }),
        (part, at, bit) => {
          const changed = { ...base, [part]: base[part as keyof typeof base].slice() };
          const bytes = changed[part as keyof typeof changed];
          bytes[at % bytes.length]! ^= 1 << bit;
          expect(nodeCryptoVerify(changed.key, changed.message, changed.signature)).toBe(
            verifyMessage(changed.key, changed.message, changed.signature),
          );
        },
      ),
      { numRuns: 200, seed: SEED },
    );
    for (const [k, sig] of [
      [base.key.subarray(0, 64), base.signature],
      [new Uint8Array(65), base.signature],
      [base.key, base.signature.subarray(0, 63)],
    ] as const) {
      expect(nodeCryptoVerify(k, base.message, sig)).toBe(false);
    }
  });
});

describe('nodeCryptoKeyAgreement (OpenSSL ECDH) agrees with the spec’s ecdh', () => {
  it('in both crypto profiles (x-coordinate, SHA-1 of it)', async () => {
    const terminal = generatePrivateKey();
    const card = publicKeyOf(generatePrivateKey());
    const ka = nodeCryptoKeyAgreement({ certificate: new Uint8Array(165), privateKey: terminal });
    for (const profile of [CryptoProfile.PLAIN_X, CryptoProfile.SHA1_X]) {
      expect(await ka.agree(card, profile)).toEqual(ecdh(terminal, card, profile));
    }
    await expect(ka.agree(new Uint8Array(65).fill(4), CryptoProfile.PLAIN_X)).rejects.toThrow(TypeError);
  });
});

describe('HudumaCard with the OpenSSL key agreement and verifier', () => {
  const debit = { amount: 2_500, terminalSeq: 7, billRef: 'BILL-42', serviceCode: 3 };

  it('debits with a verified proof, and refuses an altered answer and a foreign issuer', async () => {
    const { card, pki, terminal } = await fakeCardWithPki();
    const options = {
      trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
      terminal: nodeCryptoKeyAgreement(terminal),
      verifySignature: nodeCryptoVerify,
      clock: () => 1_750_000_000,
    };
    const c = await HudumaCard.select(card, options);
    const r = await c.debit(debit);
    expect(r.outcome).toBe('executed');
    expect(card.balance).toBe(97_500);

    // A flipped byte in the SM response fails the R-MAC: the outcome is unknown, never believed.
    const flipping = {
      transmit: async (cmd: Uint8Array) => {
        const response = await card.transmit(cmd);
        if (cmd[1] === INS.DEBIT && response.length > 2) response[30]! ^= 0x01;
        return response;
      },
    };
    const c2 = await HudumaCard.select(flipping, options);
    await expect(c2.debit({ ...debit, terminalSeq: 8 })).rejects.toBeInstanceOf(DebitOutcomeUnknownError);

    const other = await fakeCardWithPki();
    const stranger = await HudumaCard.select(other.card, options);
    await expect(stranger.debit(debit)).rejects.toBeInstanceOf(CardCertificateInvalidError);
  });
});
