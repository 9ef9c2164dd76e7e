#!/usr/bin/env node
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
import { defineCli, runMain, UsageError } from '@huduma/cli-kit';
import packageJson from '../package.json' with { type: 'json' };
import { CONFORMANCE_PROFILE } from './perso';
import { formatResults, runConformance } from './suite';
import { type TargetFactory, vectorConformanceKeys } from './target';

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

export const conformanceCli = defineCli({
  name: 'huduma-conformance',
  version: packageJson.version,
  summary: 'the card conformance suite of SPEC.md §16, against the simulator or a card in a PC/SC reader',
  usage: '(--sim | --reader NAME [--pki DIR] [--pin PIN] [--puk PUK] [--no-identity]) [--json]',
  options: {
    sim: { type: 'boolean', description: 'the in-process simulator (every check, destructive ones too)' },
    reader: {
      type: 'string',
      value: 'NAME',
      description: 'a card in this PC/SC reader (no destructive checks)',
    },
    pki: {
      type: 'string',
      value: 'DIR',
      description: 'the DevPki that issued the card (default: test-vector keys)',
    },
    pin: { type: 'string', value: 'PIN', description: "the card's PIN" },
    puk: { type: 'string', value: 'PUK', description: "the card's PUK" },
    'no-identity': { type: 'boolean', description: 'the card holds no identity record' },
    json: { type: 'boolean', description: 'print the results as JSON instead of the table' },
  },
  details: 'Exit 0 when no check failed (checks not run do not fail), 1 when one did, 2 on bad usage.',
  async run({ values, io }) {
    if ((values.sim === true) === (values.reader !== undefined))
      throw new UsageError('give --sim or --reader NAME');
    const options: Record<string, string | boolean> = {};
    for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== false) options[k] = v;
    const target = await TARGETS[values.sim ? 'sim' : 'reader']!(options);
    if (!values.json) io.stdout.write(`Huduma card applet v2 conformance — target: ${target.name}\n\n`);
    const results = await runConformance(target);
    await target.close?.();
    io.stdout.write(`${values.json ? JSON.stringify(results, null, 2) : formatResults(results)}\n`);
    return results.some((r) => r.status === 'failed') ? 1 : 0;
  },
});

await runMain(conformanceCli);
// The suite may leave a reader's handles behind: the exit code is final.
process.exit(process.exitCode ?? 0);
