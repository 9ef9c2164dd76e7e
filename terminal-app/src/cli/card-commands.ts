import { type Command, command, UsageError } from '@huduma/cli-kit';
import {
  type ApprovedTransaction,
  normalizeBillRef,
  type PinPad,
  type TerminalEngine,
  type TerminalEvent,
  TransactionRefusedError,
} from '@huduma/terminal';
import { type CardSource, cardSourceFromFlags } from './card-source';
import { type DeclineContext, declineText, kes, recoveryText } from './format';
import {
  CARD,
  DIR,
  devLoadAuthorizerFor,
  EXIT_DECLINED,
  EXIT_OK,
  type TerminalCliIo,
  withEngine,
} from './shared';

const PIN = {
  pin: { type: 'string', value: 'PIN', description: "the cardholder's PIN (4 to 8 digits)" },
} as const;

interface CardRun {
  dir: string;
  pin: string | undefined;
  card: string | undefined;
  reader: string | undefined;
  io: TerminalCliIo;
  loadAuthorizer?: Awaited<ReturnType<typeof devLoadAuthorizerFor>>;
}

/**
 * Runs one card operation: asks for the card, opens the engine, prints the receipt (exit 0) or
 * the decline in the cashier's words (exit 1). Everything that needs no card was checked before.
 */
async function withCard(
  run: CardRun,
  operation: (engine: TerminalEngine) => Promise<ApprovedTransaction | undefined>,
): Promise<number> {
  const { io, pin } = run;
  if (pin !== undefined && !/^\d{4,8}$/.test(pin)) throw new UsageError('--pin must be 4 to 8 digits');
  const source: CardSource = await cardSourceFromFlags(run);
  const context: DeclineContext = {};
  const pinPad: PinPad = {
    // One try only: a CLI cannot ask again, and a second wrong PIN would waste a try.
    requestPin: async ({ attempt }) => (attempt === 1 ? pin : undefined),
  };
  const onEvent = (e: TerminalEvent) => {
    if (e.type === 'insert-card' && source.prompt) io.stderr.write(`${source.prompt}\n`);
    if (e.type === 'card-read') context.balanceCents = e.balanceCents;
    if (e.type === 'wrong-pin') context.triesLeft = e.triesLeft;
    if (e.type === 'recovered') {
      io.stdout.write(`${recoveryText(e.notice)}\n`);
      if (e.notice.receipt) io.stdout.write(`${e.notice.receipt}\n`);
    }
  };
  const extra = { pinPad, onEvent, ...(run.loadAuthorizer ? { loadAuthorizer: run.loadAuthorizer } : {}) };
  try {
    return await withEngine(run.dir, source.reader, extra, async (engine) => {
      let result: ApprovedTransaction | undefined;
      try {
        result = await operation(engine);
      } catch (err) {
        if (!(err instanceof TransactionRefusedError)) throw err;
        if (err.triesLeft !== undefined) context.triesLeft = err.triesLeft;
        io.stderr.write(`${declineText(err.reason, err.cashierMessage, context)}\n`);
        if (err.reason === 'outcome-unknown')
          io.stderr.write(`  Finish it with: huduma-terminal recover --dir ${run.dir} and the same card.\n`);
        if (err.reason === 'pin-cancelled' && pin === undefined)
          io.stderr.write("  This needs the cardholder's PIN: run again with --pin.\n");
        io.stderr.write(`reason: ${err.reason}\n`);
        return EXIT_DECLINED;
      }
      if (result)
        io.stdout.write(`APPROVED ${result.operation} ${kes(result.amountCents)}\n${result.receipt}`);
      return EXIT_OK;
    });
  } finally {
    await source.close();
  }
}

const saleCommand = command({
  name: 'sale',
  summary: 'one sale; prints the receipt. Exit 0 approved, 1 declined (reason on stderr), 2 usage',
  usage:
    '--dir D (--amount 250.00 | --service CODE) --bill-ref REF [--pin 1234] (--card card.cbor | --reader NAME)',
  options: {
    ...DIR,
    amount: { type: 'kes', description: 'amount in KES, e.g. 250.00' },
    service: { type: 'string', value: 'CODE', description: 'a catalog service (its fee is the amount)' },
    'bill-ref': {
      type: 'string',
      value: 'REF',
      description: 'bill reference (1-16 characters)',
      required: true,
    },
    ...PIN,
    ...CARD,
  },
  run({ values, need, io }) {
    const dir = need('dir');
    const { amount, service } = values;
    if ((amount === undefined) === (service === undefined))
      throw new UsageError('give exactly one of --amount and --service');
    const billRef = need('bill-ref');
    if (service !== undefined && !/^\d{1,5}$/.test(service))
      throw new UsageError(`--service must be a service code, got ${service}`);
    try {
      normalizeBillRef(billRef);
    } catch (err) {
      // A malformed bill reference is a usage error (exit 2), not a decline.
      throw new UsageError((err as Error).message);
    }
    const sale =
      service !== undefined ? { serviceCode: Number(service), billRef } : { amount: amount!, billRef };
    return withCard({ dir, pin: values.pin, card: values.card, reader: values.reader, io }, (engine) =>
      engine.sale(sale),
    );
  },
});

const cancelLastCommand = command({
  name: 'cancel-last',
  summary: "cancel this terminal's last sale (same card, within 15 minutes)",
  usage: '--dir D [--pin 1234] (--card card.cbor | --reader NAME)',
  options: { ...DIR, ...PIN, ...CARD },
  run: ({ values, need, io }) =>
    withCard({ dir: need('dir'), pin: values.pin, card: values.card, reader: values.reader, io }, (engine) =>
      engine.cancelLast(),
    ),
});

const reloadCommand = command({
  name: 'reload',
  summary: "cash reload at a Huduma Centre, authorized by the development PKI's load authority",
  usage: '--dir D --amount 500.00 [--reference R] [--pki P] (--card card.cbor | --reader NAME)',
  options: {
    ...DIR,
    amount: { type: 'kes', description: 'amount in KES, e.g. 500.00', required: true },
    reference: { type: 'string', value: 'R', description: 'reference of the cash receipt' },
    pki: { type: 'string', value: 'P', description: 'development PKI (default: the one of init)' },
    ...PIN,
    ...CARD,
  },
  async run({ values, need, io }) {
    const dir = need('dir');
    const amountCents = need('amount');
    const loadAuthorizer = await devLoadAuthorizerFor(dir, values.pki);
    const reference = values.reference === undefined ? {} : { reference: values.reference };
    return withCard(
      { dir, pin: values.pin, card: values.card, reader: values.reader, io, loadAuthorizer },
      (engine) => engine.reload({ amountCents, ...reference }),
    );
  },
});

const recoverCommand = command({
  name: 'recover',
  summary: "settle a card's interrupted transactions (a card pulled out mid-payment)",
  usage: '--dir D (--card card.cbor | --reader NAME)',
  options: { ...DIR, ...CARD },
  run: ({ values, need, io }) =>
    withCard(
      { dir: need('dir'), pin: undefined, card: values.card, reader: values.reader, io },
      async (engine) => {
        const notices = await engine.recoverCard();
        if (!notices.length)
          io.stdout.write('Nothing to recover on this card: no interrupted transaction.\n');
        return undefined;
      },
    ),
});

// biome-ignore lint/suspicious/noExplicitAny: commands with different option sets
export const cardCommands: Command<any>[] = [saleCommand, cancelLastCommand, reloadCommand, recoverCommand];
