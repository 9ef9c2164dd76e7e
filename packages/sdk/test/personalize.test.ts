import {
  CURRENCY_KES,
  generatePrivateKey,
  KeyUsage,
  publicKeyOf,
  StoreDataObject,
} from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import { describe, expect, it } from 'vitest';
import { PersonalizationError, type PersonalizeArgs, personalizeCard } from '../src/index';
import { FakePersoCard } from './fake-perso-card';

const CARD = '8404000000000013';

function setup(serial = 1) {
  const pki = DevPki.inMemory();
  const chipSerial = new Uint8Array(8).fill(serial);
  const k = pki.installKeys(chipSerial);
  const card = new FakePersoCard({ chipSerial, persoEnc: k.persoEnc, persoMac: k.persoMac, att: k.att });
  const args: PersonalizeArgs = {
    cardNumber: CARD,
    purse: {
      maxBalance: 10_000_000,
      offlineLimit: 500_000,
      cvmLimit: 5_000,
      noCvmLimit: 10_000,
      currency: CURRENCY_KES,
    },
    pin: '1234',
    puk: '12345678',
    trustedKeys: pki.trustedKeysForCard(),
    issuer: pki,
    issuerCaPublicKey: pki.issuerCaPublicKey,
  };
  return { pki, card, args, chipSerial };
}

describe('personalizeCard (SPEC-v2 §7)', () => {
  it('runs the issuer-authenticated session and stores a certificate for both attested keys', async () => {
    const { card, args } = setup();
    const res = await personalizeCard(card, args);
    expect(card.lifeCycle).toBe(0x02);
    expect(card.log).toEqual([
      'SELECT',
      'INITIALIZE_PERSO',
      'EXTERNAL_AUTHENTICATE_PERSO',
      ...Array(6).fill('STORE_DATA'), // card number, purse, PIN, PUK, two trusted keys
      'GENERATE_KEY_PAIR',
      'GENERATE_KEY_PAIR',
      'STORE_DATA',
      'FINALIZE',
    ]);
    expect(res.signingKey).toEqual(publicKeyOf(card.keys.signing!));
    expect(res.keyAgreementKey).toEqual(publicKeyOf(card.keys.keyAgreement!));
    expect(card.stored.get(StoreDataObject.CARD_CERTIFICATE)).toEqual(res.certificate);
    expect(card.stored.get(StoreDataObject.TRUSTED_KEY)?.[0]).toBe(KeyUsage.LOAD_AUTHORITY);
  });

  it('refuses a chip whose perso keys are not the ones derived for its serial', async () => {
    const { args } = setup();
    const other = setup(2);
    const err = await personalizeCard(other.card, { ...args }).catch((e) => e);
    expect(err).toBeInstanceOf(PersonalizationError);
    expect(err).toMatchObject({ code: 'ERR_PERSONALIZATION_CARD_AUTH', step: 'INITIALIZE_PERSO' });
  });

  it('never certifies a key the chip did not generate (the issuer checks the K.att MAC)', async () => {
    const { card, args } = setup();
    card.substituteKeyAgreementKey = publicKeyOf(generatePrivateKey());
    const err = await personalizeCard(card, args).catch((e) => e);
    expect(err).toMatchObject({ code: 'ERR_PERSONALIZATION_CERTIFICATE', step: 'ISSUE_CERTIFICATE' });
    expect((err as Error).message).toMatch(/attMac/);
    expect(card.lifeCycle).toBe(0x01);
    expect(card.log).not.toContain('FINALIZE');
  });

  it('checks its inputs before the first APDU', async () => {
    const { card, args } = setup();
    await expect(personalizeCard(card, { ...args, puk: '123' })).rejects.toMatchObject({
      code: 'ERR_PERSONALIZATION_INPUT',
    });
    expect(card.log).toEqual([]);
    await expect(
      personalizeCard(card, { ...args, issuerCaPublicKey: DevPki.inMemory().issuerCaPublicKey }),
    ).rejects.toMatchObject({ code: 'ERR_PERSONALIZATION_CERTIFICATE' });
  });
});
