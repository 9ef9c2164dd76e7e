/**
 * A blank card for the SDK's personalization tests: just the PERSONALIZATION-state commands of
 * SPEC-v2 §7 (INITIALIZE / EXTERNAL AUTHENTICATE PERSO, STORE DATA, GENERATE KEY PAIR, FINALIZE)
 * built from the spec package's codecs and card-side SM helpers. Not the reference simulator.
 */
import { type DecodedCommandApdu, decodeCommand, encodeResponse, type Transport } from '@huduma/apdu';
import {
  bytesEqual,
  CryptoProfile,
  cardCryptogram,
  cmac,
  concatBytes,
  decodeCertificate,
  derivePersoSessionKeys,
  encodeSelectResponse,
  generatePrivateKey,
  hostCryptogram,
  INS,
  type KeyKindCode,
  keyAttestationMessage,
  LifeCycle,
  type LifeCycleState,
  macEqual,
  publicKeyOf,
  type SessionKeys,
  SessionType,
  SW,
  signMessage,
  unwrapCommand,
  wrapResponse,
} from '@huduma/card-applet-spec';

export interface ChipKeys {
  chipSerial: Uint8Array;
  persoEnc: Uint8Array;
  persoMac: Uint8Array;
  att: Uint8Array;
}

export class FakePersoCard implements Transport {
  lifeCycle: LifeCycleState = LifeCycle.PERSONALIZATION;
  stored = new Map<number, Uint8Array>();
  keys: { signing?: Uint8Array; keyAgreement?: Uint8Array } = {};
  log: string[] = [];
  /** Replace the generated key with one the "bureau" chose, keeping a valid self-signature. */
  substituteKeyAgreementKey: Uint8Array | undefined;
  private session:
    | { keys: SessionKeys; ssc: number; authenticated: boolean; rndC: Uint8Array; rndH: Uint8Array }
    | undefined;

  constructor(readonly chip: ChipKeys) {}

  async transmit(bytes: Uint8Array): Promise<Uint8Array> {
    const cmd = decodeCommand(bytes);
    this.log.push(Object.entries(INS).find(([, v]) => v === cmd.ins)?.[0] ?? '?');
    const { sw, data } = this.dispatch(cmd, cmd.data ?? new Uint8Array(0));
    return encodeResponse(data ?? new Uint8Array(0), sw);
  }

  private dispatch(cmd: DecodedCommandApdu, data: Uint8Array): { sw: number; data?: Uint8Array } {
    if (cmd.ins === INS.SELECT) {
      this.session = undefined;
      return {
        sw: SW.OK,
        data: encodeSelectResponse({
          version: 2,
          lifeCycle: this.lifeCycle,
          challenge: new Uint8Array(16),
          purse: {
            balance: 0,
            maxBalance: 0,
            counter: 0,
            syncedThrough: 0,
            offlineSpend: 0,
            offlineLimit: 0,
            cvmLimit: 0,
            noCvmSpend: 0,
            noCvmLimit: 0,
            currency: 0x0404,
            lifeCycle: this.lifeCycle,
            pinTriesLeft: 3,
            pukBlocked: false,
          },
          cryptoProfile: CryptoProfile.PLAIN_X,
        }),
      };
    }
    if (this.lifeCycle !== LifeCycle.PERSONALIZATION) return { sw: SW.CONDITIONS_NOT_SATISFIED };
    if (cmd.ins === INS.INITIALIZE_PERSO) {
      const rndC = crypto.getRandomValues(new Uint8Array(16));
      const keys = derivePersoSessionKeys({
        persoEncKey: this.chip.persoEnc,
        persoMacKey: this.chip.persoMac,
        rndC,
        rndH: data,
      });
      this.session = { keys, ssc: 0, authenticated: false, rndC, rndH: data };
      return {
        sw: SW.OK,
        data: concatBytes(this.chip.chipSerial, rndC, cardCryptogram(keys, rndC, data, SessionType.PERSO)),
      };
    }
    const s = this.session;
    if (!s) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    if (cmd.ins !== INS.EXTERNAL_AUTHENTICATE_PERSO && !s.authenticated)
      return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    s.ssc += 1;
    const un = unwrapCommand(s.keys, s.ssc, cmd, data, cmd.ins === INS.STORE_DATA);
    if (!un.ok) {
      this.session = undefined;
      return { sw: SW.SM_DATA_INCORRECT };
    }
    const answer = this.perso(cmd, un.payload, s);
    return {
      sw: SW.OK,
      data: wrapResponse(s.keys, s.ssc, answer.sw, answer.payload ?? new Uint8Array(0), false),
    };
  }

  private perso(
    cmd: DecodedCommandApdu,
    payload: Uint8Array,
    s: NonNullable<FakePersoCard['session']>,
  ): { sw: number; payload?: Uint8Array } {
    switch (cmd.ins) {
      case INS.EXTERNAL_AUTHENTICATE_PERSO:
        if (!macEqual(payload, hostCryptogram(s.keys, s.rndH, s.rndC)))
          return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
        s.authenticated = true;
        return { sw: SW.OK };
      case INS.STORE_DATA:
        if (cmd.p1 === 0x07) {
          const cert = decodeCertificate(payload);
          if (
            cert.type !== 'card' ||
            !this.keys.signing ||
            !this.keys.keyAgreement ||
            !bytesEqual(cert.signingKey, publicKeyOf(this.keys.signing)) ||
            !bytesEqual(cert.keyAgreementKey, publicKeyOf(this.keys.keyAgreement))
          )
            return { sw: SW.WRONG_DATA };
        }
        this.stored.set(cmd.p1, payload);
        return { sw: SW.OK };
      case INS.GENERATE_KEY_PAIR: {
        const kind = cmd.p1 as KeyKindCode;
        if (kind === 2 && !this.keys.signing) return { sw: SW.CONDITIONS_NOT_SATISFIED };
        const key = generatePrivateKey();
        if (kind === 1) this.keys.signing = key;
        else this.keys.keyAgreement = key;
        const pub =
          kind === 2 && this.substituteKeyAgreementKey ? this.substituteKeyAgreementKey : publicKeyOf(key);
        const m = keyAttestationMessage(this.chip.chipSerial, kind, pub, payload);
        const attSig = signMessage(this.keys.signing as Uint8Array, m);
        // A substituted key gets a MAC under a key that is not K.att (the bureau does not hold it).
        const attMac = cmac(
          this.substituteKeyAgreementKey && kind === 2 ? new Uint8Array(16) : this.chip.att,
          m,
        );
        return { sw: SW.OK, payload: concatBytes(pub, attSig, attMac) };
      }
      case INS.FINALIZE:
        if (!this.stored.has(0x07)) return { sw: SW.CONDITIONS_NOT_SATISFIED };
        this.lifeCycle = LifeCycle.ACTIVE;
        this.session = undefined;
        return { sw: SW.OK };
      default:
        return { sw: SW.INS_NOT_SUPPORTED };
    }
  }
}
