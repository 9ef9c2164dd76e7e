import { ByteReader, concatBytes, u32 } from './bytes';
import { type CardNumber, encodeCardNumber } from './card-number';
import { DomainTag, Size } from './constants';
import { domainTag, signMessage } from './crypto';
import { SpecCodecError } from './errors';
import { decodeBillRef, encodeBillRef } from './ids';

/**
 * Terminal-authenticated commands (DEBIT, UNDEBIT, READ IDENTITY, BLOCK CARD) carry
 * (SPEC.md §4.3):
 *
 *   data = terminal certificate (165) ‖ body (command-specific) ‖ terminal signature (64)
 *
 * and the terminal signs
 *
 *   "HUDUMA-AUTH-v1"(16) ‖ INS ‖ P1 ‖ P2 ‖ card challenge (16) ‖ card number (8) ‖ body
 *
 * so a signature is bound to one command, one card and one fresh challenge.
 */
export interface AuthenticatedCommand {
  certificate: Uint8Array;
  body: Uint8Array;
  signature: Uint8Array;
}

export function terminalAuthMessage(
  ins: number,
  p1: number,
  p2: number,
  cardChallenge: Uint8Array,
  cardNumber: CardNumber | Uint8Array,
  body: Uint8Array,
): Uint8Array {
  if (cardChallenge.length !== Size.CHALLENGE)
    throw new SpecCodecError('ERR_CHALLENGE', 'card challenge must be 16 bytes');
  const cn = typeof cardNumber === 'string' ? encodeCardNumber(cardNumber) : cardNumber;
  return concatBytes(
    domainTag(DomainTag.TERMINAL_AUTH),
    new Uint8Array([ins, p1, p2]),
    cardChallenge,
    cn,
    body,
  );
}

export function encodeAuthenticatedCommand(cmd: AuthenticatedCommand): Uint8Array {
  if (cmd.certificate.length !== Size.CERTIFICATE)
    throw new SpecCodecError('ERR_CERT', 'certificate must be 165 bytes');
  if (cmd.signature.length !== Size.SIGNATURE)
    throw new SpecCodecError('ERR_SIGNATURE', 'signature must be 64 bytes');
  return concatBytes(cmd.certificate, cmd.body, cmd.signature);
}

/** Splits command data into certificate, body and signature; the body must be `bodySize` bytes. */
export function decodeAuthenticatedCommand(data: Uint8Array, bodySize: number): AuthenticatedCommand {
  const expected = Size.CERTIFICATE + bodySize + Size.SIGNATURE;
  if (data.length !== expected) {
    throw new SpecCodecError(
      'ERR_LENGTH',
      `authenticated command data must be ${expected} bytes, got ${data.length}`,
    );
  }
  return {
    certificate: data.subarray(0, Size.CERTIFICATE),
    body: data.subarray(Size.CERTIFICATE, Size.CERTIFICATE + bodySize),
    signature: data.subarray(Size.CERTIFICATE + bodySize),
  };
}

/** Builds and signs an authenticated command's data field (terminal side). */
export function signAuthenticatedCommand(args: {
  ins: number;
  p1?: number;
  p2?: number;
  cardChallenge: Uint8Array;
  cardNumber: CardNumber;
  body: Uint8Array;
  certificate: Uint8Array;
  terminalPrivateKey: Uint8Array;
}): Uint8Array {
  const message = terminalAuthMessage(
    args.ins,
    args.p1 ?? 0,
    args.p2 ?? 0,
    args.cardChallenge,
    args.cardNumber,
    args.body,
  );
  const signature = signMessage(args.terminalPrivateKey, message);
  return encodeAuthenticatedCommand({ certificate: args.certificate, body: args.body, signature });
}

/** DEBIT body, 38 bytes: amount 4 ‖ terminal seq 4 ‖ terminal nonce 8 ‖ time 4 ‖ bill ref 16 ‖ service code 2. */
export interface DebitRequest {
  amount: number;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  time: number;
  billRef: string;
  serviceCode: number;
}

export function encodeDebitRequest(req: DebitRequest): Uint8Array {
  if (req.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  if (!Number.isInteger(req.serviceCode) || req.serviceCode < 0 || req.serviceCode > 0xffff) {
    throw new SpecCodecError('ERR_RANGE', 'service code must be 0..65535');
  }
  return concatBytes(
    u32(req.amount),
    u32(req.terminalSeq),
    req.terminalNonce,
    u32(req.time),
    encodeBillRef(req.billRef),
    new Uint8Array([req.serviceCode >> 8, req.serviceCode & 0xff]),
  );
}

export function decodeDebitRequest(body: Uint8Array): DebitRequest {
  const r = new ByteReader(body, 'debit request');
  const req: DebitRequest = {
    amount: r.u32('amount'),
    terminalSeq: r.u32('terminalSeq'),
    terminalNonce: r.take(8, 'terminalNonce').slice(),
    time: r.u32('time'),
    billRef: decodeBillRef(r.take(16, 'billRef'), 20),
    serviceCode: r.u16('serviceCode'),
  };
  r.end();
  return req;
}

/** UNDEBIT body, 24 bytes: cancelled counter 4 ‖ amount 4 ‖ terminal seq 4 ‖ terminal nonce 8 ‖ time 4. */
export interface UndebitRequest {
  refCounter: number;
  amount: number;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  time: number;
}

export function encodeUndebitRequest(req: UndebitRequest): Uint8Array {
  if (req.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  return concatBytes(
    u32(req.refCounter),
    u32(req.amount),
    u32(req.terminalSeq),
    req.terminalNonce,
    u32(req.time),
  );
}

export function decodeUndebitRequest(body: Uint8Array): UndebitRequest {
  const r = new ByteReader(body, 'undebit request');
  const req: UndebitRequest = {
    refCounter: r.u32('refCounter'),
    amount: r.u32('amount'),
    terminalSeq: r.u32('terminalSeq'),
    terminalNonce: r.take(8, 'terminalNonce').slice(),
    time: r.u32('time'),
  };
  r.end();
  return req;
}

/** READ IDENTITY body, 12 bytes: terminal nonce 8 ‖ time 4. */
export interface IdentityReadRequest {
  terminalNonce: Uint8Array;
  time: number;
}

export function encodeIdentityReadRequest(req: IdentityReadRequest): Uint8Array {
  if (req.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  return concatBytes(req.terminalNonce, u32(req.time));
}

export function decodeIdentityReadRequest(body: Uint8Array): IdentityReadRequest {
  const r = new ByteReader(body, 'identity read request');
  const req = { terminalNonce: r.take(8, 'terminalNonce').slice(), time: r.u32('time') };
  r.end();
  return req;
}

/** BLOCK CARD body, 9 bytes: reason 1 ‖ terminal seq 4 ‖ time 4. */
export interface BlockRequest {
  reason: number;
  terminalSeq: number;
  time: number;
}

export function encodeBlockRequest(req: BlockRequest): Uint8Array {
  return concatBytes(new Uint8Array([req.reason & 0xff]), u32(req.terminalSeq), u32(req.time));
}

export function decodeBlockRequest(body: Uint8Array): BlockRequest {
  const r = new ByteReader(body, 'block request');
  const req = { reason: r.u8('reason'), terminalSeq: r.u32('terminalSeq'), time: r.u32('time') };
  r.end();
  return req;
}
