/**
 * Generates vectors/v2.json: byte-exact test vectors of the Huduma card applet v2 (SPEC.md),
 * including every value of the worked example of §15. Everything is deterministic: P-256 keys are
 * SHA-256 of a label reduced into [1, n-1] (vectorPrivateKey), raw inputs are SHA-256 of a label
 * (vectorRawKey), signatures are RFC 6979, challenges, nonces and times are fixed. A card signs
 * with a random k in real life; the vectors only need its signatures to verify.
 *
 * Run: node --conditions=huduma-source --import tsx card-applet-spec/vectors/generate.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  AID,
  Capability,
  CLA,
  CryptoProfile,
  cardCryptogram,
  certificateIdOf,
  cmac,
  concatBytes,
  DomainTag,
  deriveLinkKey,
  derivePersoSessionKeys,
  deriveSessionKeys,
  diversifyCardKeys,
  domainTag,
  ecdh,
  encodeCardNumber,
  encodeCertificate,
  encodeDebitRequest,
  encodeGetTransactionRequest,
  encodeGetTransactionResponseBody,
  encodeIdentity,
  encodeInitializePersoResponse,
  encodeLoadAuthorization,
  encodeOpenSessionRequest,
  encodePinBlock,
  encodePurse,
  encodePurseParameters,
  encodeSelectResponse,
  encodeTransactionRecord,
  encodeTrustedKey,
  encodeUndebitRequest,
  encodeValueResponse,
  fromHex,
  hostCryptogram,
  INS,
  KeyKind,
  KeyUsage,
  kdfExtract,
  keyAttestationMessage,
  keyIdOf,
  LifeCycle,
  Outcome,
  type Purse,
  publicKeyOf,
  recoveryAttestationMessage,
  SessionType,
  StoreDataObject,
  signCertificate,
  signLoadAuthorization,
  signMessage,
  type TransactionRecord,
  TransactionStatus,
  TxType,
  toHex,
  transactionSigningMessage,
  VECTOR_INPUTS,
  VECTOR_KEY_LABELS,
  VECTOR_RAW_LABELS,
  vectorKeys,
  vectorPrivateKey,
  vectorRawKey,
  wrapCommand,
  wrapResponse,
} from '../src/index';

/** Short-form command APDU (case 1-4): CLA INS P1 P2 [Lc data] [Le]; Le 256 is written 00. */
export function shortApdu(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, le?: number) {
  const head = [cla, ins, p1, p2];
  const body = data && data.length > 0 ? [data.length, ...data] : [];
  const tail = le === undefined ? [] : [le & 0xff];
  return new Uint8Array([...head, ...body, ...tail]);
}

const h = toHex;

function recordJson(rec: TransactionRecord) {
  return { ...rec, terminalNonce: h(rec.terminalNonce) };
}

/** Builds the whole vector file (plain JSON: numbers, strings, lower-case hex). */
export function generateVectors() {
  const keys = vectorKeys();
  const input = VECTOR_INPUTS;
  const ex = input.example;
  const cardNumber = input.cardNumber;
  const cn = encodeCardNumber(cardNumber);
  const kaCard = vectorRawKey(VECTOR_RAW_LABELS.cardKeyAgreement);
  const qaCard = publicKeyOf(kaCard);
  const persoMaster = vectorRawKey(VECTOR_RAW_LABELS.persoMaster, 16);
  const attestationMaster = vectorRawKey(VECTOR_RAW_LABELS.attestationMaster, 16);
  const chipSerial = fromHex(input.chipSerial);

  // ---- certificates (§5)
  const cardCertBytes = encodeCertificate(
    signCertificate(
      {
        type: 'card',
        issuerKeyId: keyIdOf(keys.issuerCa.publicKey),
        cardNumber,
        notBefore: input.cardNotBefore,
        notAfter: input.cardNotAfter,
        signingKey: keys.card.publicKey,
        keyAgreementKey: qaCard,
      },
      keys.issuerCa.privateKey,
    ),
  );
  const terminalCertBytes = encodeCertificate(
    signCertificate(
      {
        type: 'terminal',
        issuerKeyId: keyIdOf(keys.terminalCa.publicKey),
        terminalId: input.terminalId,
        merchantId: input.merchantId,
        capabilities: ex.terminalCapabilities,
        notBefore: input.terminalNotBefore,
        notAfter: input.terminalNotAfter,
        keyAgreementKey: keys.terminal.publicKey,
      },
      keys.terminalCa.privateKey,
    ),
  );

  // ---- personalization (§7): diversified keys, PERSO session, key attestation
  const cardKeys = diversifyCardKeys({ persoMaster, attestationMaster }, chipSerial);
  const persoRndC = vectorRawKey('huduma-v2-vector:perso-rnd-c', 16);
  const rndH = vectorRawKey('huduma-v2-vector:rnd-h', 16);
  const persoKeys = derivePersoSessionKeys({ ...cardKeys, rndC: persoRndC, rndH });
  const persoCardCryptogram = cardCryptogram(persoKeys, persoRndC, rndH, SessionType.PERSO);
  const persoHostCryptogram = hostCryptogram(persoKeys, rndH, persoRndC);
  const extAuthHeader = { cla: CLA.PROPRIETARY_SM, ins: INS.EXTERNAL_AUTHENTICATE_PERSO, p1: 0, p2: 0 };
  const extAuthData = wrapCommand(persoKeys, 1, extAuthHeader, persoHostCryptogram, false);
  const attNonce = vectorRawKey('huduma-v2-vector:att-nonce-1', 16);
  const attMessage = keyAttestationMessage(chipSerial, KeyKind.SIGNING, keys.card.publicKey, attNonce);
  const attNonce2 = vectorRawKey('huduma-v2-vector:att-nonce-2', 16);
  const attMessage2 = keyAttestationMessage(chipSerial, KeyKind.KEY_AGREEMENT, qaCard, attNonce2);
  const purseParameters = encodePurseParameters(input.purseParameters);
  const storeHeader = (p1: number) => ({ cla: CLA.PROPRIETARY_SM, ins: INS.STORE_DATA, p1, p2: 0 });
  const storePurseData = wrapCommand(
    persoKeys,
    2,
    storeHeader(StoreDataObject.PURSE_PARAMETERS),
    purseParameters,
    true,
  );

  // ---- the story of §15: personalized, reloaded with KES 500.00 (counter 0 → 1), then the debit
  const loadChallenge = vectorRawKey('huduma-v2-vector:load-challenge', 16);
  const auth = signLoadAuthorization(
    {
      keyId: keyIdOf(keys.loadAuthority.publicKey),
      cardNumber,
      cardCounter: 0,
      cardChallenge: loadChallenge,
      amount: ex.reloadAmount,
      currency: ex.debit.currency,
      time: 1_751_000_000,
      terminalId: input.agentTerminalId,
      terminalSeq: 7,
      terminalNonce: vectorRawKey('huduma-v2-vector:load-nonce', 8),
      loadRef: 'MPESA-QK7XH2ZP1A',
    },
    keys.loadAuthority.privateKey,
  );
  const authBytes = encodeLoadAuthorization(auth);
  const reloadRecord: TransactionRecord = {
    type: TxType.RELOAD,
    counter: 1,
    amount: ex.reloadAmount,
    currency: ex.debit.currency,
    balanceAfter: ex.reloadAmount,
    offlineSpendAfter: 0,
    terminalId: auth.terminalId,
    terminalSeq: auth.terminalSeq,
    terminalNonce: auth.terminalNonce,
    time: auth.time,
    billRef: auth.loadRef,
    serviceCode: 0,
    refCounter: 0,
    cvm: 0,
  };
  const reloadRecordBytes = encodeTransactionRecord(reloadRecord);
  const reloadSignature = signMessage(keys.card.privateKey, transactionSigningMessage(cn, reloadRecordBytes));

  // 0. registration
  const termCertId = certificateIdOf(terminalCertBytes);
  const zs = ecdh(kaCard, keys.terminal.publicKey, CryptoProfile.PLAIN_X);
  const prkLink = kdfExtract(domainTag(DomainTag.SALT), zs);
  const linkKey = deriveLinkKey(zs, cn, termCertId);

  // 1. SELECT
  const rndC = fromHex(ex.rndC);
  const purse: Purse = {
    balance: ex.reloadAmount,
    maxBalance: input.purseParameters.maxBalance,
    counter: 1,
    syncedThrough: 1,
    offlineSpend: 0,
    offlineLimit: input.purseParameters.offlineLimit,
    cvmLimit: input.purseParameters.cvmLimit,
    noCvmSpend: 0,
    noCvmLimit: input.purseParameters.noCvmLimit,
    currency: input.purseParameters.currency,
    lifeCycle: LifeCycle.ACTIVE,
    pinTriesLeft: 3,
    pukBlocked: false,
  };
  const fci = encodeSelectResponse({
    version: 2,
    lifeCycle: LifeCycle.ACTIVE,
    cardNumber,
    challenge: rndC,
    purse,
    cryptoProfile: CryptoProfile.PLAIN_X,
  });

  // 2. OPEN SESSION (TAP)
  const rndT = vectorRawKey(VECTOR_RAW_LABELS.rndT, 16);
  const tapKeys = deriveSessionKeys({ linkKey, type: SessionType.TAP, rndC, rndT });
  const tapCryptogram = cardCryptogram(tapKeys, rndC, rndT, SessionType.TAP);
  const openData = encodeOpenSessionRequest({ termCertId, rndT });

  // 3. DEBIT (SSC 1)
  const debit = { ...ex.debit, terminalNonce: fromHex(ex.debit.terminalNonce) };
  const debitRequest = encodeDebitRequest(debit);
  const debitHeader = { cla: CLA.PROPRIETARY_SM, ins: INS.DEBIT, p1: 0, p2: 0 };
  const debitData = wrapCommand(tapKeys, 1, debitHeader, debitRequest, false);
  const debitRecord: TransactionRecord = {
    type: TxType.DEBIT,
    counter: 2,
    amount: debit.amount,
    currency: debit.currency,
    balanceAfter: ex.reloadAmount - debit.amount,
    offlineSpendAfter: debit.amount,
    terminalId: input.terminalId,
    terminalSeq: debit.terminalSeq,
    terminalNonce: debit.terminalNonce,
    time: debit.time,
    billRef: debit.billRef,
    serviceCode: debit.serviceCode,
    refCounter: 0,
    cvm: 0,
  };
  const debitRecordBytes = encodeTransactionRecord(debitRecord);
  const debitSignature = signMessage(keys.card.privateKey, transactionSigningMessage(cn, debitRecordBytes));
  const debitBody = encodeValueResponse({
    outcome: Outcome.EXECUTED,
    reason: 0x9000,
    counter: 2,
    syncedThrough: 1,
    proofBytes: concatBytes(debitRecordBytes, debitSignature),
  });
  const debitResponse = wrapResponse(tapKeys, 1, 0x9000, debitBody, false);

  // A SECURE session at the same terminal and a VERIFY PIN in it (§4.5, §6.4).
  const secureRndC = vectorRawKey('huduma-v2-vector:secure-rnd-c', 16);
  const secureRndT = vectorRawKey('huduma-v2-vector:secure-rnd-t', 16);
  const ephemeralPrivate = vectorPrivateKey('huduma-v2-vector:ephemeral');
  const qe = publicKeyOf(ephemeralPrivate);
  const ze = ecdh(kaCard, qe);
  const secureKeys = deriveSessionKeys({
    linkKey,
    type: SessionType.SECURE,
    rndC: secureRndC,
    rndT: secureRndT,
    ze,
  });
  const verifyHeader = { cla: CLA.ISO_SM, ins: INS.VERIFY_PIN, p1: 0x00, p2: 0x81 };
  const verifyData = wrapCommand(secureKeys, 1, verifyHeader, encodePinBlock(input.pin), true);
  const identityBytes = encodeIdentity(input.identity);
  const identityResponse = wrapResponse(secureKeys, 3, 0x9000, identityBytes, true);

  // UNDEBIT of the debit two minutes later (§6.9)
  const undebitRequest = encodeUndebitRequest({
    refCounter: 2,
    amount: debit.amount,
    currency: debit.currency,
    terminalSeq: 43,
    terminalNonce: vectorRawKey('huduma-v2-vector:undebit-nonce', 8),
    time: debit.time + 120,
  });

  // GET TRANSACTION (k = 2) after the debit (§6.12, §8.5)
  const gtRequest = encodeGetTransactionRequest({
    counter: 2,
    terminalNonce: vectorRawKey('huduma-v2-vector:recovery-nonce', 8),
  });
  const gtBody = encodeGetTransactionResponseBody({
    status: TransactionStatus.FOUND,
    counter: 2,
    syncedThrough: 1,
    balance: debitRecord.balanceAfter,
    recordBytes: debitRecordBytes,
    recordSignature: debitSignature,
  });
  const gtMessage = recoveryAttestationMessage(cn, gtRequest, gtBody);
  const gtAttestation = signMessage(keys.card.privateKey, gtMessage);

  const keyJson = (k: { privateKey: Uint8Array; publicKey: Uint8Array }, label: string) => ({
    label,
    privateKey: h(k.privateKey),
    publicKey: h(k.publicKey),
    keyId: h(keyIdOf(k.publicKey)),
  });

  return {
    spec: 'Huduma card applet v2 (card-applet-spec/SPEC.md)',
    aid: h(AID),
    keys: {
      issuerCa: keyJson(keys.issuerCa, VECTOR_KEY_LABELS.issuerCa),
      terminalCa: keyJson(keys.terminalCa, VECTOR_KEY_LABELS.terminalCa),
      loadAuthority: keyJson(keys.loadAuthority, VECTOR_KEY_LABELS.loadAuthority),
      card: keyJson(keys.card, VECTOR_KEY_LABELS.card),
      terminal: keyJson(keys.terminal, VECTOR_KEY_LABELS.terminal),
      cardKeyAgreement: keyJson(
        { privateKey: kaCard, publicKey: qaCard },
        VECTOR_RAW_LABELS.cardKeyAgreement,
      ),
      persoMaster: { label: VECTOR_RAW_LABELS.persoMaster, key: h(persoMaster) },
      attestationMaster: { label: VECTOR_RAW_LABELS.attestationMaster, key: h(attestationMaster) },
    },
    certificates: {
      card: { hex: h(cardCertBytes), id: h(certificateIdOf(cardCertBytes)) },
      terminal: {
        hex: h(terminalCertBytes),
        termCertId: h(termCertId),
        capabilities: Capability.DEBIT | 0x000a,
      },
    },
    personalization: {
      chipSerial: input.chipSerial,
      persoEncKey: h(cardKeys.persoEncKey),
      persoMacKey: h(cardKeys.persoMacKey),
      attestationKey: h(cardKeys.attestationKey),
      initializePerso: {
        rndH: h(rndH),
        apdu: h(shortApdu(CLA.PROPRIETARY, INS.INITIALIZE_PERSO, 0, 0, rndH, 0)),
        rndC: h(persoRndC),
        sEnc: h(persoKeys.enc!),
        sMac: h(persoKeys.mac),
        sRmac: h(persoKeys.rmac),
        response: h(
          encodeInitializePersoResponse({ chipSerial, rndC: persoRndC, cardCryptogram: persoCardCryptogram }),
        ),
      },
      externalAuthenticate: {
        hostCryptogram: h(persoHostCryptogram),
        apdu: h(shortApdu(extAuthHeader.cla, extAuthHeader.ins, 0, 0, extAuthData, 0)),
      },
      storePurseParameters: {
        plain: h(purseParameters),
        apdu: h(
          shortApdu(
            CLA.PROPRIETARY_SM,
            INS.STORE_DATA,
            StoreDataObject.PURSE_PARAMETERS,
            0,
            storePurseData,
            0,
          ),
        ),
        ssc: 2,
      },
      pinBlock: h(encodePinBlock(input.pin)),
      pukBlock: h(encodePinBlock(input.puk, 'PUK')),
      trustedKeys: [
        h(encodeTrustedKey({ usage: KeyUsage.TERMINAL_CA, publicKey: keys.terminalCa.publicKey })),
        h(encodeTrustedKey({ usage: KeyUsage.LOAD_AUTHORITY, publicKey: keys.loadAuthority.publicKey })),
      ],
      identity: h(identityBytes),
      keyAttestation: {
        signing: {
          attNonce: h(attNonce),
          message: h(attMessage),
          attSig: h(signMessage(keys.card.privateKey, attMessage)),
          attMac: h(cmac(cardKeys.attestationKey, attMessage)),
        },
        keyAgreement: {
          attNonce: h(attNonce2),
          message: h(attMessage2),
          attSig: h(signMessage(keys.card.privateKey, attMessage2)),
          attMac: h(cmac(cardKeys.attestationKey, attMessage2)),
        },
      },
    },
    reload: {
      challenge: h(loadChallenge),
      authorization: h(authBytes),
      apdu: h(shortApdu(CLA.PROPRIETARY, INS.RELOAD, 0, 0, authBytes, 0)),
      record: recordJson(reloadRecord),
      recordHex: h(reloadRecordBytes),
      signature: h(reloadSignature),
    },
    example: {
      registration: {
        apdu: h(shortApdu(CLA.PROPRIETARY, INS.REGISTER_TERMINAL, 0, 0, terminalCertBytes, 0)),
        termCertId: h(termCertId),
        qaCard: h(qaCard),
        zs: h(zs),
        prkLink: h(prkLink),
        kLink: h(linkKey),
      },
      select: {
        apdu: h(shortApdu(CLA.ISO, INS.SELECT, 0x04, 0x00, AID, 0)),
        rndC: h(rndC),
        fci: h(fci),
      },
      openSession: {
        rndT: h(rndT),
        apdu: h(shortApdu(CLA.PROPRIETARY, INS.OPEN_SESSION, SessionType.TAP, 0, openData, 0x08)),
        ctx: h(concatBytes(rndC, rndT, new Uint8Array([SessionType.TAP]))),
        sMac: h(tapKeys.mac),
        sRmac: h(tapKeys.rmac),
        cardCryptogram: h(tapCryptogram),
      },
      debit: {
        request: h(debitRequest),
        cmac: h(debitData.subarray(debitData.length - 8)),
        apdu: h(shortApdu(debitHeader.cla, debitHeader.ins, 0, 0, debitData, 0)),
        record: recordJson(debitRecord),
        recordHex: h(debitRecordBytes),
        signature: h(debitSignature),
        responseBody: h(debitBody),
        rmac: h(debitResponse.subarray(debitResponse.length - 8)),
        responseData: h(debitResponse),
      },
    },
    secureSession: {
      rndC: h(secureRndC),
      rndT: h(secureRndT),
      ephemeralPrivateKey: h(ephemeralPrivate),
      qe: h(qe),
      ze: h(ze),
      apdu: h(
        shortApdu(
          CLA.PROPRIETARY,
          INS.OPEN_SESSION,
          SessionType.SECURE,
          0,
          encodeOpenSessionRequest({ termCertId, rndT: secureRndT, ephemeralKey: qe }),
          0x08,
        ),
      ),
      sEnc: h(secureKeys.enc!),
      sMac: h(secureKeys.mac),
      sRmac: h(secureKeys.rmac),
      cardCryptogram: h(cardCryptogram(secureKeys, secureRndC, secureRndT, SessionType.SECURE)),
      verifyPin: { ssc: 1, apdu: h(shortApdu(verifyHeader.cla, verifyHeader.ins, 0x00, 0x81, verifyData)) },
      verifyPinResponse: h(wrapResponse(secureKeys, 1, 0x9000, new Uint8Array(0), false)),
      readIdentityResponse: { ssc: 3, data: h(identityResponse) },
    },
    undebit: { request: h(undebitRequest) },
    getTransaction: {
      request: h(gtRequest),
      apdu: h(shortApdu(CLA.PROPRIETARY, INS.GET_TRANSACTION, 0, 0, gtRequest, 0)),
      attestedBody: h(gtBody),
      attestationMessage: h(gtMessage),
      attestation: h(gtAttestation),
      response: h(concatBytes(gtBody, gtAttestation)),
    },
    purse: h(encodePurse(purse)),
  };
}

export type VectorsV2 = ReturnType<typeof generateVectors>;

export const VECTORS_PATH = fileURLToPath(new URL('./v2.json', import.meta.url));

export function vectorsJson(): string {
  return `${JSON.stringify(generateVectors(), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = vectorsJson();
  if (process.argv.includes('--check')) {
    if (readFileSync(VECTORS_PATH, 'utf8') !== json) {
      console.error('vectors/v2.json is out of date: run vectors/generate.ts');
      process.exit(1);
    }
    console.log('vectors/v2.json is up to date');
  } else {
    writeFileSync(VECTORS_PATH, json);
    console.log(`wrote ${VECTORS_PATH}`);
  }
}
