import {
  cmac,
  generatePrivateKey,
  KeyKind,
  type KeyKindCode,
  keyAttestationMessage,
  publicKeyOf,
  signMessage,
  verifyCertificateBytes,
} from '@huduma/card-applet-spec';
import { describe, expect, it } from 'vitest';
import { type AttestedKey, DevPki } from './index';

const CARD = '8404000000000013';

/** What the applet's GENERATE KEY PAIR does (§7.5), played by the test with the chip's K.att. */
function fakeChip(pki: DevPki, serial: number) {
  const chipSerial = new Uint8Array(8).fill(serial);
  const { att } = pki.installKeys(chipSerial);
  const sk = generatePrivateKey();
  const ka = generatePrivateKey();
  const attest = (
    kind: KeyKindCode,
    pub: Uint8Array,
    attNonce: Uint8Array,
    opts: { kAtt?: Uint8Array; signer?: Uint8Array } = {},
  ): AttestedKey => {
    const m = keyAttestationMessage(chipSerial, kind, pub, attNonce);
    return {
      publicKey: pub,
      attNonce,
      attSig: signMessage(opts.signer ?? sk, m),
      attMac: cmac(opts.kAtt ?? att, m),
    };
  };
  return { chipSerial, sk, ka, attest };
}

describe('DevPki.certifyCard (§7.6)', () => {
  it('certifies both attested keys of a chip it installed, once', async () => {
    const pki = DevPki.inMemory();
    const chip = fakeChip(pki, 1);
    const req = {
      chipSerial: chip.chipSerial,
      cardNumber: CARD,
      signingKey: chip.attest(KeyKind.SIGNING, publicKeyOf(chip.sk), pki.attestationNonce(chip.chipSerial)),
      keyAgreementKey: chip.attest(
        KeyKind.KEY_AGREEMENT,
        publicKeyOf(chip.ka),
        pki.attestationNonce(chip.chipSerial),
      ),
    };
    const cert = await pki.certifyCard(req);
    const decoded = verifyCertificateBytes(cert, pki.issuerCaPublicKey);
    expect(decoded).toMatchObject({ type: 'card', cardNumber: CARD });
    expect(decoded).toMatchObject({
      signingKey: publicKeyOf(chip.sk),
      keyAgreementKey: publicKeyOf(chip.ka),
    });
    // nonces are single-use: the same request again fails at the nonce, before the chip check
    await expect(pki.certifyCard(req)).rejects.toMatchObject({ code: 'ERR_PKI_ATTESTATION_NONCE' });
    // fresh nonces, same chip: refused, the chip already holds a certificate
    const again = {
      ...req,
      signingKey: chip.attest(KeyKind.SIGNING, publicKeyOf(chip.sk), pki.attestationNonce(chip.chipSerial)),
      keyAgreementKey: chip.attest(
        KeyKind.KEY_AGREEMENT,
        publicKeyOf(chip.ka),
        pki.attestationNonce(chip.chipSerial),
      ),
    };
    await expect(pki.certifyCard(again)).rejects.toMatchObject({ code: 'ERR_PKI_CHIP_CERTIFIED' });
  });

  it('refuses a key the bureau made (no K.att), a key not signed by PK.card, and a swapped key kind', async () => {
    const pki = DevPki.inMemory();
    const chip = fakeChip(pki, 2);
    const n = () => pki.attestationNonce(chip.chipSerial);
    const good = () => chip.attest(KeyKind.SIGNING, publicKeyOf(chip.sk), n());
    const base = { chipSerial: chip.chipSerial, cardNumber: CARD };
    const bureauKey = generatePrivateKey();
    await expect(
      pki.certifyCard({
        ...base,
        signingKey: good(),
        keyAgreementKey: chip.attest(KeyKind.KEY_AGREEMENT, publicKeyOf(bureauKey), n(), {
          kAtt: new Uint8Array(16),
        }),
      }),
    ).rejects.toMatchObject({ code: 'ERR_PKI_ATTESTATION_MAC' });
    await expect(
      pki.certifyCard({
        ...base,
        signingKey: good(),
        keyAgreementKey: chip.attest(KeyKind.KEY_AGREEMENT, publicKeyOf(chip.ka), n(), { signer: bureauKey }),
      }),
    ).rejects.toMatchObject({ code: 'ERR_PKI_ATTESTATION_SIGNATURE' });
    // an attestation made for kk=01 does not verify as kk=02 (kk is inside M)
    await expect(
      pki.certifyCard({
        ...base,
        signingKey: good(),
        keyAgreementKey: chip.attest(KeyKind.SIGNING, publicKeyOf(chip.ka), n()),
      }),
    ).rejects.toMatchObject({ code: 'ERR_PKI_ATTESTATION_MAC' });
  });

  it('refuses nonces it did not issue for this chip and chips it never installed', async () => {
    const pki = DevPki.inMemory();
    const a = fakeChip(pki, 3);
    const b = fakeChip(pki, 4);
    const req = {
      chipSerial: a.chipSerial,
      cardNumber: CARD,
      signingKey: a.attest(KeyKind.SIGNING, publicKeyOf(a.sk), pki.attestationNonce(b.chipSerial)),
      keyAgreementKey: a.attest(KeyKind.KEY_AGREEMENT, publicKeyOf(a.ka), pki.attestationNonce(a.chipSerial)),
    };
    await expect(pki.certifyCard(req)).rejects.toMatchObject({ code: 'ERR_PKI_ATTESTATION_NONCE' });
    expect(() => pki.attestationNonce(new Uint8Array(8).fill(9))).toThrow(
      expect.objectContaining({ code: 'ERR_PKI_UNKNOWN_CHIP' }),
    );
  });
});
