#!/usr/bin/env node
import { CONFORMANCE_PROFILE } from './perso';
/**
 * Runs the conformance suite and prints the table of checks.
 *
 *   huduma-conformance --sim                 (in this repo: npm run conformance -- --sim)
 *   huduma-conformance --reader "NAME" [--pki DIR] [--pin 1234] [--puk 12345678] [--no-identity]
 *                       (a card in a PC/SC reader; keys: the test-vector keys, or a DevPki
 *                        directory with --pki; one card, so destructive checks are not run)
 *   … --json            (print the results as JSON instead of the table)
 *
 * Exit code: 0 when no check failed (checks not run do not fail), 1 when one did, 2 on bad usage.
 */
import { formatResults, runConformance } from './suite';
import { type TargetFactory, vectorConformanceKeys } from './target';

class UsageError extends Error {}

/** Where a target comes from: `--sim` (in-process simulator) or `--reader NAME` (PC/SC). */
export const TARGETS: Record<string, TargetFactory> = {
  sim: async () => (await import('./simulator')).simulatorTarget(),
  reader: async (o) => {
    if (typeof o.reader !== 'string') throw new UsageError('--reader needs the reader name');
    // Loaded only for this target: --sim must work where the pcsclite addon is not built.
    const { PcscReaders } = await import('@huduma/transport-pcsc');
    const { pcscTarget } = await import('./pcsc');
    const keys =
      typeof o.pki === 'string' ? (await import('@huduma/pki')).DevPki.open(o.pki) : vectorConformanceKeys();
    const readers = await PcscReaders.open();
    if (!readers.readers().includes(o.reader)) {
      const present = readers.readers().map((r) => JSON.stringify(r));
      await readers.close();
      throw new Error(
        `no PC/SC reader named ${JSON.stringify(o.reader)}; readers present: ${present.join(', ') || '(none)'}`,
      );
    }
    return pcscTarget({
      readers,
      reader: o.reader,
      keys,
      pin: typeof o.pin === 'string' ? o.pin : CONFORMANCE_PROFILE.pin,
      puk: typeof o.puk === 'string' ? o.puk : CONFORMANCE_PROFILE.puk,
      hasIdentity: o['no-identity'] === undefined,
    });
  },
};

function parseArgs(argv: string[]): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const name = a.slice(2);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out[name] = next;
      i++;
    } else out[name] = true;
  }
  return out;
}

const USAGE =
  'usage: huduma-conformance --sim [--json]\n' +
  '       huduma-conformance --reader NAME [--pki DIR] [--pin PIN] [--puk PUK] [--no-identity] [--json]';

async function main(): Promise<number> {
  let args: Record<string, string | boolean>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const name = Object.keys(TARGETS).find((t) => args[t] !== undefined);
  if (!name) {
    console.error(USAGE);
    return 2;
  }
  let target: Awaited<ReturnType<TargetFactory>>;
  try {
    target = await TARGETS[name]!(args);
  } catch (err) {
    console.error(`conformance: ${(err as Error).message}`);
    if (err instanceof UsageError) {
      console.error(USAGE);
      return 2;
    }
    return 1;
  }
  if (!args.json) console.log(`Huduma card applet v2 conformance — target: ${target.name}\n`);
  const results = await runConformance(target);
  await target.close?.();
  console.log(args.json ? JSON.stringify(results, null, 2) : formatResults(results));
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
