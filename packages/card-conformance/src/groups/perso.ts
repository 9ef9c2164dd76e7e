/** Conformance checks: Personalization of a blank card (§7). */
import {
  AID,
  cardNumberFromAccount,
  decodeSelectResponse,
  encodePinBlock,
  KeyUsage,
  LifeCycle,
  StoreDataObject,
  SW,
} from '@huduma/card-applet-spec';
import { c, expectEq, expectSw, type Group, type GroupContext } from '../check';
import { personalizeRaw } from '../target';

export function persoGroup({ target, keys }: GroupContext): Group {
  const perso: Group = {
    name: 'personalization',
    blank: true,
    checks: [
      c(
        'perso.select-blank',
        '6.1',
        'a blank card answers SELECT 9000 in PERSONALIZATION with a zero card number',
        async (s) => {
          const r = await s.card.send(0x00, 0xa4, 0x04, 0x00, AID, 0);
          expectSw(r, 0x9000, 'SELECT');
          const fci = decodeSelectResponse(r.data);
          expectEq(fci.lifeCycle, LifeCycle.PERSONALIZATION, 'life cycle');
          expectEq(fci.cardNumber, undefined, 'card number');
        },
      ),
      c('perso.refuses-value', '3', 'value and PIN commands answer 6985 in PERSONALIZATION', async (s) => {
        expectSw(await s.card.send(0x00, 0x20, 0, 0x81), SW.CONDITIONS_NOT_SATISFIED, 'VERIFY');
        expectSw(
          await s.card.send(0x80, 0x58, 0, 0, new Uint8Array(144)),
          SW.CONDITIONS_NOT_SATISFIED,
          'RELOAD',
        );
        expectSw(await s.card.send(0x00, 0xb2, 1, 4), SW.CONDITIONS_NOT_SATISFIED, 'READ RECORD');
        expectSw(
          await s.card.send(0x00, 0xca, 0x7f, 0x21),
          SW.REFERENCED_DATA_NOT_FOUND,
          'GET DATA without a certificate',
        );
      }),
      c(
        'perso.store-data-errors',
        '7.1',
        'STORE DATA: 6A86 unknown object, 6700 wrong length, 6A80 bad content',
        async (s) => {
          expectSw(await s.card.send(0x80, 0xe2, 0x09, 0, new Uint8Array(8)), SW.WRONG_P1P2, 'object 09');
          expectSw(await s.card.send(0x80, 0xe2, 0x01, 1, new Uint8Array(8)), SW.WRONG_P1P2, 'P2 01');
          expectSw(
            await s.card.send(0x80, 0xe2, 0x01, 0, new Uint8Array(7)),
            SW.WRONG_LENGTH,
            'card number 7 bytes',
          );
          expectSw(
            await s.card.send(
              0x80,
              0xe2,
              0x01,
              0,
              new Uint8Array([0x84, 0x04, 0, 1, 0x23, 0x45, 0x67, 0x88]),
            ),
            SW.WRONG_DATA,
            'bad Luhn',
          );
          expectSw(
            await s.card.send(0x80, 0xe2, 0x03, 0, new Uint8Array([0, 0, 0, 10, 0, 0, 0, 11, 0, 0, 0, 1])),
            SW.WRONG_DATA,
            'offline limit above max balance',
          );
          expectSw(
            await s.card.send(
              0x80,
              0xe2,
              0x04,
              0,
              new Uint8Array([0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff]),
            ),
            SW.WRONG_DATA,
            '3-digit PIN',
          );
          expectSw(
            await s.card.send(0x80, 0xe2, 0x05, 0, encodePinBlock('1234')),
            SW.WRONG_DATA,
            '4-digit PUK',
          );
          const key = new Uint8Array([
            KeyUsage.TERMINAL_CA,
            ...new Uint8Array(8),
            ...keys.acquirerCa.publicKey,
          ]);
          expectSw(
            await s.card.send(0x80, 0xe2, 0x06, 0, key),
            SW.WRONG_DATA,
            'trusted key with a wrong key id',
          );
          expectSw(
            await s.card.send(0x80, 0xe2, 0x02, 0, new Uint8Array([0xe1, 0x01, 0x00])),
            SW.WRONG_DATA,
            'identity',
          );
        },
      ),
      c(
        'perso.order',
        '7.3',
        'FINALIZE of an incomplete card answers 6985; a certificate before the key pair 6985',
        async (s) => {
          expectSw(
            await s.card.send(0x80, 0xe6, 0, 0),
            SW.CONDITIONS_NOT_SATISFIED,
            'FINALIZE of a blank card',
          );
          expectSw(
            await s.card.send(0x80, 0xe2, StoreDataObject.CARD_CERTIFICATE, 0, new Uint8Array(165)),
            SW.CONDITIONS_NOT_SATISFIED,
            'certificate before GENERATE KEY PAIR',
          );
        },
      ),
      c(
        'perso.complete',
        '7',
        'a complete personalization with raw §7 commands gives an ACTIVE card with balance 0',
        async (s) => {
          await personalizeRaw(s.card.transport, keys, {
            cardNumber: cardNumberFromAccount('00000000001'),
            pin: target.pin,
            puk: target.puk,
            purse: { maxBalance: 1_000_000, offlineLimit: 200_000, cvmLimit: 50_000 },
          });
          await s.select();
          expectEq(s.purse.lifeCycle, LifeCycle.ACTIVE, 'life cycle');
          expectEq(s.purse.balance, 0, 'balance');
          expectEq(s.purse.counter, 0, 'counter');
          expectEq(s.purse.pinTriesLeft, 3, 'PIN tries');
          await s.loadCardKey();
          expectSw(await s.card.send(0x00, 0xb2, 1, 4), SW.RECORD_NOT_FOUND, 'empty ring');
          expectSw(
            await s.card.send(0x80, 0xe4, 0, 0),
            SW.CONDITIONS_NOT_SATISFIED,
            'GENERATE KEY PAIR after FINALIZE',
          );
        },
      ),
    ],
  };
  return perso;
}
