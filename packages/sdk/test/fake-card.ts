/**
 * A small hand-built card for the SDK's unit tests: it answers the commands the SDK sends with
 * responses built by the spec codecs and signed with a real card key, and lets a test replace
 * any answer. It is not the reference simulator (simulators/card); it implements just enough.
 */
import {
  CLA_CHAINING,
  type DecodedCommandApdu,
  decodeCommand,
  encodeResponse,
  type Transport,
} from '@huduma/apdu';
import {
  bytesEqual,
  concatBytes,
  decodeAuthenticatedCommand,
  decodeCertificate,
  decodeDebitRequest,
  decodeLoadAuthorization,
  decodeRecoveryRequest,
  decodeTransactionRecord,
  decodeUndebitRequest,
  encodeCertificate,
  encodeIdentity,
  encodePinBlock,
  encodePurse,
  encodeRecoveryResponseBody,
  encodeSelectResponse,
  encodeTransactionRecord,
  generatePrivateKey,
  INS,
  keyIdOf,
  LifeCycle,
  type LifeCycleState,
  type Purse,
  publicKeyOf,
  recoveryAttestationMessage,
  SW,
  signCertificate,
  signMessage,
  TxType,
  terminalAuthMessage,
  transactionSigningMessage,
  verifyLoadAuthorizationBytes,
  verifyMessage,
} from '@huduma/card-applet-spec';

export const CARD_NUMBER = '8404000000000013';
const NOW = 1_760_000_000;

/** A CA key pair (issuer, acquirer or load authority). */
export function caKey(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = generatePrivateKey();
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** A terminal certificate and key signed by `acquirer`. */
export function makeTerminal(
  acquirer: { privateKey: Uint8Array; publicKey: Uint8Array },
  terminalId = 'T-0001',
  capabilities = 0x1f,
): { certificate: Uint8Array; privateKey: Uint8Array } {
  const privateKey = generatePrivateKey();
  const cert = signCertificate(
    {
      type: 'terminal',
      issuerKeyId: keyIdOf(acquirer.publicKey),
      terminalId,
      merchantId: 'M-1',
      capabilities,
      notBefore: NOW - 86_400,
      notAfter: NOW + 86_400 * 365 * 5,
      publicKey: publicKeyOf(privateKey),
    },
    acquirer.privateKey,
  );
  return { certificate: encodeCertificate(cert), privateKey };
}

export class FakeCard implements Transport {
  readonly cardKey = generatePrivateKey();
  certificate: Uint8Array;
  lifeCycle: LifeCycleState = LifeCycle.ACTIVE;
  purse: Omit<Purse, 'lifeCycle' | 'pinTriesLeft'> = {
    balance: 100_000,
    maxBalance: 1_000_000,
    counter: 5,
    offlineSpend: 0,
    offlineLimit: 500_000,
    cvmLimit: 50_000,
    currency: 0x0404,
  };
  pin = '1234';
  puk = '12345678';
  pinTries = 3;
  pukTries = 10;
  /** Newest first: record (63) ‖ signature (64). */
  ring: Uint8Array[] = [];
  challenge: Uint8Array | undefined;
  pinVerified = false;
  private chain: Uint8Array | undefined;
  /** Every command received (chain segments included). */
  readonly log: DecodedCommandApdu[] = [];
  /** Replaces the answer to a (reassembled) command when it returns bytes. */
  override: ((cmd: DecodedCommandApdu) => Uint8Array | undefined) | undefined;
  identity = encodeIdentity({
    idType: 1,
    hudumaNamba: 'HN-0001',
    idNumber: '12345678',
    name: 'Wanjiku Kamau',
  });

  constructor(
    issuer: { privateKey: Uint8Array; publicKey: Uint8Array },
    readonly loadAuthorityPublicKey?: Uint8Array,
    cardNumber = CARD_NUMBER,
  ) {
    this.cardNumber = cardNumber;
    this.certificate = encodeCertificate(
      signCertificate(
        {
          type: 'card',
          issuerKeyId: keyIdOf(issuer.publicKey),
          cardNumber,
          notBefore: NOW - 86_400,
          notAfter: 4_000_000_000,
          publicKey: publicKeyOf(this.cardKey),
        },
        issuer.privateKey,
      ),
    );
  }
  readonly cardNumber: string;

  fullPurse(): Purse {
    return { ...this.purse, lifeCycle: this.lifeCycle, pinTriesLeft: this.pinTries };
  }

  async transmit(bytes: Uint8Array): Promise<Uint8Array> {
    const segment = decodeCommand(bytes);
    this.log.push(segment);
    if (segment.cla & CLA_CHAINING) {
      this.chain = concatBytes(this.chain ?? new Uint8Array(0), segment.data ?? new Uint8Array(0));
      return encodeResponse(new Uint8Array(0), SW.OK);
    }
    const data = this.chain ? concatBytes(this.chain, segment.data ?? new Uint8Array(0)) : segment.data;
    this.chain = undefined;
    const cmd: DecodedCommandApdu = { ...segment, ...(data ? { data } : {}) };
    const replaced = this.override?.(cmd);
    if (replaced) return replaced;
    const [out, sw] = this.handle(cmd);
    return encodeResponse(out, sw);
  }

  private sign(record: Uint8Array): Uint8Array {
    return concatBytes(record, signMessage(this.cardKey, transactionSigningMessage(this.cardNumber, record)));
  }

  private handle(cmd: DecodedCommandApdu): [Uint8Array, number] {
    const none = new Uint8Array(0);
    const data = cmd.data ?? none;
    switch (cmd.ins) {
      case INS.SELECT:
        this.challenge = crypto.getRandomValues(new Uint8Array(16));
        this.pinVerified = false;
        return [
          encodeSelectResponse({
            version: 1,
            lifeCycle: this.lifeCycle,
            cardNumber: this.cardNumber,
            challenge: this.challenge,
            purse: this.fullPurse(),
          }),
          this.lifeCycle === LifeCycle.BLOCKED ? SW.SELECTED_FILE_DEACTIVATED : SW.OK,
        ];
      case INS.GET_CHALLENGE:
        this.challenge = crypto.getRandomValues(new Uint8Array(16));
        return [this.challenge, SW.OK];
      case INS.GET_DATA:
        return [this.certificate, SW.OK];
      case INS.READ_PURSE:
        return [encodePurse(this.fullPurse()), SW.OK];
      case INS.VERIFY_PIN:
        return [none, this.checkPin(data)];
      case INS.CHANGE_PIN: {
        const sw = this.checkPin(data.subarray(0, 8));
        if (sw === SW.OK) this.pin = String.fromCharCode(...data.subarray(8).filter((b) => b !== 0xff));
        return [none, sw];
      }
      case INS.UNBLOCK_PIN: {
        if (this.pukTries === 0) return [none, SW.AUTH_METHOD_BLOCKED];
        this.pukTries--;
        if (!bytesEqual(data.subarray(0, 8), encodePinBlock(this.puk, 'PUK')))
          return [none, SW.VERIFY_FAILED_BASE | this.pukTries];
        this.pin = String.fromCharCode(...data.subarray(8).filter((b) => b !== 0xff));
        this.pinTries = 3;
        this.pukTries = 10;
        return [none, SW.OK];
      }
      case INS.READ_RECORD: {
        const entry = this.ring[cmd.p1 - 1];
        return entry ? [entry, SW.OK] : [none, SW.RECORD_NOT_FOUND];
      }
      case INS.GET_LAST_TRANSACTION: {
        const req = decodeRecoveryRequest(data);
        const hit = this.ring.find((e) => {
          const r = decodeTransactionRecord(e.subarray(0, 63));
          return r.terminalId === req.terminalId && r.terminalSeq === req.terminalSeq;
        });
        const body = encodeRecoveryResponseBody({
          found: hit !== undefined,
          counter: this.purse.counter,
          balance: this.purse.balance,
          ...(hit ? { recordBytes: hit.subarray(0, 63), recordSignature: hit.subarray(63) } : {}),
        });
        const att = signMessage(this.cardKey, recoveryAttestationMessage(this.cardNumber, data, body));
        return [concatBytes(body, att), SW.OK];
      }
      case INS.RELOAD: {
        if (!this.challenge) return [none, SW.SECURITY_STATUS_NOT_SATISFIED];
        const challenge = this.challenge;
        this.challenge = undefined;
        const auth = decodeLoadAuthorization(data);
        if (
          !this.loadAuthorityPublicKey ||
          !verifyLoadAuthorizationBytes(data, this.loadAuthorityPublicKey) ||
          auth.cardCounter !== this.purse.counter ||
          !bytesEqual(auth.cardChallenge, challenge)
        )
          return [none, SW.LOAD_AUTH_INVALID];
        if (this.purse.balance + auth.amount > this.purse.maxBalance) return [none, SW.MAX_BALANCE_EXCEEDED];
        this.purse.counter++;
        this.purse.balance += auth.amount;
        this.purse.offlineSpend = 0;
        const entry = this.sign(
          encodeTransactionRecord({
            type: TxType.RELOAD,
            counter: this.purse.counter,
            amount: auth.amount,
            balanceAfter: this.purse.balance,
            offlineSpendAfter: 0,
            terminalId: auth.terminalId,
            terminalSeq: auth.terminalSeq,
            terminalNonce: auth.terminalNonce,
            time: auth.time,
            billRef: auth.loadRef,
            serviceCode: 0,
            refCounter: 0,
          }),
        );
        this.ring.unshift(entry);
        return [entry, SW.OK];
      }
      case INS.DEBIT:
      case INS.UNDEBIT:
      case INS.READ_IDENTITY:
      case INS.BLOCK_CARD:
        return this.authenticated(cmd.ins, data);
      default:
        return [none, SW.INS_NOT_SUPPORTED];
    }
  }

  private checkPin(block: Uint8Array): number {
    if (this.pinTries === 0) return SW.AUTH_METHOD_BLOCKED;
    this.pinTries--;
    if (!bytesEqual(block, encodePinBlock(this.pin))) return SW.VERIFY_FAILED_BASE | this.pinTries;
    this.pinTries = 3;
    this.pinVerified = true;
    return SW.OK;
  }

  private authenticated(ins: number, data: Uint8Array): [Uint8Array, number] {
    const none = new Uint8Array(0);
    const bodySize = { [INS.DEBIT]: 38, [INS.UNDEBIT]: 24, [INS.READ_IDENTITY]: 12, [INS.BLOCK_CARD]: 9 }[
      ins
    ]!;
    if (!this.challenge) return [none, SW.SECURITY_STATUS_NOT_SATISFIED];
    const challenge = this.challenge;
    this.challenge = undefined;
    const { certificate, body, signature } = decodeAuthenticatedCommand(data, bodySize);
    const cert = decodeCertificate(certificate);
    if (cert.type !== 'terminal') return [none, SW.TERMINAL_CERT_INVALID];
    const message = terminalAuthMessage(ins, 0, 0, challenge, this.cardNumber, body);
    if (!verifyMessage(cert.publicKey, message, signature)) return [none, SW.TERMINAL_SIGNATURE_INVALID];
    if (ins === INS.READ_IDENTITY) return this.pinVerified ? [this.identity, SW.OK] : [none, SW.PIN_REQUIRED];
    if (ins === INS.BLOCK_CARD) {
      this.lifeCycle = LifeCycle.BLOCKED;
      return [none, SW.OK];
    }
    if (ins === INS.UNDEBIT) {
      const req = decodeUndebitRequest(body);
      const last = this.ring[0] && decodeTransactionRecord(this.ring[0].subarray(0, 63));
      if (
        !last ||
        last.type !== TxType.DEBIT ||
        last.counter !== req.refCounter ||
        last.amount !== req.amount
      )
        return [none, SW.UNDEBIT_REFUSED];
      this.purse.counter++;
      this.purse.balance += req.amount;
      this.purse.offlineSpend = Math.max(0, this.purse.offlineSpend - req.amount);
      const entry = this.sign(
        encodeTransactionRecord({
          ...last,
          type: TxType.UNDEBIT,
          counter: this.purse.counter,
          balanceAfter: this.purse.balance,
          offlineSpendAfter: this.purse.offlineSpend,
          terminalSeq: req.terminalSeq,
          terminalNonce: req.terminalNonce,
          time: req.time,
          refCounter: req.refCounter,
        }),
      );
      this.ring.unshift(entry);
      return [entry, SW.OK];
    }
    const req = decodeDebitRequest(body);
    for (const e of this.ring) {
      const r = decodeTransactionRecord(e.subarray(0, 63));
      if (r.terminalId === cert.terminalId && r.terminalSeq === req.terminalSeq) {
        const same =
          r.type === TxType.DEBIT &&
          r.amount === req.amount &&
          r.billRef === req.billRef &&
          r.serviceCode === req.serviceCode;
        return same ? [e, SW.OK] : [none, SW.SEQUENCE_REUSED];
      }
    }
    if (req.amount > this.purse.cvmLimit && !this.pinVerified) return [none, SW.PIN_REQUIRED];
    if (this.purse.balance < req.amount) return [none, SW.INSUFFICIENT_FUNDS];
    if (this.purse.offlineSpend + req.amount > this.purse.offlineLimit)
      return [none, SW.OFFLINE_LIMIT_EXCEEDED];
    this.purse.counter++;
    this.purse.balance -= req.amount;
    this.purse.offlineSpend += req.amount;
    const entry = this.sign(
      encodeTransactionRecord({
        type: TxType.DEBIT,
        counter: this.purse.counter,
        amount: req.amount,
        balanceAfter: this.purse.balance,
        offlineSpendAfter: this.purse.offlineSpend,
        terminalId: cert.terminalId,
        terminalSeq: req.terminalSeq,
        terminalNonce: req.terminalNonce,
        time: req.time,
        billRef: req.billRef,
        serviceCode: req.serviceCode,
        refCounter: 0,
      }),
    );
    this.ring.unshift(entry);
    return [entry, SW.OK];
  }
}

export { NOW };
