import { PassThrough } from 'node:stream';
import { formatKes } from '@huduma/terminal';
import { CashierConsole } from './console';
import type { DemoCounter, DemoWorld } from './demo-world';

/**
 * The non-interactive tour (CI, pipes): a sale, a decline, a card pulled out mid-payment and its
 * recovery on the re-tap, a cancellation and an X report, each step introduced in one line. It
 * drives the real console, so what it prints is what the cashier would see. Resolves true when
 * every step ended as the story says.
 */
export async function runNarratedDemo(
  world: DemoWorld,
  counter: DemoCounter,
  output: NodeJS.WritableStream,
): Promise<boolean> {
  // The console's own input: the lines the "cashier" types when the console asks (the re-tap).
  const typed = new PassThrough();
  const console = new CashierConsole({
    engine: counter.engine,
    pinPad: counter.pinPad,
    input: typed,
    output,
    demo: counter.reader,
    terminal: false,
  });
  const say = (step: string, text: string) => output.write(`\n>>> ${step} ${text}\n\n`);
  const { reader } = counter;
  const [amina, baraka] = [0, 1];
  const balance = (i: number) => reader.cards[i]!.card.state.balance;
  const results: boolean[] = [];
  const ref = (prefix: string) => `${prefix}-${Date.now().toString(36).toUpperCase().slice(-6)}`;

  try {
    if (balance(amina) < 100_000) {
      say(
        '0.',
        `${world.cards[amina]!.label}'s card is low (KES ${formatKes(balance(amina))}): cash reload of KES 2,000.00 first.`,
      );
      reader.insert(amina);
      results.push((await console.reload(200_000, 'DEMO-TOPUP')) === 'approved');
    }

    say('1.', `A sale: birth certificate copy (KES 50.00). ${world.cards[amina]!.label} taps her card.`);
    reader.insert(amina);
    results.push(
      (await console.sale(
        { serviceCode: 501, billRef: ref('BC') },
        'KES 50.00 for Birth certificate copy',
      )) === 'approved',
    );

    // The decline must decline whatever the console did to the world since (a reload makes
    // the low card solvent): ask for more than the card holds now.
    const low = balance(baraka);
    const declineCents = low < 25_000 ? 25_000 : Math.ceil((low + 10_000) / 100) * 100;
    const overLimit = declineCents > counter.engine.config.limits.perSaleOfflineLimitCents;
    say(
      '2.',
      overLimit
        ? `A decline: KES ${formatKes(declineCents)} is above this terminal's offline limit per sale.`
        : `A decline: ${world.cards[baraka]!.label}'s card holds KES ${formatKes(low)}, too little for a KES ${formatKes(declineCents)} payment.`,
    );
    reader.insert(baraka);
    results.push(
      (await console.sale(
        { amount: formatKes(declineCents).replaceAll(',', ''), billRef: ref('PAY') },
        `KES ${formatKes(declineCents)}`,
      )) === 'declined',
    );

    say(
      '3.',
      `A pulled card: ${world.cards[amina]!.label} pays KES 250.00 and pulls her card away just as the card completes the payment; the answer never reaches the terminal. She taps again ("1" is typed at the prompt).`,
    );
    reader.insert(amina);
    reader.pullDuringNextValueCommand({ afterCardProcessed: true });
    typed.write('1\n');
    results.push(
      (await console.sale({ amount: '250.00', billRef: ref('PAY') }, 'KES 250.00')) === 'unfinished',
    );
    const settled = counter.engine.status().unresolved.length === 0;
    results.push(settled);

    say(
      '4.',
      'The customer changes her mind: the cashier cancels the last sale (same card, within 15 minutes).',
    );
    reader.insert(amina);
    results.push((await console.cancelLast()) === 'approved');

    say('5.', 'The X report: totals of the open shift so far.');
    console.xReport();
  } finally {
    reader.remove();
    console.close();
  }
  const ok = results.every(Boolean);
  output.write(
    ok
      ? '\nDemo complete. Run `npm start` in a terminal for the interactive cashier console.\n'
      : `\nDemo finished, but some steps did not end as expected (${results.map((r) => (r ? 'ok' : 'FAIL')).join(' ')}).\n`,
  );
  return ok;
}
