import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AID,
  type Certificate,
  certificateSigningMessage,
  decodeAuthenticatedCommand,
  decodeBlockRequest,
  decodeCardNumber,
  decodeCertificate,
  decodeDebitRequest,
  decodeIdentity,
  decodeIdentityReadRequest,
  decodeLoadAuthorization,
  decodePurse,
  decodePurseParameters,
  decodeRecoveryRequest,
  decodeRecoveryResponse,
  decodeSelectResponse,
  decodeTransactionProof,
  decodeTransactionRecord,
  decodeTrustedKey,
  decodeUndebitRequest,
  encodeCardNumber,
  encodeCertificate,
  encodeDebitRequest,
  encodeIdentity,
  encodeLoadAuthorization,
  encodePinBlock,
  encodePurse,
  encodePurseParameters,
  encodeRecoveryRequest,
  encodeRecoveryResponseBody,
  encodeSelectResponse,
  encodeTransactionRecord,
  encodeTrustedKey,
  encodeUndebitRequest,
  fromHex,
  INS,
  isValidPinBlock,
  KeyUsage,
  keyIdOf,
  loadAuthorizationSigningMessage,
  publicKeyOf,
  recoveryAttestationMessage,
  type TransactionRecord,
  terminalAuthMessage,
  toHex,
  transactionSigningMessage,
  verifyCertificateBytes,
  verifyLoadAuthorizationBytes,
  verifyMessage,
  verifyRecoveryAttestation,
  verifyTransactionProof,
} from '../src/index';
import { type generateVectors, VECTORS_PATH, vectorsJson } from '../vectors/generate';

const committed = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as ReturnType<typeof generateVectors>;
const v = committed;
const x = fromHex;

function openSslVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: b64url(publicKey.subarray(1, 33)),
      y: b64url(publicKey.subarray(33, 65)),
    },
    format: 'jwk',
  });
  return nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

function recordFromJson(r: (typeof v.transactions)['debit']['record']): TransactionRecord {
  return { ...r, type: r.type as TransactionRecord['type'], terminalNonce: x(r.terminalNonce) };
}

describe('vectors/v1.json', () => {
  it('is exactly what vectors/generate.ts produces (reproducible, not hand-edited)', () => {
    expect(readFileSync(VECTORS_PATH, 'utf8')).toBe(vectorsJson());
  });

  it('derives every public key and key id from its private key', () => {
    for (const [name, key] of Object.entries(v.keys)) {
      expect(toHex(publicKeyOf(x(key.privateKey))), name).toBe(key.publicKey);
      expect(toHex(keyIdOf(x(key.publicKey))), name).toBe(key.keyId);
    }
  });

  it('card number: BCD and Luhn', () => {
    expect(toHex(encodeCardNumber(v.cardNumber.digits))).toBe(v.cardNumber.bcd);
    expect(decodeCardNumber(x(v.cardNumber.bcd))).toBe(v.cardNumber.digits);
    expect(v.aid).toBe(toHex(AID));
  });

  it('certificates re-encode from their fields and decode back', () => {
    for (const which of ['card', 'terminal'] as const) {
      const c = v.certificates[which];
      const fields = {
        ...c.fields,
        issuerKeyId: x(c.fields.issuerKeyId),
        publicKey: x(c.fields.publicKey),
        signature: x(c.fields.signature),
      } as Certificate;
      expect(toHex(encodeCertificate(fields))).toBe(c.hex);
      expect(decodeCertificate(x(c.hex))).toEqual(fields);
      expect(toHex(certificateSigningMessage(x(c.hex).subarray(0, 101)))).toBe(c.signingMessage);
    }
    expect(verifyCertificateBytes(x(v.certificates.card.hex), x(v.keys.issuerCa.publicKey))).toBeDefined();
    expect(
      verifyCertificateBytes(x(v.certificates.terminal.hex), x(v.keys.terminalCa.publicKey)),
    ).toBeDefined();
    // A certificate names its CA by key id: the other CA's key must not verify it.
    expect(
      verifyCertificateBytes(x(v.certificates.card.hex), x(v.keys.terminalCa.publicKey)),
    ).toBeUndefined();
  });

  it('trusted keys, PIN blocks, purse parameters, purse, identity', () => {
    expect(
      toHex(encodeTrustedKey({ usage: KeyUsage.TERMINAL_CA, publicKey: x(v.keys.terminalCa.publicKey) })),
    ).toBe(v.trustedKeys.terminalCa);
    expect(decodeTrustedKey(x(v.trustedKeys.loadAuthority))).toEqual({
      usage: KeyUsage.LOAD_AUTHORITY,
      keyId: x(v.keys.loadAuthority.keyId),
      publicKey: x(v.keys.loadAuthority.publicKey),
    });
    expect(toHex(encodePinBlock(v.pinBlocks.pin.digits))).toBe(v.pinBlocks.pin.hex);
    expect(toHex(encodePinBlock(v.pinBlocks.pin8.digits))).toBe(v.pinBlocks.pin8.hex);
    expect(toHex(encodePinBlock(v.pinBlocks.puk.digits, 'PUK'))).toBe(v.pinBlocks.puk.hex);
    expect(isValidPinBlock(x(v.pinBlocks.puk.hex), 'PUK')).toBe(true);
    expect(isValidPinBlock(x(v.pinBlocks.pin.hex), 'PUK')).toBe(false);
    expect(toHex(encodePurseParameters(v.purseParameters.fields))).toBe(v.purseParameters.hex);
    expect(decodePurseParameters(x(v.purseParameters.hex))).toEqual(v.purseParameters.fields);
    expect(toHex(encodePurse(v.purse.fields as Parameters<typeof encodePurse>[0]))).toBe(v.purse.hex);
    expect(decodePurse(x(v.purse.hex))).toEqual(v.purse.fields);
    expect(toHex(encodeIdentity(v.identity.fields as Parameters<typeof encodeIdentity>[0]))).toBe(
      v.identity.hex,
    );
    expect(decodeIdentity(x(v.identity.hex))).toEqual(v.identity.fields);
  });

  it('FCI and the SELECT exchange', () => {
    const fci = { ...v.fci.fields, challenge: x(v.fci.fields.challenge) } as Parameters<
      typeof encodeSelectResponse
    >[0];
    expect(toHex(encodeSelectResponse(fci))).toBe(v.fci.hex);
    expect(decodeSelectResponse(x(v.fci.hex))).toEqual(fci);
    expect(v.fci.selectCommand).toBe(`00a404000b${toHex(AID)}00`);
    expect(v.fci.selectResponse).toBe(`${v.fci.hex}9000`);
  });

  it('DEBIT: body, terminal-auth message, the chained command APDUs and the response', () => {
    const req = { ...v.debit.request, terminalNonce: x(v.debit.request.terminalNonce) };
    expect(toHex(encodeDebitRequest(req))).toBe(v.debit.body);
    expect(decodeDebitRequest(x(v.debit.body))).toEqual(req);
    const message = terminalAuthMessage(
      INS.DEBIT,
      0,
      0,
      x(v.debit.challenge),
      v.cardNumber.digits,
      x(v.debit.body),
    );
    expect(toHex(message)).toBe(v.debit.authMessage);
    expect(v.debit.commandData).toBe(v.certificates.terminal.hex + v.debit.body + v.debit.authSignature);
    const split = decodeAuthenticatedCommand(x(v.debit.commandData), 38);
    expect(toHex(split.certificate)).toBe(v.certificates.terminal.hex);
    expect(toHex(split.signature)).toBe(v.debit.authSignature);
    // Chain: 255 bytes with CLA 90 and no Le, then 12 bytes with CLA 80 and Le 00.
    expect(v.debit.commandApdus).toHaveLength(2);
    const [first, last] = v.debit.commandApdus.map(x) as [Uint8Array, Uint8Array];
    expect(toHex(first.subarray(0, 5))).toBe('90540000ff');
    expect(first.length).toBe(5 + 255);
    expect(toHex(last.subarray(0, 5))).toBe('805400000c');
    expect(last.length).toBe(5 + 12 + 1);
    expect(toHex(new Uint8Array([...first.subarray(5), ...last.subarray(5, 17)]))).toBe(v.debit.commandData);
    expect(v.debit.responseApdu).toBe(`${v.transactions.debit.proof}9000`);
  });

  it('UNDEBIT body and message', () => {
    const req = { ...v.undebit.request, terminalNonce: x(v.undebit.request.terminalNonce) };
    expect(toHex(encodeUndebitRequest(req))).toBe(v.undebit.body);
    expect(decodeUndebitRequest(x(v.undebit.body))).toEqual(req);
    const message = terminalAuthMessage(
      INS.UNDEBIT,
      0,
      0,
      x(v.undebit.challenge),
      v.cardNumber.digits,
      x(v.undebit.body),
    );
    expect(toHex(message)).toBe(v.undebit.authMessage);
    // 253 bytes fit one short APDU.
    expect(v.undebit.commandApdus).toHaveLength(1);
  });

  it('READ IDENTITY and BLOCK CARD bodies decode', () => {
    expect(decodeIdentityReadRequest(x(v.identityRead.body)).time).toBe(1_750_000_800);
    expect(decodeBlockRequest(x(v.blockCard.body))).toEqual({
      reason: 2,
      terminalSeq: 44,
      time: 1_750_000_900,
    });
  });

  it('load authorization re-encodes, decodes and verifies over its exact bytes', () => {
    const f = v.reload.authorization.fields;
    const auth = {
      ...f,
      keyId: x(f.keyId),
      cardChallenge: x(f.cardChallenge),
      terminalNonce: x(f.terminalNonce),
      signature: x(f.signature),
    };
    expect(toHex(encodeLoadAuthorization(auth))).toBe(v.reload.authorization.hex);
    expect(decodeLoadAuthorization(x(v.reload.authorization.hex))).toEqual(auth);
    expect(toHex(loadAuthorizationSigningMessage(x(v.reload.authorization.hex).subarray(0, 80)))).toBe(
      v.reload.authorization.signingMessage,
    );
    expect(
      verifyLoadAuthorizationBytes(x(v.reload.authorization.hex), x(v.keys.loadAuthority.publicKey)),
    ).toBe(true);
    expect(v.reload.commandApdu).toBe(`8058000090${v.reload.authorization.hex}00`);
  });

  it('transaction records (debit, undebit, reload) re-encode, decode, and their proofs verify', () => {
    for (const t of Object.values(v.transactions)) {
      const rec = recordFromJson(t.record);
      expect(toHex(encodeTransactionRecord(rec)), t.name).toBe(t.recordHex);
      expect(decodeTransactionRecord(x(t.recordHex)), t.name).toEqual(rec);
      expect(toHex(transactionSigningMessage(v.cardNumber.digits, x(t.recordHex)))).toBe(t.signingMessage);
      const proof = decodeTransactionProof(x(t.proof));
      expect(proof.record).toEqual(rec);
      expect(verifyTransactionProof(v.cardNumber.digits, proof, x(v.keys.card.publicKey)), t.name).toBe(true);
    }
  });

  it('recovery: requests, responses and attestations', () => {
    for (const r of [v.recovery.found, v.recovery.notFound]) {
      const req = { ...r.request, terminalNonce: x(r.request.terminalNonce) };
      expect(toHex(encodeRecoveryRequest(req))).toBe(r.requestHex);
      expect(decodeRecoveryRequest(x(r.requestHex))).toEqual(req);
      const resp = decodeRecoveryResponse(x(r.responseHex));
      expect(toHex(resp.attestedBytes)).toBe(r.attestedBody);
      expect(
        toHex(recoveryAttestationMessage(v.cardNumber.digits, x(r.requestHex), resp.attestedBytes)),
      ).toBe(r.attestationMessage);
      expect(
        verifyRecoveryAttestation(v.cardNumber.digits, x(r.requestHex), resp, x(v.keys.card.publicKey)),
      ).toBe(true);
      // The attestation is bound to the request: another request's bytes do not verify.
      const other = r === v.recovery.found ? v.recovery.notFound : v.recovery.found;
      expect(
        verifyRecoveryAttestation(v.cardNumber.digits, x(other.requestHex), resp, x(v.keys.card.publicKey)),
      ).toBe(false);
    }
    const found = decodeRecoveryResponse(x(v.recovery.found.responseHex));
    expect(found.found).toBe(true);
    expect(toHex(found.recordBytes!)).toBe(v.transactions.debit.recordHex);
    expect(toHex(found.recordSignature!)).toBe(v.transactions.debit.signature);
    expect(
      toHex(
        encodeRecoveryResponseBody({
          found: true,
          counter: 3,
          balance: 50_000,
          recordBytes: x(v.transactions.debit.recordHex),
          recordSignature: x(v.transactions.debit.signature),
        }),
      ),
    ).toBe(v.recovery.found.attestedBody);
    const notFound = decodeRecoveryResponse(x(v.recovery.notFound.responseHex));
    expect(notFound).toMatchObject({ found: false, counter: 3, balance: 50_000 });
  });

  describe('every signature verifies with noble AND with OpenSSL (node:crypto); a flipped bit fails both', () => {
    const cases: Array<[string, string, string, string]> = [
      [
        'card certificate',
        v.keys.issuerCa.publicKey,
        v.certificates.card.signingMessage,
        v.certificates.card.fields.signature,
      ],
      [
        'terminal certificate',
        v.keys.terminalCa.publicKey,
        v.certificates.terminal.signingMessage,
        v.certificates.terminal.fields.signature,
      ],
      ['debit terminal auth', v.keys.terminal.publicKey, v.debit.authMessage, v.debit.authSignature],
      ['undebit terminal auth', v.keys.terminal.publicKey, v.undebit.authMessage, v.undebit.authSignature],
      [
        'load authorization',
        v.keys.loadAuthority.publicKey,
        v.reload.authorization.signingMessage,
        v.reload.authorization.fields.signature,
      ],
      ...Object.values(v.transactions).map(
        (t) =>
          [`${t.name} proof`, v.keys.card.publicKey, t.signingMessage, t.signature] as [
            string,
            string,
            string,
            string,
          ],
      ),
      [
        'recovery found',
        v.keys.card.publicKey,
        v.recovery.found.attestationMessage,
        v.recovery.found.attestation,
      ],
      [
        'recovery not found',
        v.keys.card.publicKey,
        v.recovery.notFound.attestationMessage,
        v.recovery.notFound.attestation,
      ],
    ];
    it.each(cases)('%s', (_name, pubHex, messageHex, signatureHex) => {
      const pub = x(pubHex);
      const message = x(messageHex);
      const signature = x(signatureHex);
      expect(verifyMessage(pub, message, signature)).toBe(true);
      expect(openSslVerify(pub, message, signature)).toBe(true);
      for (const [what, bytes] of [
        ['message', message],
        ['signature', signature],
      ] as const) {
        for (const bit of [0, 7, bytes.length * 8 - 1]) {
          const flipped = bytes.slice();
          flipped[bit >> 3]! ^= 1 << (bit & 7);
          const m = what === 'message' ? flipped : message;
          const s = what === 'signature' ? flipped : signature;
          expect(verifyMessage(pub, m, s), `${what} bit ${bit}`).toBe(false);
          expect(openSslVerify(pub, m, s), `${what} bit ${bit}`).toBe(false);
        }
      }
    });

    it('both accept a high-S signature (cards and OpenSSL do not normalise s)', () => {
      const [, pubHex, messageHex, signatureHex] = cases[2]!;
      const sig = x(signatureHex);
      const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
      const s = BigInt(`0x${toHex(sig.subarray(32))}`);
      const highS = x((n - s).toString(16).padStart(64, '0'));
      const flippedS = new Uint8Array([...sig.subarray(0, 32), ...highS]);
      expect(verifyMessage(x(pubHex), x(messageHex), flippedS)).toBe(true);
      expect(openSslVerify(x(pubHex), x(messageHex), flippedS)).toBe(true);
    });
  });

  it('SPEC.md §15 worked example shows the DEBIT APDUs of the vectors byte for byte', () => {
    const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');
    const section = spec.slice(spec.indexOf('**3. DEBIT, chained**'));
    const lines = section.split('\n');
    const hexOf = (line: string) =>
      line
        .replace(/^\s*[→←]?\s*/, '')
        .split(/\s{3,}/)[0]!
        .replace(/\s+/g, '')
        .toLowerCase();
    const start = lines.findIndex((l) => l.startsWith('→ 90 54'));
    const end = lines.findIndex((l, i) => i > start && l.startsWith('← 90 00'));
    const first = lines.slice(start, end).map(hexOf).join('');
    expect(first).toBe(v.debit.commandApdus[0]);
    expect(hexOf(lines[end + 1]!)).toBe(v.debit.commandApdus[1]);
    const respStart = end + 2;
    const respEnd = lines.findIndex((l, i) => i > respStart && l.trim() === '90 00');
    const response = lines
      .slice(respStart, respEnd + 1)
      .map(hexOf)
      .join('');
    expect(response).toBe(v.debit.responseApdu);
  });
});
