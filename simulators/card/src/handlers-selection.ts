import {
  AID,
  APPLET_VERSION,
  bytesEqual,
  cardCryptogram,
  certificateIdOf,
  certificateSigningMessage,
  decodeCertificate,
  deriveLinkKey,
  deriveSessionKeys,
  ecdh,
  encodeCardNumber,
  encodeSelectResponse,
  type InsName,
  isValidPublicKey,
  KeyUsage,
  LifeCycle,
  SessionType,
  Size,
  SW,
  type TerminalCertificate,
  verifyMessage,
} from '@huduma/card-applet-spec';
import { type AppletContext, type Reply, reply } from './context';
import { cloneCardState, type Registration } from './state';

/**
 * Selection and sessions (§6.1–6.3, §6.7, §6.15, §6.16): SELECT, GET CHALLENGE, GET DATA, READ
 * PURSE, REGISTER TERMINAL, OPEN SESSION. Returns undefined for any other command.
 */
export function runSelectionCommand(
  a: AppletContext,
  name: InsName,
  p1: number,
  data: Uint8Array,
): Reply | undefined {
  switch (name) {
    case 'SELECT':
      return select(a, data);
    case 'GET_CHALLENGE':
      a.endSession();
      a.transient.challenge = a.host.randomBytes(Size.CHALLENGE);
      return reply(SW.OK, a.transient.challenge.slice());
    case 'GET_DATA':
      return a.state.certificate
        ? reply(SW.OK, a.state.certificate.slice())
        : reply(SW.REFERENCED_DATA_NOT_FOUND);
    case 'READ_PURSE':
      return reply(SW.OK, a.purseBytes());
    case 'REGISTER_TERMINAL':
      return registerTerminal(a, data);
    case 'OPEN_SESSION':
      return openSession(a, p1, data);
    default:
      return undefined;
  }
}

function select(a: AppletContext, data: Uint8Array): Reply {
  if (!bytesEqual(data, AID)) return reply(SW.APPLET_NOT_FOUND);
  a.transient = { challenge: a.host.randomBytes(Size.CHALLENGE) };
  const s = a.state;
  // §7.7: a tear between FINALIZE's commit and the key clearing leaves the perso keys set in an
  // ACTIVE card; select() finishes the job.
  if (s.lifeCycle !== LifeCycle.PERSONALIZATION && (s.persoEncKey || s.persoMacKey || s.attestationKey)) {
    const next = cloneCardState(s);
    delete next.persoEncKey;
    delete next.persoMacKey;
    delete next.attestationKey;
    a.persist(next, 'clear-perso-keys');
  }
  const fci = encodeSelectResponse({
    version: APPLET_VERSION,
    lifeCycle: a.state.lifeCycle,
    ...(a.state.cardNumber === undefined ? {} : { cardNumber: a.state.cardNumber }),
    challenge: a.transient.challenge!.slice(),
    purse: decodePurseForFci(a),
    cryptoProfile: a.state.cryptoProfile,
  });
  return reply(a.state.lifeCycle === LifeCycle.BLOCKED ? SW.CARD_BLOCKED_SELECTED : SW.OK, fci);
}

/** The FCI carries the same 40 bytes as READ PURSE; encodeSelectResponse takes the decoded form. */
function decodePurseForFci(a: AppletContext) {
  const s = a.state;
  return {
    balance: s.balance,
    maxBalance: s.maxBalance,
    counter: s.counter,
    syncedThrough: s.syncedThrough,
    offlineSpend: s.offlineSpend,
    offlineLimit: s.offlineLimit,
    cvmLimit: s.cvmLimit,
    noCvmSpend: s.noCvmSpend,
    noCvmLimit: s.noCvmLimit,
    currency: s.currency,
    lifeCycle: s.lifeCycle,
    pinTriesLeft: s.pinTries,
    pukBlocked: s.pukTries === 0,
  };
}

/** §6.15 with the check order of §4.8.1 and the three-step slot write of §10.6. */
function registerTerminal(a: AppletContext, certBytes: Uint8Array): Reply {
  let cert: TerminalCertificate;
  try {
    const decoded = decodeCertificate(certBytes);
    if (decoded.type !== 'terminal') return reply(SW.TERMINAL_CERT_INVALID);
    cert = decoded;
  } catch {
    return reply(SW.TERMINAL_CERT_INVALID); // 1. format
  }
  const ca = a.state.trustedKeys.find(
    (k) => k.usage === KeyUsage.TERMINAL_CA && bytesEqual(k.keyId, cert.issuerKeyId),
  );
  if (!ca) return reply(SW.REFERENCED_DATA_NOT_FOUND); // 2. issuer
  a.info.verifies++;
  // 3. signature over the received bytes; the curve check of QT is step 5, after the expiry
  if (!signatureValid(certBytes, ca.publicKey)) return reply(SW.TERMINAL_CERT_INVALID);
  if (cert.notAfter < a.state.lastTrustedTime) return reply(SW.TERMINAL_CERT_EXPIRED); // 4. expiry
  if (!isValidPublicKey(cert.keyAgreementKey) || !a.state.keyAgreementKey || !a.state.cardNumber) {
    return reply(SW.TERMINAL_CERT_INVALID); // 5. key
  }
  // 6. ECDH, K.link, the slot
  a.info.ecdh++;
  const zs = ecdh(a.state.keyAgreementKey, cert.keyAgreementKey, a.state.cryptoProfile);
  const termCertId = certificateIdOf(certBytes);
  const linkKey = deriveLinkKey(zs, encodeCardNumber(a.state.cardNumber), termCertId);
  a.tear('register:derived');
  const slot = chooseSlot(a.state.registrations, termCertId);
  const step1 = cloneCardState(a.state);
  const old = step1.registrations[slot];
  step1.registrations[slot] = old ? { ...old, valid: false } : placeholder(termCertId);
  a.persist(step1, 'register:invalidate');
  const step2 = cloneCardState(a.state);
  step2.registrations[slot] = { ...step2.registrations[slot]!, linkKey };
  a.persist(step2, 'register:link-key');
  const step3 = cloneCardState(a.state);
  const entry: Registration = {
    termCertId,
    terminalId: cert.terminalId,
    merchantId: cert.merchantId,
    capabilities: cert.capabilities,
    notAfter: cert.notAfter,
    issuerKeyId: cert.issuerKeyId,
    lastUsed: step3.lruStamp, // as recent as the latest session: a fresh registration is not the next victim
    valid: true,
    linkKey,
  };
  step3.registrations[slot] = entry;
  a.persist(step3, 'register:complete');
  return reply(SW.OK, termCertId.slice());
}

/** Signature over the exact received bytes (§5), independent of the curve check of QT. */
function signatureValid(certBytes: Uint8Array, caPublicKey: Uint8Array): boolean {
  const tbs = certBytes.subarray(0, certBytes.length - Size.SIGNATURE);
  return verifyMessage(
    caPublicKey,
    certificateSigningMessage(tbs),
    certBytes.subarray(certBytes.length - Size.SIGNATURE),
  );
}

function placeholder(termCertId: Uint8Array): Registration {
  return {
    termCertId,
    terminalId: '',
    merchantId: '',
    capabilities: 0,
    notAfter: 0,
    issuerKeyId: new Uint8Array(8),
    lastUsed: 0,
    valid: false,
  };
}

/** §2.9: the entry with this termCertId, else an unused or invalid one, else the least recently used. */
function chooseSlot(regs: readonly (Registration | null)[], termCertId: Uint8Array): number {
  const same = regs.findIndex((r) => r !== null && bytesEqual(r.termCertId, termCertId));
  if (same >= 0) return same;
  const free = regs.findIndex((r) => r === null || !r.valid);
  if (free >= 0) return free;
  let lru = 0;
  for (let i = 1; i < regs.length; i++) if (regs[i]!.lastUsed < regs[lru]!.lastUsed) lru = i;
  return lru;
}

/** §6.16. */
function openSession(a: AppletContext, type: number, data: Uint8Array): Reply {
  if (!a.transient.challenge) return reply(SW.SECURITY_STATUS_NOT_SATISFIED); // 1
  const termCertId = data.subarray(0, Size.CERT_ID);
  const rndT = data.slice(Size.CERT_ID, Size.CERT_ID + Size.CHALLENGE);
  const slot = a.state.registrations.findIndex(
    (r) => r?.valid && r.linkKey && bytesEqual(r.termCertId, termCertId),
  );
  if (slot < 0) return reply(SW.TERMINAL_NOT_REGISTERED); // 2: the challenge is kept
  const rndC = a.transient.challenge; // 3: consumed from here on
  a.transient.challenge = undefined;
  a.endSession();
  const reg = a.state.registrations[slot]!;
  if (reg.notAfter < a.state.lastTrustedTime) {
    const next = cloneCardState(a.state);
    next.registrations[slot] = { ...reg, valid: false };
    a.persist(next, 'open-session:invalidate');
    return reply(SW.TERMINAL_CERT_EXPIRED); // 4
  }
  let ze: Uint8Array | undefined;
  if (type === SessionType.SECURE) {
    const qe = data.subarray(Size.CERT_ID + Size.CHALLENGE);
    if (!isValidPublicKey(qe) || !a.state.keyAgreementKey) return reply(SW.WRONG_DATA); // 5
    a.info.ecdh++;
    ze = ecdh(a.state.keyAgreementKey, qe, a.state.cryptoProfile);
  }
  const keys =
    type === SessionType.SECURE
      ? deriveSessionKeys({ linkKey: reg.linkKey!, type: SessionType.SECURE, rndC, rndT, ze: ze! })
      : deriveSessionKeys({ linkKey: reg.linkKey!, type: SessionType.TAP, rndC, rndT });
  const cryptogram = cardCryptogram(keys, rndC, rndT, type as 0 | 1);
  // 6. the LRU stamp: written outside any transaction; losing it only changes the next eviction.
  const next = cloneCardState(a.state);
  next.lruStamp = (next.lruStamp + 1) & 0xffff;
  next.registrations[slot] = { ...reg, lastUsed: next.lruStamp };
  a.persist(next, 'open-session:lru');
  a.transient.session = {
    type,
    slot,
    terminal: { terminalId: reg.terminalId, capabilities: reg.capabilities },
    keys,
    ssc: 0,
    authenticated: false,
    cvmToken: false,
  };
  return reply(SW.OK, cryptogram);
}
