import { bytesEqual, concatBytes } from './bytes';
import { type CardNumber, decodeCardNumber, encodeCardNumber } from './card-number';
import { AID, LifeCycle, type LifeCycleState, Size, Tag } from './constants';
import { SpecCodecError } from './errors';
import { decodePurse, encodePurse, type Purse } from './purse';
import { parseSimpleTlv, tlv } from './simple-tlv';

/**
 * SELECT response (SPEC.md §6.1): FCI template
 *
 *   6F L { 84 0B AID, A5 L { C0 01 version, C1 01 life cycle, C2 08 card number,
 *                             C3 10 card challenge, C4 1C purse } }
 *
 * The FCI carries a fresh challenge and the purse, so a debit needs no GET CHALLENGE and no
 * READ PURSE: SELECT + DEBIT is the whole tap. Before personalization sets a card number, C2
 * holds eight zero bytes.
 */
export interface SelectResponse {
  version: number;
  lifeCycle: LifeCycleState;
  /** Undefined while the card is in personalization and has no number yet. */
  cardNumber?: CardNumber;
  challenge: Uint8Array;
  purse: Purse;
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
  const cardNumber = cn.every((b) => b === 0) ? undefined : decodeCardNumber(cn);
  return cardNumber === undefined
    ? { version, lifeCycle, challenge, purse }
    : { version, lifeCycle, cardNumber, challenge, purse };
}
