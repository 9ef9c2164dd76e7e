import {
  AID,
  BlockReason,
  decodeIdentity,
  decodePurse,
  decodeRecoveryResponse,
  decodeTransactionProof,
  encodeBlockRequest,
  encodeIdentityReadRequest,
  encodePinBlock,
  encodeRecoveryRequest,
  INS,
  LifeCycle,
  SW,
  TxType,
  verifyCertificateBytes,
  verifyRecoveryAttestation,
  verifyTransactionProof,
} from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY, issueTestCard, loadBalance, SimulatedCard } from '../src/index';
import {
  authData,
  debit,
  NOW,
  select,
  send,
  type TestTerminal,
  terminal,
  undebitBody,
  verifyPin,
} from './helpers';

let pki: DevPki;
let term: TestTerminal;
beforeAll(async () => {
  pki = DevPki.inMemory();
  term = await terminal(pki);
});

describe('issueTestCard', () => {
  it('gives an ACTIVE card with its balance, a certificate from the issuer CA and the stored identity', async () => {
    const tc = await issueTestCard({ pki, balance: 12_345 });
    const s = tc.card.state;
    expect(s.lifeCycle).toBe(LifeCycle.ACTIVE);
    expect(s.balance).toBe(12_345);
    expect(s.counter).toBe(1);
    const cert = verifyCertificateBytes(tc.certificate, pki.issuerCaPublicKey);
    expect(cert).toMatchObject({ type: 'card', cardNumber: tc.cardNumber, publicKey: tc.cardPublicKey });
    expect(decodeIdentity(s.identity!)).toEqual(DEFAULT_IDENTITY);
    const sel = select(tc.card);
    expect(sel.sw).toBe(SW.OK);
    expect(sel.fci.cardNumber).toBe(tc.cardNumber);
    expect(sel.fci.purse.balance).toBe(12_345);
    const gd = send(tc.card, 0x00, INS.GET_DATA, 0x7f, 0x21);
    expect(gd).toEqual({ sw: SW.OK, data: tc.certificate });
  });
});

describe('DEBIT', () => {
  it('debits, signs a proof the card key verifies, and replays the same proof for a retried seq', async () => {
    const tc = await issueTestCard({ pki, balance: 10_000 });
    const a = debit(tc.card, term, tc.cardNumber, 2_500, 1);
    expect(a.sw).toBe(SW.OK);
    const proof = decodeTransactionProof(a.data);
    expect(proof.record).toMatchObject({
      type: TxType.DEBIT,
      counter: 2,
      amount: 2_500,
      balanceAfter: 7_500,
      offlineSpendAfter: 2_500,
      terminalId: 'T-1',
      terminalSeq: 1,
      billRef: 'BILL-1',
      serviceCode: 7,
    });
    expect(verifyTransactionProof(tc.cardNumber, proof, tc.cardPublicKey)).toBe(true);
    const again = debit(tc.card, term, tc.cardNumber, 2_500, 1);
    expect(again).toEqual(a);
    expect(tc.card.state.balance).toBe(7_500);
    expect(debit(tc.card, term, tc.cardNumber, 2_000, 1).sw).toBe(SW.SEQUENCE_REUSED);
    expect(send(tc.card, 0x00, INS.READ_RECORD, 1, 4)).toEqual(a);
    expect(send(tc.card, 0x00, INS.READ_RECORD, 3, 4).sw).toBe(SW.RECORD_NOT_FOUND);
  });

  it('refuses with the exact status words', async () => {
    const tc = await issueTestCard({
      pki,
      balance: 200_000,
      purse: { maxBalance: 1_000_000, offlineLimit: 150_000, cvmLimit: 100_000 },
    });
    const c = tc.card;
    expect(debit(c, term, tc.cardNumber, 0, 1).sw).toBe(SW.WRONG_DATA);
    expect(debit(c, term, tc.cardNumber, 100_001, 2).sw).toBe(SW.PIN_REQUIRED);
    expect(debit(c, term, tc.cardNumber, 250_000, 3).sw).toBe(SW.PIN_REQUIRED);
    select(c);
    expect(verifyPin(c, '1234').sw).toBe(SW.OK);
    // SELECT clears the PIN flag, so verify after it and send DEBIT with GET CHALLENGE's challenge.
    const ch = send(c, 0x00, INS.GET_CHALLENGE, 0, 0).data;
    const { debitBody } = await import('./helpers');
    expect(
      send(c, 0x80, INS.DEBIT, 0, 0, authData(term, INS.DEBIT, ch, tc.cardNumber, debitBody(250_000, 4))).sw,
    ).toBe(SW.INSUFFICIENT_FUNDS);
    expect(debit(c, term, tc.cardNumber, 100_000, 5).sw).toBe(SW.OK);
    expect(debit(c, term, tc.cardNumber, 60_000, 6).sw).toBe(SW.OFFLINE_LIMIT_EXCEEDED);
    // The challenge is consumed whatever the outcome.
    const data = authData(term, INS.DEBIT, ch, tc.cardNumber, debitBody(10, 7));
    expect(send(c, 0x80, INS.DEBIT, 0, 0, data).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);
  });

  it('checks the terminal: unknown CA, bad cert signature, expiry, capability, terminal signature', async () => {
    const tc = await issueTestCard({ pki, balance: 10_000, loadTime: NOW });
    const c = tc.card;
    const foreign = await terminal(DevPki.inMemory(), 'T-X');
    expect(debit(c, foreign, tc.cardNumber, 1, 1).sw).toBe(SW.REFERENCED_DATA_NOT_FOUND);
    const forged = { ...term, terminalId: 'T-F', certificate: term.certificate.slice() };
    forged.certificate[120] = forged.certificate[120]! ^ 1;
    expect(debit(c, forged, tc.cardNumber, 1, 1).sw).toBe(SW.TERMINAL_CERT_INVALID);
    const badVersion = { ...term, certificate: term.certificate.slice() };
    badVersion.certificate[0] = 9;
    expect(debit(c, badVersion, tc.cardNumber, 1, 1).sw).toBe(SW.TERMINAL_CERT_INVALID);
    const expired = await terminal(pki, 'T-OLD', 0x1f, NOW - 1);
    expect(debit(c, expired, tc.cardNumber, 1, 1).sw).toBe(SW.TERMINAL_CERT_EXPIRED);
    const noDebit = await terminal(pki, 'T-ID', 0x08);
    expect(debit(c, noDebit, tc.cardNumber, 1, 1).sw).toBe(SW.CAPABILITY_MISSING);
    const { fci } = select(c);
    const data = authData(
      term,
      INS.DEBIT,
      fci.challenge,
      tc.cardNumber,
      (await import('./helpers')).debitBody(1, 1),
    );
    data[data.length - 1] = data[data.length - 1]! ^ 1;
    expect(send(c, 0x80, INS.DEBIT, 0, 0, data).sw).toBe(SW.TERMINAL_SIGNATURE_INVALID);
    expect(c.state.balance).toBe(10_000);
  });

  it('caches verified terminal certificates (one verify less on a repeat terminal)', async () => {
    const tc = await issueTestCard({ pki, balance: 10_000 });
    debit(tc.card, term, tc.cardNumber, 1, 1);
    expect(tc.card.lastCommand.verifies).toBe(2);
    debit(tc.card, term, tc.cardNumber, 1, 2);
    expect(tc.card.lastCommand.verifies).toBe(1);
    expect(tc.card.state.certCache).toHaveLength(1);
  });
});

describe('UNDEBIT', () => {
  it('cancels the last debit of the same terminal within 900 s, once', async () => {
    const tc = await issueTestCard({ pki, balance: 10_000 });
    const c = tc.card;
    expect(debit(c, term, tc.cardNumber, 3_000, 1).sw).toBe(SW.OK);
    const undo = (ref: number, amount: number, seq: number, time?: number, t = term) => {
      const { fci } = select(c);
      return send(
        c,
        0x80,
        INS.UNDEBIT,
        0,
        0,
        authData(t, INS.UNDEBIT, fci.challenge, tc.cardNumber, undebitBody(ref, amount, seq, time)),
      );
    };
    expect(undo(2, 2_999, 2).sw).toBe(SW.UNDEBIT_REFUSED);
    expect(undo(1, 3_000, 2).sw).toBe(SW.UNDEBIT_REFUSED);
    expect(undo(2, 3_000, 2, NOW + 901).sw).toBe(SW.UNDEBIT_REFUSED);
    expect(undo(2, 3_000, 2, NOW - 1).sw).toBe(SW.UNDEBIT_REFUSED);
    expect(undo(2, 3_000, 2, NOW, await terminal(pki, 'T-2')).sw).toBe(SW.UNDEBIT_REFUSED);
    const ok = undo(2, 3_000, 2, NOW + 900);
    expect(ok.sw).toBe(SW.OK);
    const rec = decodeTransactionProof(ok.data).record;
    expect(rec).toMatchObject({
      type: TxType.UNDEBIT,
      counter: 3,
      amount: 3_000,
      balanceAfter: 10_000,
      offlineSpendAfter: 0,
      refCounter: 2,
      billRef: 'BILL-1',
      serviceCode: 7,
    });
    expect(undo(2, 3_000, 2, NOW + 900)).toEqual(ok);
    expect(undo(2, 3_000, 3).sw).toBe(SW.UNDEBIT_REFUSED);
    expect(debit(c, term, tc.cardNumber, 5, 2).sw).toBe(SW.SEQUENCE_REUSED);
  });
});

describe('RELOAD', () => {
  it('loads against a fresh challenge and the current counter only', async () => {
    const tc = await issueTestCard({ pki, balance: 1_000 });
    const c = tc.card;
    const { fci } = select(c);
    const auth = await pki.authorizeLoad({
      cardNumber: tc.cardNumber,
      cardCounter: fci.purse.counter,
      cardChallenge: fci.challenge,
      amount: 500,
      time: NOW,
      terminalId: 'ISSUER',
      terminalSeq: 9,
      terminalNonce: new Uint8Array(8),
      loadRef: 'R1',
    });
    const ok = send(c, 0x80, INS.RELOAD, 0, 0, auth);
    expect(ok.sw).toBe(SW.OK);
    expect(decodeTransactionProof(ok.data).record).toMatchObject({
      type: TxType.RELOAD,
      amount: 500,
      balanceAfter: 1_500,
      billRef: 'R1',
      time: NOW,
    });
    expect(c.state.lastTrustedTime).toBeGreaterThan(NOW); // the card certificate notBefore (now) is later than NOW
    expect(send(c, 0x80, INS.RELOAD, 0, 0, auth).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);
    select(c);
    expect(send(c, 0x80, INS.RELOAD, 0, 0, auth).sw).toBe(SW.LOAD_AUTH_INVALID);
    const f2 = select(c).fci;
    const tooMuch = await pki.authorizeLoad({
      cardNumber: tc.cardNumber,
      cardCounter: f2.purse.counter,
      cardChallenge: f2.challenge,
      amount: 10_000_000,
      time: NOW,
      terminalId: 'ISSUER',
      terminalSeq: 10,
      terminalNonce: new Uint8Array(8),
      loadRef: 'R2',
    });
    expect(send(c, 0x80, INS.RELOAD, 0, 0, tooMuch).sw).toBe(SW.MAX_BALANCE_EXCEEDED);
    const f3 = select(c).fci;
    const forged = await DevPki.inMemory().authorizeLoad({
      cardNumber: tc.cardNumber,
      cardCounter: f3.purse.counter,
      cardChallenge: f3.challenge,
      amount: 1,
      time: NOW,
      terminalId: 'ISSUER',
      terminalSeq: 11,
      terminalNonce: new Uint8Array(8),
      loadRef: 'R3',
    });
    expect(send(c, 0x80, INS.RELOAD, 0, 0, forged).sw).toBe(SW.REFERENCED_DATA_NOT_FOUND);
    const f4 = select(c).fci;
    const bad = await pki.authorizeLoad({
      cardNumber: tc.cardNumber,
      cardCounter: f4.purse.counter,
      cardChallenge: f4.challenge,
      amount: 1,
      time: NOW,
      terminalId: 'ISSUER',
      terminalSeq: 12,
      terminalNonce: new Uint8Array(8),
      loadRef: 'R4',
    });
    bad[100] = bad[100]! ^ 1;
    expect(send(c, 0x80, INS.RELOAD, 0, 0, bad).sw).toBe(SW.LOAD_AUTH_INVALID);
    expect(c.state.balance).toBe(1_500);
  });

  it('resets offline spend', async () => {
    const tc = await issueTestCard({ pki, balance: 10_000 });
    debit(tc.card, term, tc.cardNumber, 1_000, 1);
    expect(tc.card.state.offlineSpend).toBe(1_000);
    await loadBalance(tc.reader, pki, tc.cardNumber, 0, NOW, 2);
    expect(tc.card.state.offlineSpend).toBe(0);
  });
});

describe('PIN', () => {
  it('VERIFY counts down, resets on success, blocks at 0; UNBLOCK with the PUK', async () => {
    const tc = await issueTestCard({ pki });
    const c = tc.card;
    expect(send(c, 0x00, INS.VERIFY_PIN, 0, 0x81).sw).toBe(0x63c3);
    expect(verifyPin(c, '9999').sw).toBe(0x63c2);
    expect(verifyPin(c, '1234').sw).toBe(SW.OK);
    expect(send(c, 0x00, INS.VERIFY_PIN, 0, 0x81).sw).toBe(SW.OK);
    expect(send(c, 0x00, INS.VERIFY_PIN, 0, 0x81, new Uint8Array(8)).sw).toBe(SW.WRONG_DATA);
    expect(verifyPin(c, '0000').sw).toBe(0x63c2);
    expect(verifyPin(c, '0000').sw).toBe(0x63c1);
    expect(verifyPin(c, '0000').sw).toBe(0x63c0);
    expect(verifyPin(c, '1234').sw).toBe(SW.AUTH_METHOD_BLOCKED);
    expect(send(c, 0x00, INS.VERIFY_PIN, 0, 0x81).sw).toBe(SW.AUTH_METHOD_BLOCKED);
    const unblock = (puk: string, pin: string) =>
      send(
        c,
        0x00,
        INS.UNBLOCK_PIN,
        0,
        0x81,
        new Uint8Array([...encodePinBlock(puk, 'PUK'), ...encodePinBlock(pin)]),
      );
    expect(unblock('00000000', '5555').sw).toBe(0x63c9);
    expect(unblock('12345678', '5555').sw).toBe(SW.OK);
    expect(c.state.pukTries).toBe(10);
    expect(verifyPin(c, '5555').sw).toBe(SW.OK);
    const change = (o: Uint8Array, n: Uint8Array) =>
      send(c, 0x00, INS.CHANGE_PIN, 0, 0x81, new Uint8Array([...o, ...n]));
    expect(change(encodePinBlock('5555'), new Uint8Array(8)).sw).toBe(SW.WRONG_DATA);
    expect(c.state.pinTries).toBe(3);
    expect(change(encodePinBlock('1111'), encodePinBlock('2468')).sw).toBe(0x63c2);
    expect(change(encodePinBlock('5555'), encodePinBlock('24680')).sw).toBe(SW.OK);
    expect(verifyPin(c, '24680').sw).toBe(SW.OK);
  });

  it('ten wrong PUKs terminate the card', async () => {
    const tc = await issueTestCard({ pki });
    const c = tc.card;
    for (let i = 9; i >= 0; i--) {
      const a = send(
        c,
        0x00,
        INS.UNBLOCK_PIN,
        0,
        0x81,
        new Uint8Array([...encodePinBlock('87654321', 'PUK'), ...encodePinBlock('1111')]),
      );
      expect(a.sw).toBe(0x63c0 | i);
    }
    expect(c.state.lifeCycle).toBe(LifeCycle.TERMINATED);
    expect(send(c, 0x80, INS.READ_PURSE, 0, 0).sw).toBe(SW.CARD_TERMINATED);
    expect(select(c).sw).toBe(SW.SELECTED_FILE_TERMINATED);
  });
});

describe('READ IDENTITY, BLOCK CARD, GET LAST TRANSACTION', () => {
  it('reads the identity only with the PIN verified', async () => {
    const tc = await issueTestCard({ pki });
    const c = tc.card;
    const read = () => {
      const ch = send(c, 0x00, INS.GET_CHALLENGE, 0, 0).data;
      return send(
        c,
        0x80,
        INS.READ_IDENTITY,
        0,
        0,
        authData(
          term,
          INS.READ_IDENTITY,
          ch,
          tc.cardNumber,
          encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: NOW }),
        ),
      );
    };
    select(c);
    expect(read().sw).toBe(SW.PIN_REQUIRED);
    verifyPin(c, '1234');
    const a = read();
    expect(a.sw).toBe(SW.OK);
    expect(decodeIdentity(a.data)).toEqual(DEFAULT_IDENTITY);
    const none = await issueTestCard({ pki, identity: null });
    select(none.card);
    verifyPin(none.card, '1234');
    const ch = send(none.card, 0x00, INS.GET_CHALLENGE, 0, 0).data;
    expect(
      send(
        none.card,
        0x80,
        INS.READ_IDENTITY,
        0,
        0,
        authData(
          term,
          INS.READ_IDENTITY,
          ch,
          none.cardNumber,
          encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: NOW }),
        ),
      ).sw,
    ).toBe(SW.REFERENCED_DATA_NOT_FOUND);
  });

  it('blocks: SELECT answers 6283, payments 9F0B, recovery still works', async () => {
    const tc = await issueTestCard({ pki, balance: 5_000 });
    const c = tc.card;
    debit(c, term, tc.cardNumber, 100, 1);
    const block = () => {
      const { fci } = select(c);
      return send(
        c,
        0x80,
        INS.BLOCK_CARD,
        0,
        0,
        authData(
          term,
          INS.BLOCK_CARD,
          fci.challenge,
          tc.cardNumber,
          encodeBlockRequest({ reason: BlockReason.LOST_OR_STOLEN, terminalSeq: 50, time: NOW }),
        ),
      );
    };
    expect(block().sw).toBe(SW.OK);
    expect(c.state.lifeCycle).toBe(LifeCycle.BLOCKED);
    expect(c.state.counter).toBe(2);
    expect(select(c).sw).toBe(SW.SELECTED_FILE_DEACTIVATED);
    expect(send(c, 0x00, INS.GET_CHALLENGE, 0, 0).sw).toBe(SW.OK);
    expect(block().sw).toBe(SW.OK);
    expect(debit(c, term, tc.cardNumber, 100, 2).sw).toBe(SW.CARD_BLOCKED);
    expect(verifyPin(c, '1234').sw).toBe(SW.CARD_BLOCKED);
    const req = encodeRecoveryRequest({
      terminalId: 'T-1',
      terminalSeq: 1,
      terminalNonce: new Uint8Array(8).fill(3),
    });
    const rec = send(c, 0x80, INS.GET_LAST_TRANSACTION, 0, 0, req);
    expect(rec.sw).toBe(SW.OK);
    const parsed = decodeRecoveryResponse(rec.data);
    expect(parsed).toMatchObject({ found: true, counter: 2, balance: 4_900 });
    expect(parsed.record?.amount).toBe(100);
    expect(verifyRecoveryAttestation(tc.cardNumber, req, parsed, tc.cardPublicKey)).toBe(true);
    const miss = encodeRecoveryRequest({
      terminalId: 'T-1',
      terminalSeq: 2,
      terminalNonce: new Uint8Array(8),
    });
    expect(decodeRecoveryResponse(send(c, 0x80, INS.GET_LAST_TRANSACTION, 0, 0, miss).data).found).toBe(
      false,
    );
    expect(decodePurse(send(c, 0x80, INS.READ_PURSE, 0, 0).data).lifeCycle).toBe(LifeCycle.BLOCKED);
  });
});

describe('generic checks', () => {
  it('CLA, channel, INS, P1P2, Lc, life cycle in that order', async () => {
    const tc = await issueTestCard({ pki });
    const c = tc.card;
    expect(send(c, 0x90, INS.READ_PURSE, 0, 0).sw).toBe(SW.CHAINING_NOT_SUPPORTED);
    expect(send(c, 0xa0, INS.READ_PURSE, 0, 0).sw).toBe(SW.CLA_NOT_SUPPORTED);
    expect(send(c, 0x84, INS.READ_PURSE, 0, 0).sw).toBe(SW.CLA_NOT_SUPPORTED);
    expect(send(c, 0x81, INS.READ_PURSE, 0, 0).sw).toBe(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    expect(send(c, 0x41, 0xff, 0, 0).sw).toBe(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    expect(send(c, 0x80, 0xff, 0, 0).sw).toBe(SW.INS_NOT_SUPPORTED);
    expect(send(c, 0x00, INS.READ_PURSE, 0, 0).sw).toBe(SW.INS_NOT_SUPPORTED);
    expect(send(c, 0x80, INS.READ_PURSE, 1, 0).sw).toBe(SW.WRONG_P1P2);
    expect(send(c, 0x80, INS.READ_PURSE, 0, 0, new Uint8Array(1)).sw).toBe(SW.WRONG_LENGTH);
    expect(send(c, 0x00, INS.READ_RECORD, 17, 4).sw).toBe(SW.WRONG_P1P2);
    expect(send(c, 0x00, INS.READ_RECORD, 1, 5).sw).toBe(SW.WRONG_P1P2);
    expect(send(c, 0x80, INS.FINALIZE, 0, 0).sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(send(c, 0x00, INS.SELECT, 4, 0, new Uint8Array(11)).sw).toBe(SW.APPLET_NOT_FOUND);
    expect(send(c, 0x00, INS.SELECT, 4, 1, AID).sw).toBe(SW.WRONG_P1P2);
    expect(send(c, 0x00, INS.VERIFY_PIN, 0, 0x81, new Uint8Array(5)).sw).toBe(SW.WRONG_LENGTH);
    for (const bad of [[], [0x80], [0x80, 0x50, 0], [0x80, 0x50, 0, 0, 5, 1]]) {
      expect(c.transmit(new Uint8Array(bad))).toEqual(new Uint8Array([0x67, 0x00]));
    }
  });

  it('ISO chaining: segments buffer, a foreign command aborts with 6883, non-chainable 6884, > 512 bytes 6884', async () => {
    const tc = await issueTestCard({ pki, balance: 1_000 });
    const c = tc.card;
    expect(send(c, 0x10, INS.VERIFY_PIN, 0, 0x81, encodePinBlock('1234')).sw).toBe(SW.CHAINING_NOT_SUPPORTED);
    expect(send(c, 0x90, INS.DEBIT, 0, 0, new Uint8Array(200)).sw).toBe(SW.OK);
    expect(send(c, 0x80, INS.READ_PURSE, 0, 0).sw).toBe(SW.LAST_COMMAND_OF_CHAIN_EXPECTED);
    expect(send(c, 0x80, INS.READ_PURSE, 0, 0).sw).toBe(SW.OK);
    expect(send(c, 0x90, INS.DEBIT, 0, 0, new Uint8Array(255)).sw).toBe(SW.OK);
    expect(send(c, 0x90, INS.DEBIT, 0, 0, new Uint8Array(255)).sw).toBe(SW.OK);
    expect(send(c, 0x90, INS.DEBIT, 0, 0, new Uint8Array(3)).sw).toBe(SW.CHAINING_NOT_SUPPORTED);
    // a chained DEBIT with a valid envelope works (helpers chain 267 bytes as 255 + 12)
    expect(debit(c, term, tc.cardNumber, 10, 1).sw).toBe(SW.OK);
    // removal clears the chain buffer
    send(c, 0x90, INS.DEBIT, 0, 0, new Uint8Array(200));
    c.powerOff();
    expect(send(c, 0x80, INS.DEBIT, 0, 0, new Uint8Array(267)).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);
  });

  it('personalization commands only in PERSONALIZATION, payments not before FINALIZE', async () => {
    const blank = SimulatedCard.create();
    expect(select(blank).sw).toBe(SW.OK);
    expect(select(blank).fci.cardNumber).toBeUndefined();
    expect(send(blank, 0x80, INS.READ_PURSE, 0, 0).sw).toBe(SW.OK);
    expect(send(blank, 0x80, INS.DEBIT, 0, 0, new Uint8Array(267)).sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(send(blank, 0x00, INS.VERIFY_PIN, 0, 0x81).sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(send(blank, 0x00, INS.GET_DATA, 0x7f, 0x21).sw).toBe(SW.REFERENCED_DATA_NOT_FOUND);
    expect(send(blank, 0x80, INS.STORE_DATA, 7, 0, new Uint8Array(165)).sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(send(blank, 0x80, INS.STORE_DATA, 8, 0, new Uint8Array(1)).sw).toBe(SW.WRONG_P1P2);
    expect(send(blank, 0x80, INS.STORE_DATA, 1, 1, new Uint8Array(8)).sw).toBe(SW.WRONG_P1P2);
    expect(send(blank, 0x80, INS.STORE_DATA, 1, 0, new Uint8Array(7)).sw).toBe(SW.WRONG_LENGTH);
    expect(send(blank, 0x80, INS.STORE_DATA, 1, 0, new Uint8Array(8).fill(0x11)).sw).toBe(SW.WRONG_DATA);
    expect(
      send(blank, 0x80, INS.STORE_DATA, 3, 0, new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0])).sw,
    ).toBe(SW.WRONG_DATA);
    expect(send(blank, 0x80, INS.STORE_DATA, 5, 0, encodePinBlock('1234')).sw).toBe(SW.WRONG_DATA);
    expect(send(blank, 0x80, INS.STORE_DATA, 2, 0, new Uint8Array([0xe1, 0])).sw).toBe(SW.WRONG_DATA);
    const tc = await issueTestCard({ pki });
    expect(send(tc.card, 0x80, INS.STORE_DATA, 4, 0, encodePinBlock('1234')).sw).toBe(
      SW.CONDITIONS_NOT_SATISFIED,
    );
    expect(send(tc.card, 0x80, INS.GENERATE_KEY_PAIR, 0, 0).sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
  });
});
