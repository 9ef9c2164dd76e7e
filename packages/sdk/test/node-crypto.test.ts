import { readFileSync } from 'node:fs';
import { INS, transactionSigningMessage, verifyMessage } from '@huduma/card-applet-spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CardCertificateInvalidError, HudumaCard, ProofInvalidError } from '../src/index';
import { nodeCryptoTerminalSigner, nodeCryptoVerify } from '../src/node';
import { caKey, FakeCard, makeTerminal, NOW } from './fake-card';

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('nodeCryptoVerify (OpenSSL) agrees with the spec’s verifyMessage', () => {
  const v = JSON.parse(
    readFileSync(new URL('../../../card-applet-spec/vectors/v1.json', import.meta.url), 'utf8'),
  );
  const cases: Array<{ key: Uint8Array; message: Uint8Array; signature: Uint8Array }> = [
    ...Object.values(v.transactions as Record<string, { recordHex: string; signature: string }>).map((t) => ({
      key: fromHex(v.keys.card.publicKey),
      message: transactionSigningMessage(v.cardNumber.digits, fromHex(t.recordHex)),
      signature: fromHex(t.signature),
    })),
    {
      key: fromHex(v.keys.issuerCa.publicKey),
      message: fromHex(v.certificates.card.signingMessage),
      signature: fromHex(v.certificates.card.fields.signature),
    },
    {
      key: fromHex(v.keys.terminalCa.publicKey),
      message: fromHex(v.certificates.terminal.signingMessage),
      signature: fromHex(v.certificates.terminal.fields.signature),
    },
  ];

  it('on every signature of the spec vectors', () => {
    expect(cases.length).toBeGreaterThanOrEqual(5);
    for (const c of cases) {
      expect(verifyMessage(c.key, c.message, c.signature)).toBe(true);
      expect(nodeCryptoVerify(c.key, c.message, c.signature)).toBe(true);
    }
  });

  it('on any one-bit change of signature, message or key, and on malformed input', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: cases.length - 1 }),
        fc.constantFrom('signature', 'message', 'key'),
        fc.nat(),
        fc.nat({ max: 7 }),
        (i, part, at, bit) => {
          const c = cases[i]!;
          const changed = { ...c, [part]: c[part as keyof typeof c].slice() };
          const bytes = changed[part as keyof typeof changed];
          bytes[at % bytes.length]! ^= 1 << bit;
          expect(nodeCryptoVerify(changed.key, changed.message, changed.signature)).toBe(
            verifyMessage(changed.key, changed.message, changed.signature),
          );
        },
      ),
      { numRuns: 300 },
    );
    const c = cases[0]!;
    for (const [key, sig] of [
      [c.key.subarray(0, 64), c.signature],
      [new Uint8Array(65), c.signature],
      [c.key, c.signature.subarray(0, 63)],
      [c.key, new Uint8Array(64)],
    ] as const) {
      expect(nodeCryptoVerify(key, c.message, sig)).toBe(false);
      expect(verifyMessage(key, c.message, sig)).toBe(false);
    }
  });
});

describe('HudumaCard with the OpenSSL signer and verifier', () => {
  const issuer = caKey();
  const acquirer = caKey();
  const terminal = makeTerminal(acquirer);
  const options = () => ({
    trust: { issuerCaPublicKeys: [issuer.publicKey] },
    terminal: nodeCryptoTerminalSigner(terminal),
    verifySignature: nodeCryptoVerify,
    clock: () => NOW,
  });
  const debit = { amount: 2_500, terminalSeq: 7, billRef: 'BILL-42', serviceCode: 3 };

  it('debits: the card accepts its terminal signature, and the proof verifies', async () => {
    const card = new FakeCard(issuer);
    const c = await HudumaCard.select(card, options());
    const proof = await c.debit(debit);
    expect(proof.record).toMatchObject({ amount: 2_500, terminalSeq: 7 });
    expect(card.purse.balance).toBe(97_500);
  });

  it('still refuses a flipped proof and a card certificate from another issuer', async () => {
    const card = new FakeCard(issuer);
    const flipping = {
      transmit: async (cmd: Uint8Array) => {
        const response = await card.transmit(cmd);
        if (cmd[1] === INS.DEBIT && response.length > 2) response[30]! ^= 0x01;
        return response;
      },
    };
    const c = await HudumaCard.select(flipping, options());
    await expect(c.debit(debit)).rejects.toBeInstanceOf(ProofInvalidError);

    const stranger = await HudumaCard.select(new FakeCard(caKey()), options());
    await expect(stranger.debit(debit)).rejects.toBeInstanceOf(CardCertificateInvalidError);
  });
});
