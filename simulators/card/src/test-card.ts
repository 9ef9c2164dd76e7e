import { transceive } from '@huduma/apdu';
import {
  AID,
  cardNumberFromAccount,
  decodeSelectResponse,
  type HolderIdentity,
  IdentityType,
  INS,
  type PurseParameters,
} from '@huduma/card-applet-spec';
import type { DevPki } from '@huduma/pki';
// Imported by path, not through @huduma/sdk's index, so the simulator does not pull in the whole SDK.
import { personalizeCard } from '@huduma/sdk';
import { SimulatedReader, type SimulatedReaderOptions } from './reader';
import { SimulatedCard, type SimulatedCardOptions } from './simulated-card';

export const DEFAULT_PURSE: PurseParameters = {
  maxBalance: 10_000_000, // KES 100,000.00
  offlineLimit: 500_000, // KES 5,000.00
  cvmLimit: 100_000, // KES 1,000.00
};

export const DEFAULT_IDENTITY: HolderIdentity = {
  idType: IdentityType.CITIZEN_NATIONAL_ID,
  hudumaNamba: 'HN0012345678',
  idNumber: '12345678',
  name: 'Wanjiku Test',
};

function randomCardNumber(): string {
  const digits = crypto.getRandomValues(new Uint8Array(11));
  return cardNumberFromAccount(Array.from(digits, (d) => String(d % 10)).join(''));
}

export interface IssueTestCardOptions {
  pki: DevPki;
  /** Initial balance in cents, loaded with a RELOAD signed by the PKI's load authority (default 0: no reload). */
  balance?: number;
  cardNumber?: string;
  pin?: string;
  puk?: string;
  /** Holder identity; `null` stores none. */
  identity?: HolderIdentity | null;
  purse?: PurseParameters;
  /** Card file; in memory when absent. */
  path?: string;
  cardOptions?: SimulatedCardOptions;
  readerOptions?: SimulatedReaderOptions;
  /** Issuer time of the initial load (default now). */
  loadTime?: number;
}

export interface TestCard {
  card: SimulatedCard;
  reader: SimulatedReader;
  cardNumber: string;
  pin: string;
  puk: string;
  cardPublicKey: Uint8Array;
  certificate: Uint8Array;
}

/**
 * A personalized, ACTIVE card in a reader, in one call: personalizes through personalizeCard with
 * the PKI's issuer CA and trusted keys, then loads `balance` with a RELOAD signed by the load authority.
 */
export async function issueTestCard(opts: IssueTestCardOptions): Promise<TestCard> {
  const cardNumber = opts.cardNumber ?? randomCardNumber();
  const pin = opts.pin ?? '1234';
  const puk = opts.puk ?? '12345678';
  const card = SimulatedCard.create(opts.path, opts.cardOptions);
  const reader = new SimulatedReader(opts.readerOptions);
  reader.insert(card);
  const identity = opts.identity === undefined ? DEFAULT_IDENTITY : opts.identity;
  const { cardPublicKey, certificate } = await personalizeCard(reader, {
    cardNumber,
    ...(identity === null ? {} : { identity }),
    purse: opts.purse ?? DEFAULT_PURSE,
    pin,
    puk,
    trustedKeys: opts.pki.trustedKeysForCard(),
    issueCertificate: (publicKey, number) => opts.pki.issueCardCertificate({ cardNumber: number, publicKey }),
  });
  if (opts.balance !== undefined && opts.balance > 0) {
    await loadBalance(reader, opts.pki, cardNumber, opts.balance, opts.loadTime);
  }
  return { card, reader, cardNumber, pin, puk, cardPublicKey, certificate };
}

/** SELECT + RELOAD with a load authorization from `pki` (the dev stand-in for the clearing service). */
export async function loadBalance(
  reader: SimulatedReader,
  pki: DevPki,
  cardNumber: string,
  amount: number,
  time = Math.floor(Date.now() / 1000),
  terminalSeq = 1,
): Promise<Uint8Array> {
  const sel = await transceive(reader, {
    cla: 0x00,
    ins: INS.SELECT,
    p1: 0x04,
    p2: 0x00,
    data: AID,
    le: 256,
  });
  if (sel.sw !== 0x9000) throw new Error(`SELECT answered ${sel.sw.toString(16)}`);
  const fci = decodeSelectResponse(sel.data);
  const auth = await pki.authorizeLoad({
    cardNumber,
    cardCounter: fci.purse.counter,
    cardChallenge: fci.challenge,
    amount,
    time,
    terminalId: 'ISSUER',
    terminalSeq,
    terminalNonce: crypto.getRandomValues(new Uint8Array(8)),
    loadRef: 'DEV-LOAD',
  });
  const res = await transceive(reader, { cla: 0x80, ins: INS.RELOAD, p1: 0, p2: 0, data: auth, le: 256 });
  if (res.sw !== 0x9000) throw new Error(`RELOAD answered ${res.sw.toString(16)}`);
  return res.data;
}
