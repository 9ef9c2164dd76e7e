import { describeStatusWord, findTlv, fromHex, hex, parseTlv, transceive } from '@huduma/apdu';

// A fake card: answers SELECT with 61xx, then hands out its FCI on GET RESPONSE.
const fci = '6F108407A0000000031010A5055003564953';
const card = { transmit: async (cmd: Uint8Array) => fromHex(cmd[1] === 0xc0 ? `${fci}9000` : '6112') };
const aid = fromHex('A0000000031010');
const response = await transceive(card, { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: aid, le: 256 });
const label = findTlv(parseTlv(response.data), 0x50)!;
console.log(describeStatusWord(response.sw).name, hex(label.value)); // -> OK 564953
