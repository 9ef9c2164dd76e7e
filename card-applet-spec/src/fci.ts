import { bytesEqual, concatBytes } from './bytes';
import { type CardNumber, decodeCardNumber, encodeCardNumber } from './card-number';
import { AID, type CryptoProfileCode, LifeCycle, type LifeCycleState, Size, Tag } from './constants';
import { SpecCodecError } from './errors';
import { decodePurse, encodePurse, type Purse } from './purse';
import { parseSimpleTlv, tlv } from './simple-tlv';

/**
 * SELECT response (SPEC.md §6.1), 96 bytes:
 *
 *   6F 5E { 84 0B AID, A5 4F { C0 01 version, C1 01 life cycle, C2 08 card number,
 *                               C3 10 RND.C, C4 28 purse, C5 01 crypto profile } }
 *
 * The FCI carries the challenge and the purse (whose counter is the DEBIT's expectedCounter), so
 * SELECT + OPEN SESSION + DEBIT is the whole cached tap. Before personalization sets a card
 * number, C2 holds eight zero bytes.
 */
export interface SelectResponse {
  version: number;
  lifeCycle: LifeCycleState;
  /** Undefined while the card is in personalization and has no number yet. */
  cardNumber?: CardNumber;
  challenge: Uint8Array;
  purse: Purse;
  /** ECDH output the card uses (§4.6.3). */
  cryptoProfile: CryptoProfileCode;
}

export function encodeSelectResponse(fci: SelectResponse): Uint8Array {
  if (fci.challenge.length !== Size.CHALLENGE)
    throw new SpecCodecError('ERR_CHALLENGE', 'challenge must be 16 bytes');
  const proprietary = concatBytes(
    tlv(Tag.APPLET_VERSION, new Uint8Array([fci.version])),
    tlv(Tag.LIFE_CYCLE, new Uint8Array([fci.lifeCycle])),
    tlv(Tag.CARD_NUMBER, fci.cardNumber ? encodeCardNumber(fci.cardNumber) : new Uint8Array(8)),
    tlv(Tag.CHALLENGE, fci.challenge),
    tlv(Tag.PURSE, encodePurse(fci.purse)),
    tlv(Tag.CRYPTO_PROFILE, new Uint8Array([fci.cryptoProfile])),
  );
  return tlv(Tag.FCI, concatBytes(tlv(Tag.DF_NAME, AID), tlv(Tag.FCI_PROPRIETARY, proprietary)));
}

export function decodeSelectResponse(bytes: Uint8Array): SelectResponse {
  const outer = parseSimpleTlv(bytes, 'FCI');
  if (outer.length !== 1 || outer[0]![0] !== Tag.FCI)
    throw new SpecCodecError('ERR_FCI', 'FCI must be one 6F template', 0);
  const fields = new Map(parseSimpleTlv(outer[0]![1], 'FCI template', 2));
  const dfName = fields.get(Tag.DF_NAME);
  if (!dfName || !bytesEqual(dfName, AID))
    throw new SpecCodecError('ERR_FCI', 'FCI does not name the Huduma AID');
  const prop = fields.get(Tag.FCI_PROPRIETARY);
  if (!prop) throw new SpecCodecError('ERR_FCI', 'FCI has no A5 proprietary template');
  const p = new Map(parseSimpleTlv(prop, 'FCI proprietary template'));
  const need = (tag: number, len: number, name: string): Uint8Array => {
    const v = p.get(tag);
    if (!v || v.length !== len)
      throw new SpecCodecError(
        'ERR_FCI',
        `FCI ${name} (tag ${tag.toString(16)}) missing or not ${len} bytes`,
      );
    return v;
  };
  const version = need(Tag.APPLET_VERSION, 1, 'applet version')[0]!;
  const lifeCycle = need(Tag.LIFE_CYCLE, 1, 'life cycle')[0]! as LifeCycleState;
  if (!Object.values(LifeCycle).includes(lifeCycle))
    throw new SpecCodecError('ERR_LIFE_CYCLE', `unknown state ${lifeCycle}`);
  const cn = need(Tag.CARD_NUMBER, 8, 'card number');
  const challenge = need(Tag.CHALLENGE, Size.CHALLENGE, 'challenge').slice();
  const purse = decodePurse(need(Tag.PURSE, Size.PURSE, 'purse'));
  const cryptoProfile = need(Tag.CRYPTO_PROFILE, 1, 'crypto profile')[0]!;
  if (cryptoProfile > 1) throw new SpecCodecError('ERR_FCI', `unknown crypto profile ${cryptoProfile}`);
  const cardNumber = cn.every((b) => b === 0) ? undefined : decodeCardNumber(cn);
  const base = { version, lifeCycle, challenge, purse, cryptoProfile: cryptoProfile as CryptoProfileCode };
  return cardNumber === undefined ? base : { ...base, cardNumber };
}
