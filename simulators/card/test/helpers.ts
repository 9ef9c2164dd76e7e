import { chainCommand, decodeResponse, encodeCommand } from '@huduma/apdu';
import {
  AID,
  decodeSelectResponse,
  encodeDebitRequest,
  encodePinBlock,
  encodeUndebitRequest,
  INS,
  type SelectResponse,
  signAuthenticatedCommand,
} from '@huduma/card-applet-spec';
import type { DevPki, IssuedTerminal } from '@huduma/pki';
import type { SimulatedCard } from '../src/index';

export interface Answer {
  sw: number;
  data: Uint8Array;
}

/** Sends a command to the card directly (synchronously), chaining data longer than 255 bytes. */
export function send(
  card: SimulatedCard,
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data?: Uint8Array,
): Answer {
  const cmd = { cla, ins, p1, p2, ...(data && data.length > 0 ? { data } : {}) };
  let last: Answer = { sw: 0, data: new Uint8Array() };
  for (const part of chainCommand(cmd)) {
    const res = decodeResponse(card.transmit(encodeCommand(part)));
    last = { sw: res.sw, data: res.data };
    if (res.sw !== 0x9000) return last;
  }
  return last;
}

export function select(card: SimulatedCard): Answer & { fci: SelectResponse } {
  const a = send(card, 0x00, INS.SELECT, 0x04, 0x00, AID);
  return { ...a, fci: decodeSelectResponse(a.data) };
}

export const verifyPin = (card: SimulatedCard, pin: string) =>
  send(card, 0x00, INS.VERIFY_PIN, 0x00, 0x81, encodePinBlock(pin));

export interface TestTerminal extends IssuedTerminal {
  terminalId: string;
  seq: number;
}

export async function terminal(
  pki: DevPki,
  terminalId = 'T-1',
  caps = 0x1f,
  notAfter?: number,
): Promise<TestTerminal> {
  const t = await pki.issueTerminal({
    terminalId,
    merchantId: 'M-1',
    capabilities: caps,
    ...(notAfter === undefined ? {} : { notBefore: notAfter - 10, notAfter }),
  });
  return { ...t, terminalId, seq: 0 };
}

export function authData(
  t: TestTerminal,
  ins: number,
  challenge: Uint8Array,
  cardNumber: string,
  body: Uint8Array,
): Uint8Array {
  return signAuthenticatedCommand({
    ins,
    cardChallenge: challenge,
    cardNumber,
    body,
    certificate: t.certificate,
    terminalPrivateKey: t.privateKey,
  });
}

export const NOW = 1_750_000_000;

export function debitBody(
  amount: number,
  seq: number,
  extra: { billRef?: string; serviceCode?: number; time?: number } = {},
) {
  return encodeDebitRequest({
    amount,
    terminalSeq: seq,
    terminalNonce: new Uint8Array(8).fill(seq & 0xff),
    time: extra.time ?? NOW,
    billRef: extra.billRef ?? `BILL-${seq}`,
    serviceCode: extra.serviceCode ?? 7,
  });
}

export function undebitBody(refCounter: number, amount: number, seq: number, time = NOW + 60) {
  return encodeUndebitRequest({
    refCounter,
    amount,
    terminalSeq: seq,
    terminalNonce: new Uint8Array(8),
    time,
  });
}

/** SELECT then a terminal-authenticated DEBIT. */
export function debit(
  card: SimulatedCard,
  t: TestTerminal,
  cardNumber: string,
  amount: number,
  seq: number,
  extra = {},
) {
  const { fci } = select(card);
  return send(
    card,
    0x80,
    INS.DEBIT,
    0,
    0,
    authData(t, INS.DEBIT, fci.challenge, cardNumber, debitBody(amount, seq, extra)),
  );
}
