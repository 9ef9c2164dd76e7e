import { type CommandApdu, type ResponseApdu, type Transport, transceive } from '@huduma/apdu';
import {
  AID,
  APPLET_VERSION,
  type CardCertificate,
  type CardNumber,
  CLA_OF_INS,
  type CryptoProfileCode,
  cardCryptogram,
  decodeCertificate,
  decodeSelectResponse,
  deriveLinkKey,
  deriveSessionKeys,
  ecdh,
  encodeCardNumber,
  encodeOpenSessionRequest,
  INS,
  type InsName,
  LifeCycle,
  type LifeCycleState,
  macEqual,
  type Purse,
  type SignatureVerify,
  SW,
  type TransactionProof,
  type TxTypeCode,
  toHex,
  verifyCertificateBytes,
  verifyMessage,
  verifyTransactionProof,
} from '@huduma/card-applet-spec';
import { randomBytes } from '@noble/hashes/utils';
import {
  CardCertificateInvalidError,
  CardError,
  CardResponseMalformedError,
  errorForStatusWord,
  ProofInvalidError,
  SecureMessagingError,
  TerminalNotAuthorizedError,
  TerminalRequiredError,
} from './errors';
import type { CardLink, CardLinkCache } from './link-cache';
import { SESSION_TYPE_OF, SecureSession, type SessionKind, type SmCommand } from './session';
import { type TapStep, type TapTelemetry, TapTelemetryRecorder } from './telemetry';
import {
  ephemeralKeyPair,
  type ResolvedTerminal,
  resolveTerminal,
  type TerminalCredentials,
} from './terminal';

/** Options of {@link HudumaCard.select}. */
export interface HudumaCardOptions {
  /** The issuer CA public keys (65-byte uncompressed P-256) whose card certificates are trusted. */
  trust: { issuerCaPublicKeys: readonly Uint8Array[] };
  /** Terminal credentials; needed for every session command (debit, PIN, identity, block). */
  terminal?: TerminalCredentials;
  /**
   * Remembers, per card, the verified card certificate and the link key K.link, so a repeat tap
   * skips GET DATA, the CA signature check and the terminal's ECDH (SPEC-v2 §9.3).
   */
  linkCache?: CardLinkCache;
  /** Tap telemetry: `onTelemetry` is called after every SDK call with the figures of the tap so far. */
  telemetry?: { budgetMs?: number; onTelemetry?: (telemetry: TapTelemetry) => void };
  /** Unix time in seconds (default: the system clock); used for request times and certificate expiry. */
  clock?: () => number;
  /**
   * The P-256 verification used for card certificates, proofs and recovery attestations
   * (default: pure JS, `verifyMessage`). On Node, `nodeCryptoVerify` from `@huduma/sdk/node` does the same on OpenSSL.
   */
  verifySignature?: SignatureVerify;
}

/** A card proof whose signature and fields the SDK has checked. */
export interface VerifiedProof extends TransactionProof {
  /** The card that signed it. */
  cardNumber: CardNumber;
  /**
   * True when the card returned the proof it stored for an earlier identical request
   * (ALREADY_APPLIED: a retry after a lost response) instead of executing now.
   */
  replayed: boolean;
}

/** A card certificate the SDK has verified, with its exact bytes. */
export interface VerifiedCardCertificate {
  /** The 230 bytes as the card returned them. */
  bytes: Uint8Array;
  /** Decoded fields (PK.card is `signingKey`, QA.card `keyAgreementKey`). */
  certificate: CardCertificate;
}

/**
 * Selection, the card certificate, the link key and sessions: the plumbing every command of
 * {@link HudumaCard} stands on. Not exported from the package; HudumaCard is the API.
 */
export class HudumaCardCore {
  protected challenge: Uint8Array | undefined;
  protected session: SecureSession | undefined;
  protected verified: VerifiedCardCertificate | undefined;
  protected linkEntry: CardLink | undefined;
  /** The link came from the cache (not derived on this tap): it may be stale if the card was re-issued. */
  private linkFromCache = false;
  protected readonly terminalInfo: ResolvedTerminal | undefined;
  protected readonly link: Transport;

  protected constructor(
    transport: Transport,
    protected readonly options: HudumaCardOptions,
    protected readonly recorder: TapTelemetryRecorder,
    /** The card number read from the FCI. */
    readonly cardNumber: CardNumber,
    protected currentLifeCycle: LifeCycleState,
    protected currentPurse: Purse,
    /** The card's ECDH output profile (FCI tag C5, §4.6.3). */
    readonly cryptoProfile: CryptoProfileCode,
    challenge: Uint8Array,
  ) {
    this.link = transport;
    this.challenge = challenge;
    this.terminalInfo = options.terminal ? resolveTerminal(options.terminal) : undefined;
  }

  /** SELECT and FCI decoding, shared by `HudumaCard.select`. */
  protected static async selectApplet(
    transport: Transport,
    options: HudumaCardOptions,
  ): Promise<{
    recorder: TapTelemetryRecorder;
    wrapped: Transport;
    fci: ReturnType<typeof decodeSelectResponse> & { cardNumber: CardNumber };
  }> {
    const recorder = new TapTelemetryRecorder(options.telemetry?.budgetMs);
    const wrapped = recorder.wrap(transport);
    const fci = await recorder.time('select', async () => {
      const r = await transceive(wrapped, {
        cla: 0x00,
        ins: INS.SELECT,
        p1: 0x04,
        p2: 0x00,
        data: AID,
        le: 256,
      });
      if (r.sw !== SW.OK && r.sw !== SW.CARD_BLOCKED_SELECTED) throw errorForStatusWord(r.sw, 'SELECT');
      let decoded: ReturnType<typeof decodeSelectResponse>;
      try {
        decoded = decodeSelectResponse(r.data);
      } catch (err) {
        throw new CardResponseMalformedError('SELECT: the FCI does not decode', r.sw, err);
      }
      if (decoded.version !== APPLET_VERSION) {
        throw new CardError(
          'ERR_CARD_VERSION',
          `the card's applet version is ${decoded.version}, not ${APPLET_VERSION}`,
        );
      }
      if (decoded.cardNumber === undefined || decoded.lifeCycle === LifeCycle.PERSONALIZATION) {
        throw new CardError('ERR_CARD_NOT_PERSONALIZED', 'the card is not personalized');
      }
      if (decoded.lifeCycle !== LifeCycle.ACTIVE && decoded.lifeCycle !== LifeCycle.BLOCKED) {
        // v2 has no TERMINATED state: a card reporting 04 (or anything else) is invalid (§3).
        throw new CardResponseMalformedError(`SELECT: invalid life-cycle state ${decoded.lifeCycle}`, r.sw);
      }
      return decoded as typeof decoded & { cardNumber: CardNumber };
    });
    recorder.cardNumber = fci.cardNumber;
    return { recorder, wrapped, fci };
  }

  /** The card's life-cycle state as last seen (FCI, updated by BLOCK CARD). */
  get lifeCycle(): LifeCycleState {
    return this.currentLifeCycle;
  }

  /** The purse as last seen (FCI at SELECT, then updated from each verified proof or answer). */
  get purse(): Purse {
    return { ...this.currentPurse };
  }

  /** Telemetry of this tap so far. */
  get telemetry(): TapTelemetry {
    return this.recorder.snapshot();
  }

  /** True while a secure-messaging session is open on this tap. */
  get sessionOpen(): boolean {
    return this.session?.open === true;
  }

  /**
   * The card certificate, verified against the trusted issuer CA keys, its card number against
   * the FCI's and its validity against the clock. From the link cache when this terminal has
   * met the card before (no GET DATA), else read with GET DATA 7F21.
   */
  async certificate(): Promise<VerifiedCardCertificate> {
    if (this.verified) return this.verified;
    if (this.terminalInfo && this.options.linkCache) {
      const cached = await this.options.linkCache.get(this.cardNumber, toHex(this.terminalInfo.certId));
      if (
        cached &&
        cached.certificate.cardNumber === this.cardNumber &&
        this.now() <= cached.certificate.notAfter
      ) {
        this.linkEntry = cached;
        this.linkFromCache = true;
        this.verified = { bytes: cached.certificateBytes, certificate: cached.certificate };
        return this.verified;
      }
    }
    return this.time('certificate', async () => {
      const r = await this.plain({ name: 'GET_DATA', p1: 0x7f, p2: 0x21, le: 256 });
      this.expectOk(r, 'GET_DATA');
      this.verified = this.recorder.crypto(() => this.verifyCardCertificate(r.data));
      return this.verified;
    });
  }

  protected verifyCardCertificate(bytes: Uint8Array): VerifiedCardCertificate {
    let decoded: ReturnType<typeof decodeCertificate>;
    try {
      decoded = decodeCertificate(bytes);
    } catch (err) {
      throw new CardCertificateInvalidError('malformed', `card certificate: ${(err as Error).message}`);
    }
    if (decoded.type !== 'card') {
      throw new CardCertificateInvalidError(
        'not-a-card-certificate',
        'GET DATA returned a terminal certificate',
      );
    }
    const trusted = this.options.trust.issuerCaPublicKeys.some(
      (ca) => verifyCertificateBytes(bytes, ca, this.verify) !== undefined,
    );
    if (!trusted) {
      throw new CardCertificateInvalidError(
        'signature-invalid',
        'the card certificate is not signed by a trusted issuer CA',
      );
    }
    if (decoded.cardNumber !== this.cardNumber) {
      throw new CardCertificateInvalidError(
        'card-number-mismatch',
        `the certificate is for card ${decoded.cardNumber}, the card says ${this.cardNumber}`,
      );
    }
    const now = this.now();
    if (now > decoded.notAfter || now < decoded.notBefore) {
      throw new CardCertificateInvalidError('expired', 'the card certificate is not valid at this time');
    }
    return { bytes: bytes.slice(), certificate: decoded };
  }

  /**
   * The link with this card (§4.4): the verified certificate and K.link, from the cache or
   * computed now (GET DATA, CA check, one ECDH on the terminal) and cached.
   */
  protected async cardLink(): Promise<CardLink> {
    if (this.linkEntry) return this.linkEntry;
    const terminal = this.requireTerminal('a secure session');
    const key = toHex(terminal.certId);
    const cached = await this.options.linkCache?.get(this.cardNumber, key);
    if (
      cached &&
      cached.certificate.cardNumber === this.cardNumber &&
      this.now() <= cached.certificate.notAfter
    ) {
      this.linkEntry = cached;
      this.linkFromCache = true;
      this.verified = { bytes: cached.certificateBytes, certificate: cached.certificate };
      return cached;
    }
    const cert = await this.certificate();
    const zs = await this.recorder.cryptoAsync(() =>
      terminal.keyAgreement.agree(cert.certificate.keyAgreementKey, this.cryptoProfile),
    );
    const linkKey = this.recorder.crypto(() =>
      deriveLinkKey(zs, encodeCardNumber(this.cardNumber), terminal.certId),
    );
    this.linkEntry = {
      certificateBytes: cert.bytes,
      certificate: cert.certificate,
      termCertId: terminal.certId,
      linkKey,
    };
    await this.options.linkCache?.set(this.cardNumber, key, this.linkEntry);
    return this.linkEntry;
  }

  /** Sends REGISTER TERMINAL (§6.15) and checks the card names the registration as we do. */
  protected async register(): Promise<void> {
    const terminal = this.requireTerminal('REGISTER TERMINAL');
    await this.time('register', async () => {
      const r = await this.plain({
        name: 'REGISTER_TERMINAL',
        data: terminal.keyAgreement.certificate,
        le: 256,
      });
      this.expectOk(r, 'REGISTER_TERMINAL');
      if (!macEqual(r.data, terminal.certId)) {
        throw new CardResponseMalformedError('REGISTER TERMINAL answered another termCertId', r.sw);
      }
    });
  }

  /**
   * Opens a session of `kind` (§4.5, §6.16), registering the terminal first when the card holds
   * no registration for it (9F12). Consumes the card challenge (GET CHALLENGE is sent when none
   * is left). The card's cryptogram is verified before the session is used: a card that cannot
   * produce it does not hold the certified key-agreement key.
   */
  async openSession(kind: SessionKind = 'tap'): Promise<void> {
    const terminal = this.requireTerminal(`a ${kind.toUpperCase()} session`);
    const link = await this.cardLink();
    const opened = await this.time('session', async () => {
      this.session?.close();
      this.session = undefined;
      if (!this.challenge) await this.freshChallenge();
      const rndC = this.challenge as Uint8Array;
      const rndT = randomBytes(16);
      const eph = kind === 'secure' ? ephemeralKeyPair() : undefined;
      const data = encodeOpenSessionRequest({
        termCertId: terminal.certId,
        rndT,
        ...(eph ? { ephemeralKey: eph.publicKey } : {}),
      });
      const cmd = { name: 'OPEN_SESSION' as const, p1: SESSION_TYPE_OF[kind], data, le: 256 };
      let r = await this.plain(cmd);
      if (r.sw === SW.TERMINAL_NOT_REGISTERED) {
        // The challenge is kept on 9F12 (§6.16 step 2): register and retry without a new SELECT.
        await this.register();
        r = await this.plain(cmd);
      }
      this.challenge = undefined;
      this.expectOk(r, 'OPEN_SESSION');
      const type = SESSION_TYPE_OF[kind];
      const keys = this.recorder.crypto(() =>
        deriveSessionKeys({
          linkKey: link.linkKey,
          type,
          rndC,
          rndT,
          ...(eph ? { ze: ecdh(eph.privateKey, link.certificate.keyAgreementKey, this.cryptoProfile) } : {}),
        }),
      );
      if (
        !macEqual(
          r.data,
          this.recorder.crypto(() => cardCryptogram(keys, rndC, rndT, type)),
        )
      ) {
        await this.options.linkCache?.delete(this.cardNumber, toHex(terminal.certId));
        this.linkEntry = undefined;
        // A cached link may belong to an earlier card with this number (a re-issued card): once,
        // start again from the card's own certificate. A fresh link that fails is a fake card.
        if (this.linkFromCache) return false;
        throw new SecureMessagingError(
          'card-cryptogram',
          'the card cryptogram does not verify: the card does not hold the certified key-agreement key',
        );
      }
      this.session = new SecureSession(kind, keys);
      return true;
    });
    if (!opened) {
      this.linkFromCache = false;
      this.verified = undefined;
      await this.openSession(kind);
    }
  }

  /** An open session of at least `kind` (a SECURE session also serves TAP commands). */
  protected async ensureSession(kind: SessionKind): Promise<SecureSession> {
    const s = this.session;
    if (s?.open && (kind === 'tap' || s.kind === 'secure')) return s;
    await this.openSession(kind);
    return this.session as unknown as SecureSession;
  }

  /** One SM command in the current session; inner status words are the caller's to interpret. */
  protected async sm(kind: SessionKind, cmd: SmCommand): Promise<{ sw: number; payload: Uint8Array }> {
    const session = await this.ensureSession(kind);
    return session.send(this.link, cmd);
  }

  /** GET CHALLENGE (§6.2): a fresh RND.C; destroys any session on the card. */
  protected async freshChallenge(): Promise<Uint8Array> {
    const r = await this.plain({ name: 'GET_CHALLENGE', le: 16 });
    this.expectOk(r, 'GET_CHALLENGE');
    if (r.data.length !== 16) throw new CardResponseMalformedError('GET CHALLENGE: expected 16 bytes', r.sw);
    this.session?.close();
    this.session = undefined;
    this.challenge = r.data.slice();
    return this.challenge;
  }

  /** A command without secure messaging. */
  protected plain(cmd: {
    name: InsName;
    p1?: number;
    p2?: number;
    data?: Uint8Array;
    le?: number;
  }): Promise<ResponseApdu> {
    const apdu: CommandApdu = {
      cla: CLA_OF_INS[cmd.name],
      ins: INS[cmd.name],
      p1: cmd.p1 ?? 0,
      p2: cmd.p2 ?? 0,
    };
    if (cmd.data && cmd.data.length > 0) apdu.data = cmd.data;
    if (cmd.le !== undefined) apdu.le = cmd.le;
    return transceive(this.link, apdu);
  }

  protected expectOk(r: { sw: number }, command: InsName): void {
    if (r.sw !== SW.OK) throw errorForStatusWord(r.sw, command);
  }

  protected decode<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new CardResponseMalformedError(`${what}: ${(err as Error).message}`, undefined, err);
    }
  }

  protected requireTerminal(operation: string): ResolvedTerminal {
    if (!this.terminalInfo) throw new TerminalRequiredError(operation);
    return this.terminalInfo;
  }

  /** The capability check the card will make, made first so a terminal without it sends nothing. */
  protected requireCapability(bit: number, command: InsName): ResolvedTerminal {
    const terminal = this.requireTerminal(command);
    if ((terminal.certificate.capabilities & bit) === 0) {
      throw new TerminalNotAuthorizedError(
        'capability-missing',
        `the terminal certificate does not grant ${command}`,
      );
    }
    return terminal;
  }

  protected get verify(): SignatureVerify {
    return this.options.verifySignature ?? verifyMessage;
  }

  protected now(): number {
    return this.options.clock ? this.options.clock() : Math.floor(Date.now() / 1000);
  }

  protected time<T>(step: TapStep, fn: () => Promise<T>): Promise<T> {
    return this.recorder.time(step, fn);
  }

  /** Verifies a proof's type, card and signature (PK.card from the verified certificate). */
  protected async checkProof(
    proof: TransactionProof,
    type: TxTypeCode,
    replayed: boolean,
  ): Promise<VerifiedProof> {
    const cert = await this.certificate();
    if (proof.record.type !== type) {
      throw new ProofInvalidError(
        `expected a record of type ${type}, got ${proof.record.type}`,
        proof.recordBytes,
      );
    }
    const ok = this.recorder.crypto(() =>
      verifyTransactionProof(this.cardNumber, proof, cert.certificate.signingKey, this.verify),
    );
    if (!ok)
      throw new ProofInvalidError('the card signature over the record does not verify', proof.recordBytes);
    return { ...proof, cardNumber: this.cardNumber, replayed };
  }

  /** Runs a public operation and reports telemetry after it (also when it throws). */
  protected async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      this.options.telemetry?.onTelemetry?.(this.recorder.snapshot());
    }
  }
}
