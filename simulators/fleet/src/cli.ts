#!/usr/bin/env node
/**
 * `npm run fleet -- --terminals N --cards M --days D [--clones K | --fraud-mix clones=C,tamper=T]
 * [--outages O] [--seed S]
 * [--dir DIR] [--database-url URL]`: runs the fleet, prints a line per simulated day, the
 * reconciliation, and a last line of JSON. Exit 0 when everything reconciles, 1 when not, 2 on a
 * bad argument.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseFraudMix, shareOf } from './fraud-mix';
import { runFleet } from './run';

const USAGE = `usage: huduma-fleet [--terminals N] [--cards M] [--days D] [--clones K] [--outages O]
                    [--fraud-mix clones=C,tamper=T] [--taps-per-hour T] [--seed S] [--dir DIR]
                    [--database-url URL]
Runs real terminal engines on simulated cards for D days against a clearing service, with
outages, cloned cards and tampering terminals, then reconciles settlement to the cent.
--fraud-mix: shares from 0 to 1 of cards cloned and of terminals tampering with their uploads
(instead of --clones). Defaults: 6 terminals, 60 cards, 3 days, 1 clone per 40 cards, no
tampering, 1 outage day, seed from the clock (printed).`;

function count(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new RangeError(
      `--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`,
    );
  return Number(raw);
}

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        terminals: { type: 'string' },
        cards: { type: 'string' },
        days: { type: 'string' },
        clones: { type: 'string' },
        outages: { type: 'string' },
        'fraud-mix': { type: 'string' },
        'taps-per-hour': { type: 'string' },
        seed: { type: 'string' },
        dir: { type: 'string' },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let options: Parameters<typeof runFleet>[0];
  try {
    const days = count('days', values.days as string | undefined, 3, 1, 366);
    options = {
      terminals: count('terminals', values.terminals as string | undefined, 6, 2, 10_000),
      cards: count('cards', values.cards as string | undefined, 60, 1, 1_000_000),
      days,
      seed: count('seed', values.seed as string | undefined, Date.now() % 1_000_000_000, 0, 999_999_999),
      dir: (values.dir as string | undefined) ?? join(tmpdir(), 'huduma-fleet'),
      log: (line) => process.stdout.write(`${line}\n`),
    };
    if (values.clones !== undefined) options.clones = count('clones', values.clones as string, 0, 0, 1_000);
    if (values['fraud-mix'] !== undefined) {
      const mix = parseFraudMix(values['fraud-mix'] as string);
      if (mix.clones !== undefined && values.clones !== undefined)
        throw new RangeError('--clones and --fraud-mix clones=… say the same thing: give one');
      if (mix.clones !== undefined) options.clones = shareOf(mix.clones, options.cards);
      if (mix.tamper !== undefined) options.tampering = shareOf(mix.tamper, options.terminals);
    }
    if (values.outages !== undefined)
      options.outages = count('outages', values.outages as string, 0, 0, days - 1);
    if (values['taps-per-hour'] !== undefined)
      options.tapsPerHour = count('taps-per-hour', values['taps-per-hour'] as string, 4, 0, 1_000);
    if (values['database-url'] !== undefined) options.databaseUrl = values['database-url'] as string;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  process.stdout.write(
    `fleet: ${options.terminals} terminals, ${options.cards} cards, ${options.days} days, seed ${options.seed} (re-run with --seed ${options.seed})\n`,
  );
  const result = await runFleet(options);
  const kes = (c: number) =>
    `KES ${(c / 100).toLocaleString('en-KE', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  process.stdout.write(
    `reconciled: ${result.records} records, ${result.sales} sales, ${kes(result.netSettledCents)} settled; ` +
      `clones caught ${result.clonesCaught}/${result.clonesInjected}; tampered uploads refused ${result.tamperedRefused}/${result.tamperedUploads}; false alerts ${result.falseAlerts}; ${result.wallSeconds.toFixed(1)} s\n`,
  );
  for (const p of result.problems) process.stdout.write(`PROBLEM: ${p}\n`);
  process.stdout.write(
    `${result.ok ? 'OK' : 'FAILED'}: settlement equals what the cards signed, to the cent, every clone was caught and every tampered upload refused\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ ok: result.ok, seed: result.seed, ...result.options, records: result.records, sales: result.sales, netSettledCents: result.netSettledCents, clonesCaught: result.clonesCaught, tamperedUploads: result.tamperedUploads, tamperedRefused: result.tamperedRefused, falseAlerts: result.falseAlerts, wallSeconds: result.wallSeconds, maxRssMiB: Math.max(...result.days.map((d) => d.rssMiB)), perDay: result.days })}\n`,
  );
  return result.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    if (process.env.HUDUMA_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
