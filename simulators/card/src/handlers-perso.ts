import {
  bytesEqual,
  cardCryptogram,
  cmac,
  decodeCardNumber,
  decodeCertificate,
  decodeIdentity,
  decodePurseParameters,
  decodeTrustedKey,
  derivePersoSessionKeys,
  encodeInitializePersoResponse,
  encodeKeyAttestation,
  hostCryptogram,
  type InsName,
  isValidCardNumber,
  isValidPinBlock,
  KeyKind,
  KeyUsage,
  keyAttestationMessage,
  LifeCycle,
  Limits,
  macEqual,
  publicKeyOf,
  SessionType,
  Size,
  StoreDataObject,
  SW,
  signMessage,
} from '@huduma/card-applet-spec';
import { type AppletContext, type Reply, reply, STORE_DATA_LENGTH } from './context';
import { type CardState, cloneCardState } from './state';

/**
 * Personalization (§7): INITIALIZE PERSO (plain, opens the PERSO session), EXTERNAL AUTHENTICATE
 * PERSO, STORE DATA, GENERATE KEY PAIR and FINALIZE (inside the authenticated PERSO session).
 */
export function runPersoCommand(
  a: AppletContext,
  name: InsName,
  p1: number,
  data: Uint8Array,
): Reply | undefined {
  switch (name) {
    case 'INITIALIZE_PERSO':
      return initializePerso(a, data);
    case 'EXTERNAL_AUTHENTICATE_PERSO':
      return externalAuthenticate(a, data);
    case 'STORE_DATA':
      return storeData(a, p1, data);
    case 'GENERATE_KEY_PAIR':
      return generateKeyPair(a, p1, data);
    case 'FINALIZE':
      return finalize(a);
    default:
      return undefined;
  }
}

/** §7.2. */
function initializePerso(a: AppletContext, rndH: Uint8Array): Reply {
  const s = a.state;
  if (s.persoFailures >= Limits.PERSO_TRIES) return reply(SW.AUTH_METHOD_BLOCKED);
  if (!s.persoEncKey || !s.persoMacKey) return reply(SW.CONDITIONS_NOT_SATISFIED);
  a.endSession();
  const rndC = a.host.randomBytes(Size.CHALLENGE);
  a.transient.challenge = rndC; // INITIALIZE PERSO replaces the challenge (§2.10)
  const keys = derivePersoSessionKeys({ persoEncKey: s.persoEncKey, persoMacKey: s.persoMacKey, rndC, rndH });
  a.transient.session = {
    type: SessionType.PERSO,
    keys,
    ssc: 0,
    authenticated: false,
    cvmToken: false,
    rndH: rndH.slice(),
    rndC: rndC.slice(),
  };
  const cryptogram = cardCryptogram(keys, rndC, rndH, SessionType.PERSO);
  return reply(
    SW.OK,
    encodeInitializePersoResponse({ chipSerial: s.chipSerial, rndC, cardCryptogram: cryptogram }),
  );
}

/** §7.3 steps 3–4 (the failure counter was committed before the C-MAC check by the SM layer). */
function externalAuthenticate(a: AppletContext, hostCryptogramBytes: Uint8Array): Reply {
  const session = a.session;
  const expected = hostCryptogram(session.keys, session.rndH!, session.rndC!);
  if (hostCryptogramBytes.length !== Size.CRYPTOGRAM || !macEqual(hostCryptogramBytes, expected)) {
    a.endSession();
    return reply(SW.SECURITY_STATUS_NOT_SATISFIED);
  }
  const next = cloneCardState(a.state);
  next.persoFailures = 0;
  a.persist(next, 'perso-failures:reset');
  session.authenticated = true;
  return reply(SW.OK);
}

/** §7.4: one object per command, each one transaction; any object may be stored again. */
function storeData(a: AppletContext, p1: number, obj: Uint8Array): Reply {
  const [min, max] = STORE_DATA_LENGTH[p1]!;
  if (obj.length < min || obj.length > max) return reply(SW.WRONG_LENGTH);
  const next = cloneCardState(a.state);
  const sw = applyObject(next, p1, obj);
  if (sw !== SW.OK) return reply(sw);
  a.persist(next, `store-data:${p1}`);
  return reply(SW.OK);
}

function applyObject(next: CardState, p1: number, obj: Uint8Array): number {
  try {
    switch (p1) {
      case StoreDataObject.CARD_NUMBER: {
        const cn = decodeCardNumber(obj);
        if (!isValidCardNumber(cn)) return SW.WRONG_DATA;
        next.cardNumber = cn;
        return SW.OK;
      }
      case StoreDataObject.IDENTITY:
        decodeIdentity(obj);
        next.identity = obj.slice();
        return SW.OK;
      case StoreDataObject.PURSE_PARAMETERS: {
        const p = decodePurseParameters(obj);
        Object.assign(next, {
          maxBalance: p.maxBalance,
          offlineLimit: p.offlineLimit,
          cvmLimit: p.cvmLimit,
          noCvmLimit: p.noCvmLimit,
          currency: p.currency,
          purseParametersSet: true,
        });
        return SW.OK;
      }
      case StoreDataObject.PIN:
        if (!isValidPinBlock(obj, 'PIN')) return SW.WRONG_DATA;
        next.pinBlock = obj.slice();
        return SW.OK;
      case StoreDataObject.PUK:
        if (!isValidPinBlock(obj, 'PUK')) return SW.WRONG_DATA;
        next.pukBlock = obj.slice();
        return SW.OK;
      case StoreDataObject.TRUSTED_KEY: {
        const k = decodeTrustedKey(obj); // keyId = SHA-256(key)[0..7], point on P-256
        if (k.usage !== KeyUsage.TERMINAL_CA && k.usage !== KeyUsage.LOAD_AUTHORITY) return SW.WRONG_DATA;
        const same = next.trustedKeys.findIndex((t) => bytesEqual(t.keyId, k.keyId));
        if (same >= 0) next.trustedKeys[same] = k;
        else if (next.trustedKeys.length >= Limits.TRUSTED_KEY_SLOTS) return SW.WRONG_DATA;
        else next.trustedKeys.push(k);
        return SW.OK;
      }
      case StoreDataObject.CARD_CERTIFICATE: {
        if (!next.signingPublicKey || !next.keyAgreementPublicKey || !next.cardNumber) {
          return SW.CONDITIONS_NOT_SATISFIED;
        }
        const cert = decodeCertificate(obj);
        if (
          cert.type !== 'card' ||
          !bytesEqual(cert.signingKey, next.signingPublicKey) ||
          !bytesEqual(cert.keyAgreementKey, next.keyAgreementPublicKey) ||
          cert.cardNumber !== next.cardNumber
        ) {
          return SW.WRONG_DATA;
        }
        next.certificate = obj.slice();
        return SW.OK;
      }
      default:
        return SW.WRONG_DATA;
    }
  } catch {
    return SW.WRONG_DATA;
  }
}

/** §7.5. */
function generateKeyPair(a: AppletContext, kind: number, attNonce: Uint8Array): Reply {
  const s = a.state;
  if (kind === KeyKind.KEY_AGREEMENT && !s.signingKey) return reply(SW.CONDITIONS_NOT_SATISFIED);
  if (!s.attestationKey) return reply(SW.CONDITIONS_NOT_SATISFIED);
  const privateKey = a.host.generatePrivateKey();
  const publicKey = publicKeyOf(privateKey);
  a.tear('key-generated');
  const next = cloneCardState(s);
  if (kind === KeyKind.SIGNING) {
    next.signingKey = privateKey;
    next.signingPublicKey = publicKey;
  } else {
    next.keyAgreementKey = privateKey;
    next.keyAgreementPublicKey = publicKey;
  }
  delete next.certificate; // it would no longer match
  a.persist(next, `generate-key-pair:${kind}`);
  const m = keyAttestationMessage(s.chipSerial, kind as 1 | 2, publicKey, attNonce);
  a.info.signs++;
  const attSig = signMessage(a.state.signingKey!, m);
  const attMac = cmac(a.state.attestationKey!, m);
  return reply(SW.OK, encodeKeyAttestation({ publicKey, attSig, attMac }));
}

/** §7.7. */
function finalize(a: AppletContext): Reply {
  const s = a.state;
  const complete =
    s.cardNumber !== undefined &&
    s.purseParametersSet &&
    s.pinBlock !== undefined &&
    s.pukBlock !== undefined &&
    s.signingKey !== undefined &&
    s.keyAgreementKey !== undefined &&
    s.certificate !== undefined &&
    s.trustedKeys.some((k) => k.usage === KeyUsage.TERMINAL_CA) &&
    s.trustedKeys.some((k) => k.usage === KeyUsage.LOAD_AUTHORITY);
  if (!complete) return reply(SW.CONDITIONS_NOT_SATISFIED);
  const cert = decodeCertificate(s.certificate!);
  const next = cloneCardState(s);
  Object.assign(next, {
    lastTrustedTime: cert.notBefore,
    balance: 0,
    counter: 0,
    syncedThrough: 0,
    offlineSpend: 0,
    noCvmSpend: 0,
    pinTries: Limits.PIN_TRIES,
    pukTries: Limits.PUK_TRIES,
    lifeCycle: LifeCycle.ACTIVE,
  });
  a.persist(next, 'finalize');
  const cleared = cloneCardState(a.state);
  delete cleared.persoEncKey;
  delete cleared.persoMacKey;
  delete cleared.attestationKey;
  a.persist(cleared, 'finalize:clear-perso-keys');
  a.endSession();
  return reply(SW.OK);
}
