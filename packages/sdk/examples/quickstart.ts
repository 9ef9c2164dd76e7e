import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { HudumaCard } from '@huduma/sdk';

const pki = DevPki.inMemory(); // issuer CA, acquirer CA and load authority, in memory
const { reader } = await issueTestCard({ pki, balance: 50_000 }); // a simulated card holding KES 500.00
const terminal = await pki.issueTerminal({
  terminalId: 'T-0001',
  merchantId: 'M-0001',
  capabilities: ['DEBIT'],
});
const card = await HudumaCard.select(reader, {
  trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
  terminal,
});
// Journal (card number, terminalSeq, card.purse.counter, amount, bill) durably first, then:
const result = await card.debit({ amount: 1_250, terminalSeq: 1, billRef: 'ECITIZEN-0042', serviceCode: 7 });
if (result.outcome === 'stale') throw new Error('the card moved on: run card.recoverTransaction');
console.log(result.outcome, result.proof.record.balanceAfter, card.telemetry.apdus); // -> executed 48750 6
