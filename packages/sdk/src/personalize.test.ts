import {
  decodeSelectResponse,
  encodePinBlock,
  INS,
  KeyUsage,
  LifeCycle,
  SW,
  verifyCertificateBytes,
} from '@huduma/card-applet-spec';
import { SimulatedCard, SimulatedReader } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { describe, expect, it } from 'vitest';
import { PersonalizationError, personalizeCard } from './personalize';

const pki = DevPki.inMemory();
const args = {
  cardNumber: '8404000000000013',
  purse: { maxBalance: 1_000_000, offlineLimit: 100_000, cvmLimit: 50_000 },
  pin: '2580',
  puk: '11223344',
  trustedKeys: pki.trustedKeysForCard(),
  issueCertificate: (publicKey: Uint8Array, cardNumber: string) =>
    pki.issueCardCertificate({ cardNumber, publicKey }),
};

function fresh() {
  const card = SimulatedCard.create();
  const reader = new SimulatedReader();
  reader.insert(card);
  return { card, reader };
}

describe('personalizeCard', () => {
  it('leaves an ACTIVE card with the key it generated, certified by the issuer CA', async () => {
    const { card, reader } = fresh();
    const { cardPublicKey, certificate } = await personalizeCard(reader, args);
    expect(verifyCertificateBytes(certificate, pki.issuerCaPublicKey)).toMatchObject({
      cardNumber: args.cardNumber,
      publicKey: cardPublicKey,
    });
    const s = card.state;
    expect(s.lifeCycle).toBe(LifeCycle.ACTIVE);
    expect(s.publicKey).toEqual(cardPublicKey);
    expect(s.pinBlock).toEqual(encodePinBlock('2580'));
    expect(s.trustedKeys.map((k) => k.usage)).toEqual([KeyUsage.TERMINAL_CA, KeyUsage.LOAD_AUTHORITY]);
    expect(s.identity).toBeUndefined();
    const sel = decodeSelectResponse(
      card
        .transmit(
          new Uint8Array([
            0,
            INS.SELECT,
            4,
            0,
            11,
            0xf0,
            0x48,
            0x55,
            0x44,
            0x55,
            0x4d,
            0x41,
            0x50,
            0x41,
            0x59,
            0x01,
          ]),
        )
        .subarray(0, -2),
    );
    expect(sel.cardNumber).toBe(args.cardNumber);
  });

  it('names the failing step and the status word', async () => {
    const { reader } = fresh();
    const err = await personalizeCard(reader, { ...args, trustedKeys: [pki.trustedKeysForCard()[0]!] }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(PersonalizationError);
    expect(err).toMatchObject({
      step: 'FINALIZE',
      sw: SW.CONDITIONS_NOT_SATISFIED,
      code: 'ERR_PERSONALIZATION_REFUSED',
    });
    const wrongCert = await personalizeCard(fresh().reader, {
      ...args,
      issueCertificate: (publicKey) =>
        pki.issueCardCertificate({ cardNumber: '8404123456789010', publicKey }),
    }).catch((e) => e);
    expect(wrongCert).toMatchObject({ step: 'STORE_CARD_CERTIFICATE', sw: SW.WRONG_DATA });
  });

  it('refuses bad inputs before sending anything, and a card that is already personalized', async () => {
    const { card, reader } = fresh();
    await expect(personalizeCard(reader, { ...args, pin: '12' })).rejects.toMatchObject({
      step: 'input',
      code: 'ERR_PERSONALIZATION_INPUT',
    });
    expect(card.state.publicKey).toBeUndefined();
    await personalizeCard(reader, args);
    await expect(personalizeCard(reader, args)).rejects.toMatchObject({
      step: 'SELECT',
      code: 'ERR_PERSONALIZATION_NOT_BLANK',
    });
  });

  it('reports a failing certificate callback as ISSUE_CERTIFICATE', async () => {
    const err = await personalizeCard(fresh().reader, {
      ...args,
      issueCertificate: async () => {
        throw new Error('HSM offline');
      },
    }).catch((e) => e);
    expect(err).toMatchObject({ step: 'ISSUE_CERTIFICATE', code: 'ERR_PERSONALIZATION_CERTIFICATE' });
    expect(err.message).toContain('HSM offline');
  });
});
