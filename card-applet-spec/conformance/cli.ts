/**
 * Runs the conformance suite and prints the table of checks.
 *
 *   node --conditions=huduma-source --import tsx card-applet-spec/conformance/cli.ts --sim
 *   … --reader "NAME"   (PC/SC; see TARGETS below)
 *   … --json            (print the results as JSON instead of the table)
 *
 * Exit code: 0 when no check failed (checks not run do not fail), 1 when one did, 2 on bad usage.
 */
import { formatResults, runConformance } from './suite';
import type { TargetFactory } from './target';

/**
 * Where a target comes from. A PC/SC reader target is added here as `reader: async (o) => …`
 * returning a ConformanceTarget whose openCard connects to the reader named by `o.reader`
 * (freshCards false unless the operator feeds fresh cards), with keys from vectorConformanceKeys()
 * or a DevPki directory.
 */
export const TARGETS: Record<string, TargetFactory> = {
  sim: async () => (await import('./simulator')).simulatorTarget(),
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
    console.error(`usage: conformance --${Object.keys(TARGETS).join(' | --')} [--json]`);
    if (args.reader !== undefined)
      console.error('--reader is not available in this build (no PC/SC target registered)');
    return 2;
  }
  const target = await TARGETS[name]!(args);
  if (!args.json) console.log(`Huduma card applet v1 conformance — target: ${target.name}\n`);
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
