import {
  bytesEqual,
  Capability,
  Cvm,
  concatBytes,
  type DebitRequest,
  decodeBlockRequest,
  decodeDebitRequest,
  decodeGetTransactionRequest,
  decodeLoadAuthorization,
  decodeTransactionRecord,
  decodeUndebitRequest,
  encodeCardNumber,
  encodeGetTransactionResponseBody,
  encodeTransactionRecord,
  encodeValueResponse,
  type InsName,
  KeyUsage,
  LifeCycle,
  Limits,
  loadAuthorizationSigningMessage,
  Outcome,
  type OutcomeCode,
  recoveryAttestationMessage,
  Size,
  SW,
  signMessage,
  type TransactionRecord,
  TransactionStatus,
  TxType,
  transactionSigningMessage,
  type UndebitRequest,
  verifyMessage,
} from '@huduma/card-applet-spec';
import { type AppletContext, type Reply, reply } from './context';
import { type CardState, cloneCardState } from './state';

const MAX_U32 = 0xffffffff;

/**
 * Value commands and their records (§6.8–6.12, §6.14): DEBIT, UNDEBIT (session, outcome bodies),
 * RELOAD, READ RECORD, GET TRANSACTION (plain), BLOCK CARD (session). Undefined for others.
 */
export function runValueCommand(
  a: AppletContext,
  name: InsName,
  p1: number,
  _p2: number,
  data: Uint8Array,
): Reply | undefined {
  switch (name) {
    case 'DEBIT':
      return debit(a, data);
    case 'UNDEBIT':
      return undebit(a, data);
    case 'RELOAD':
      return reload(a, data);
    case 'READ_RECORD': {
      const entry = a.state.ring[p1 - 1];
      return entry ? reply(SW.OK, entry.slice()) : reply(SW.RECORD_NOT_FOUND);
    }
    case 'GET_TRANSACTION':
      return getTransaction(a, data);
    case 'BLOCK_CARD':
      return blockCard(a, data);
    default:
      return undefined;
  }
}

/** The terminal this session was opened with (§4.5). */
function registration(a: AppletContext): { terminalId: string; capabilities: number } {
  return a.session.terminal!;
}

function outcome(a: AppletContext, o: OutcomeCode, reason: number, proofBytes?: Uint8Array): Reply {
  return reply(
    SW.OK,
    encodeValueResponse({
      outcome: o,
      reason,
      counter: a.state.counter,
      syncedThrough: a.state.syncedThrough,
      ...(proofBytes ? { proofBytes } : {}),
    }),
  );
}

const refused = (a: AppletContext, sw: number) => outcome(a, Outcome.REFUSED, sw);

/** The ring entry whose record names (terminalId, terminalSeq), if any. */
function findBySeq(s: CardState, terminalId: string, terminalSeq: number) {
  for (const entry of s.ring) {
    const rec = decodeTransactionRecord(entry.subarray(0, Size.TRANSACTION_RECORD));
    if (rec.terminalId === terminalId && rec.terminalSeq === terminalSeq) return { entry, rec };
  }
  return undefined;
}

/**
 * Signs the record (before the transaction, so a committed record always has its proof), then
 * writes counter, purse and ring in one transaction (§10.3). Tear points T1 (signed, nothing
 * written), T2 (before the write) and T3 (after the commit) are named after §10.3.
 */
function commitTransaction(
  a: AppletContext,
  next: CardState,
  rec: TransactionRecord,
  what: string,
): Uint8Array {
  const recordBytes = encodeTransactionRecord(rec);
  a.info.signs++;
  const signature = signMessage(
    a.state.signingKey!,
    transactionSigningMessage(encodeCardNumber(a.state.cardNumber!), recordBytes),
  );
  a.tear(`${what}:signed`);
  const entry = concatBytes(recordBytes, signature);
  // The oldest entry leaves the ring only when it is synced (§2.12): the retention check made sure.
  const oldest = next.ring[Limits.RING_SIZE - 1];
  if (next.ring.length >= Limits.RING_SIZE && oldest) {
    const oldCounter = decodeTransactionRecord(oldest.subarray(0, Size.TRANSACTION_RECORD)).counter;
    if (oldCounter > next.syncedThrough) throw new Error('would overwrite an unsynced record');
  }
  next.ring = [entry, ...next.ring].slice(0, Limits.RING_SIZE);
  a.persist(next, what);
  return entry;
}

/** §6.8. */
function debit(a: AppletContext, body: Uint8Array): Reply {
  const reg = registration(a);
  if ((reg.capabilities & Capability.DEBIT) === 0) return refused(a, SW.CAPABILITY_MISSING); // 1
  let req: DebitRequest;
  try {
    req = decodeDebitRequest(body);
  } catch {
    return refused(a, SW.WRONG_DATA); // 2
  }
  if (req.amount === 0) return refused(a, SW.WRONG_DATA);
  const s = a.state;
  const seen = findBySeq(s, reg.terminalId, req.terminalSeq); // 3
  if (seen) {
    const r = seen.rec;
    const same =
      r.type === TxType.DEBIT &&
      r.counter === req.expectedCounter + 1 &&
      r.amount === req.amount &&
      r.currency === req.currency &&
      r.billRef === req.billRef &&
      r.serviceCode === req.serviceCode;
    return same
      ? outcome(a, Outcome.ALREADY_APPLIED, SW.OK, seen.entry.slice())
      : refused(a, SW.SEQUENCE_REUSED);
  }
  if (s.counter !== req.expectedCounter) return outcome(a, Outcome.STALE, SW.STALE_COUNTER); // 4
  if (s.counter === MAX_U32) return refused(a, SW.COUNTER_EXHAUSTED); // 5
  if (s.counter - s.syncedThrough >= Limits.RING_SIZE) return refused(a, SW.SYNC_REQUIRED); // 6
  if (req.currency !== s.currency) return refused(a, SW.CURRENCY_MISMATCH); // 7
  if (s.balance < req.amount) return refused(a, SW.INSUFFICIENT_FUNDS); // 8
  if (s.offlineSpend + req.amount > s.offlineLimit) return refused(a, SW.OFFLINE_LIMIT_EXCEEDED); // 9 (no wrap: JS numbers)
  const token = a.session.cvmToken;
  if (!token && (req.amount > s.cvmLimit || s.noCvmSpend + req.amount > s.noCvmLimit)) {
    return refused(a, SW.CVM_REQUIRED); // 10
  }
  a.tear('debit:checked'); // T0
  const next = cloneCardState(s);
  next.counter += 1;
  next.balance -= req.amount;
  next.offlineSpend += req.amount;
  if (!token) next.noCvmSpend += req.amount;
  const rec: TransactionRecord = {
    type: TxType.DEBIT,
    counter: next.counter,
    amount: req.amount,
    currency: req.currency,
    balanceAfter: next.balance,
    offlineSpendAfter: next.offlineSpend,
    terminalId: reg.terminalId,
    terminalSeq: req.terminalSeq,
    terminalNonce: req.terminalNonce,
    time: req.time,
    billRef: req.billRef,
    serviceCode: req.serviceCode,
    refCounter: 0,
    cvm: token ? Cvm.PIN : Cvm.NONE,
  };
  const entry = commitTransaction(a, next, rec, 'debit');
  if (token) a.session.cvmToken = false; // consumed by the executed command only (§2.11)
  a.tear('debit:committed'); // T4 (the response is built next)
  return outcome(a, Outcome.EXECUTED, SW.OK, entry);
}

/** §6.9. */
function undebit(a: AppletContext, body: Uint8Array): Reply {
  const reg = registration(a);
  if ((reg.capabilities & Capability.UNDEBIT) === 0) return refused(a, SW.CAPABILITY_MISSING); // 1
  let req: UndebitRequest;
  try {
    req = decodeUndebitRequest(body);
  } catch {
    return refused(a, SW.WRONG_DATA);
  }
  if (req.amount === 0) return refused(a, SW.WRONG_DATA); // 2
  const s = a.state;
  const seen = findBySeq(s, reg.terminalId, req.terminalSeq); // 3
  if (seen) {
    const r = seen.rec;
    const same =
      r.type === TxType.UNDEBIT &&
      r.refCounter === req.refCounter &&
      r.amount === req.amount &&
      r.currency === req.currency;
    return same
      ? outcome(a, Outcome.ALREADY_APPLIED, SW.OK, seen.entry.slice())
      : refused(a, SW.SEQUENCE_REUSED);
  }
  if (s.counter !== req.refCounter) return outcome(a, Outcome.STALE, SW.STALE_COUNTER); // 4
  const newest = s.ring[0];
  const last = newest ? decodeTransactionRecord(newest.subarray(0, Size.TRANSACTION_RECORD)) : undefined;
  const ok =
    last !== undefined &&
    last.type === TxType.DEBIT &&
    last.counter === req.refCounter &&
    last.terminalId === reg.terminalId &&
    last.amount === req.amount &&
    last.currency === req.currency &&
    req.time >= last.time &&
    req.time - last.time <= Limits.UNDEBIT_WINDOW_SECONDS;
  if (!ok || !last) return refused(a, SW.UNDEBIT_REFUSED); // 5
  if (s.counter === MAX_U32) return refused(a, SW.COUNTER_EXHAUSTED); // 6
  if (s.counter - s.syncedThrough >= Limits.RING_SIZE) return refused(a, SW.SYNC_REQUIRED); // 7
  a.tear('undebit:checked');
  const next = cloneCardState(s);
  next.counter += 1;
  next.balance = Math.min(next.balance + req.amount, next.maxBalance);
  next.offlineSpend = Math.max(0, next.offlineSpend - req.amount);
  if (last.cvm === Cvm.NONE) next.noCvmSpend = Math.max(0, next.noCvmSpend - req.amount);
  const rec: TransactionRecord = {
    type: TxType.UNDEBIT,
    counter: next.counter,
    amount: req.amount,
    currency: last.currency,
    balanceAfter: next.balance,
    offlineSpendAfter: next.offlineSpend,
    terminalId: reg.terminalId,
    terminalSeq: req.terminalSeq,
    terminalNonce: req.terminalNonce,
    time: req.time,
    billRef: last.billRef,
    serviceCode: last.serviceCode,
    refCounter: req.refCounter,
    cvm: Cvm.NONE,
  };
  const entry = commitTransaction(a, next, rec, 'undebit');
  if (a.session.cvmToken) a.session.cvmToken = false;
  a.tear('undebit:committed');
  return outcome(a, Outcome.EXECUTED, SW.OK, entry);
}

/** §6.10 (plain status words). Offsets are those of the 146-byte authorization. */
function reload(a: AppletContext, auth: Uint8Array): Reply {
  const challenge = a.transient.challenge;
  if (!challenge) return reply(SW.SECURITY_STATUS_NOT_SATISFIED); // 1
  a.transient.challenge = undefined; // consumed from here on, whatever the outcome
  const s = a.state;
  const keyId = auth.subarray(0, 8);
  const key = s.trustedKeys.find((k) => k.usage === KeyUsage.LOAD_AUTHORITY && bytesEqual(k.keyId, keyId));
  if (!key) return reply(SW.REFERENCED_DATA_NOT_FOUND); // 2
  a.info.verifies++;
  const tbs = auth.subarray(0, Size.LOAD_AUTHORIZATION_TBS);
  if (
    !verifyMessage(
      key.publicKey,
      loadAuthorizationSigningMessage(tbs),
      auth.subarray(Size.LOAD_AUTHORIZATION_TBS),
    )
  ) {
    return reply(SW.LOAD_AUTH_INVALID); // 3
  }
  const counter = new DataView(auth.buffer, auth.byteOffset).getUint32(16);
  if (
    !bytesEqual(auth.subarray(8, 16), encodeCardNumber(s.cardNumber!)) ||
    counter !== s.counter ||
    !bytesEqual(auth.subarray(20, 36), challenge)
  ) {
    return reply(SW.LOAD_AUTH_INVALID); // 4
  }
  let la: ReturnType<typeof decodeLoadAuthorization>;
  try {
    la = decodeLoadAuthorization(auth);
  } catch {
    return reply(SW.WRONG_DATA); // signed but malformed: an issuer bug
  }
  if (la.currency !== s.currency) return reply(SW.CURRENCY_MISMATCH); // 5
  if (s.counter === MAX_U32) return reply(SW.COUNTER_EXHAUSTED); // 6
  if (s.balance + la.amount > s.maxBalance) return reply(SW.MAX_BALANCE_EXCEEDED); // 7 (33-bit safe in JS)
  a.tear('reload:checked');
  const next = cloneCardState(s);
  next.counter += 1;
  next.balance += la.amount;
  next.offlineSpend = 0;
  next.syncedThrough = next.counter;
  next.lastTrustedTime = Math.max(next.lastTrustedTime, la.time);
  const rec: TransactionRecord = {
    type: TxType.RELOAD,
    counter: next.counter,
    amount: la.amount,
    currency: la.currency,
    balanceAfter: next.balance,
    offlineSpendAfter: 0,
    terminalId: la.terminalId,
    terminalSeq: la.terminalSeq,
    terminalNonce: la.terminalNonce,
    time: la.time,
    billRef: la.loadRef,
    serviceCode: 0,
    refCounter: 0,
    cvm: Cvm.NONE,
  };
  const entry = commitTransaction(a, next, rec, 'reload');
  return reply(SW.OK, entry);
}

/** §6.12: FOUND / NOT_EXECUTED / SYNCED, attested with the asking terminal's nonce. */
function getTransaction(a: AppletContext, request: Uint8Array): Reply {
  const req = decodeGetTransactionRequest(request);
  if (req.counter === 0) return reply(SW.WRONG_DATA);
  const s = a.state;
  const entry = s.ring.find(
    (e) => decodeTransactionRecord(e.subarray(0, Size.TRANSACTION_RECORD)).counter === req.counter,
  );
  let status: (typeof TransactionStatus)[keyof typeof TransactionStatus];
  if (req.counter > s.counter) status = TransactionStatus.NOT_EXECUTED;
  else if (entry) status = TransactionStatus.FOUND;
  else if (req.counter <= s.syncedThrough) status = TransactionStatus.SYNCED;
  else throw new Error(`record ${req.counter} is neither in the ring nor synced`); // §2.12 violated
  const body = encodeGetTransactionResponseBody({
    status,
    counter: s.counter,
    syncedThrough: s.syncedThrough,
    balance: s.balance,
    ...(entry
      ? {
          recordBytes: entry.subarray(0, Size.TRANSACTION_RECORD),
          recordSignature: entry.subarray(Size.TRANSACTION_RECORD),
        }
      : {}),
  });
  a.info.signs++;
  const attestation = signMessage(
    s.signingKey!,
    recoveryAttestationMessage(encodeCardNumber(s.cardNumber!), request, body),
  );
  return reply(SW.OK, concatBytes(body, attestation));
}

/** §6.14. */
function blockCard(a: AppletContext, body: Uint8Array): Reply {
  if ((registration(a).capabilities & Capability.BLOCK) === 0) return reply(SW.CAPABILITY_MISSING);
  decodeBlockRequest(body); // the reason is informative; the length was checked by Lc
  if (a.state.lifeCycle === LifeCycle.BLOCKED) return reply(SW.OK);
  const next = cloneCardState(a.state);
  next.lifeCycle = LifeCycle.BLOCKED;
  a.persist(next, 'block');
  return reply(SW.OK);
}
