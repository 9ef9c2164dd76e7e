/**
 * Runs the SPEC §16 conformance checks (src/groups/, one file per command family) against a
 * target and formats the results, one result per numbered check, in the spec's order.
 */
import {
  Card,
  type CheckDef,
  CheckFailure,
  type CheckResult,
  type CheckStatus,
  type ConformanceOptions,
  type GroupContext,
  makeTerminal,
  NotRun,
  type TestTerminal,
} from './check';
import { blockChecks } from './groups/block';
import { debitChecks } from './groups/debit';
import { genericChecks } from './groups/generic';
import { persoChecks } from './groups/perso';
import { pinChecks } from './groups/pin';
import { recoveryChecks } from './groups/recovery';
import { reloadChecks } from './groups/reload';
import { sessionChecks } from './groups/sessions';
import { tearChecks } from './groups/tear';
import { type CardTransport, RawCard } from './raw';
import type { ConformanceTarget } from './target';
import { ALL_CAPS } from './wire';

export type { CheckResult, CheckStatus, ConformanceOptions } from './check';

/** Every numbered check of §16, grouped by command family (a group shares one card). */
export function checkGroups(): Array<{ name: string; checks: CheckDef[] }> {
  return [
    { name: 'generic', checks: genericChecks() },
    { name: 'sessions', checks: sessionChecks() },
    { name: 'debit', checks: debitChecks() },
    { name: 'reload', checks: reloadChecks() },
    { name: 'recovery', checks: recoveryChecks() },
    { name: 'pin', checks: pinChecks() },
    { name: 'block', checks: blockChecks() },
    { name: 'perso', checks: persoChecks() },
    { name: 'tear', checks: tearChecks() },
  ];
}

const meta = (c: CheckDef) => ({ n: c.n, id: c.id, section: c.section, title: c.title });

/**
 * Runs every check of the suite against `target` and returns the results in §16 order. Never
 * throws for a card's misbehaviour: a failing check is a result with `status: 'failed'`.
 */
export async function runConformance(
  target: ConformanceTarget,
  options: ConformanceOptions = {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const push = (r: CheckResult) => {
    results.push(r);
    options.onResult?.(r);
  };
  const seed = options.seed ?? Date.now() % 2 ** 31;
  let reused: CardTransport | undefined;
  const opened: CardTransport[] = [];
  const terminals = new Map<string, Promise<TestTerminal>>();

  const activeCard = async (fresh: boolean): Promise<Card> => {
    let transport: CardTransport;
    if (fresh) {
      transport = await target.openCard();
      opened.push(transport);
    } else transport = reused ??= await target.openCard();
    const card = new Card(new RawCard(transport), target);
    await card.select();
    await card.readCert();
    return card;
  };
  const ctx: GroupContext = {
    target,
    keys: target.keys,
    seed,
    // Same id and capabilities → the same certificate, so a check finds the registration of an earlier one.
    term: (id, caps = ALL_CAPS, opts = {}) => {
      if (Object.keys(opts).length > 0) return makeTerminal(target.keys, id, caps, opts);
      const key = `${id}:${caps}`;
      let t = terminals.get(key);
      if (!t) terminals.set(key, (t = makeTerminal(target.keys, id, caps)));
      return t;
    },
    freshCard: () => activeCard(target.freshCards),
  };

  const run = async (c: CheckDef, card: () => Promise<Card>) => {
    if (c.todo)
      return push({
        ...meta(c),
        status: 'not run',
        passed: false,
        detail: `not run (not implemented: ${c.todo})`,
      });
    try {
      const note = await c.run(await card(), ctx);
      push({ ...meta(c), status: 'passed', passed: true, detail: typeof note === 'string' ? note : '' });
    } catch (err) {
      if (err instanceof NotRun)
        return push({ ...meta(c), status: 'not run', passed: false, detail: `not run (${err.message})` });
      const detail =
        err instanceof CheckFailure ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
      push({ ...meta(c), status: 'failed', passed: false, detail });
    }
  };

  for (const group of checkGroups()) {
    let shared: Card | undefined;
    // The group's shared card first, then the checks with cards of their own: a card feeder
    // (one reader) closes the previous card when it puts in the next one.
    const ordered = [
      ...group.checks.filter((c) => c.needs === 'shared'),
      ...group.checks.filter((c) => c.needs !== 'shared'),
    ];
    for (const c of ordered) {
      const notRun = (why: string) =>
        push({ ...meta(c), status: 'not run', passed: false, detail: `not run (${why})` });
      if (c.needs === 'fresh' && !target.freshCards && !c.todo) {
        notRun('needs a fresh card');
        continue;
      }
      if (c.needs === 'blank' && !target.openBlankCard && !c.todo) {
        notRun('needs a blank card in PERSONALIZATION');
        continue;
      }
      if (c.needs === 'tear' && !target.openTearableCard && !c.todo) {
        notRun('needs a target that can cut power');
        continue;
      }
      if (c.needs === 'shared') {
        await run(c, async () => {
          shared ??= await activeCard(target.freshCards);
          return shared;
        });
      } else if (c.needs === 'fresh') await run(c, () => activeCard(true));
      else if (c.needs === 'blank')
        await run(c, async () => {
          const t = await target.openBlankCard!();
          opened.push(t);
          return new Card(new RawCard(t), target);
        });
      else if (c.needs === 'tear')
        await run(c, async () => {
          const t = await target.openTearableCard!();
          opened.push(t);
          const card = new Card(new RawCard(t), target);
          await card.select();
          await card.readCert();
          return card;
        });
      else await run(c, async () => undefined as unknown as Card);
    }
  }
  for (const t of opened) await t.close?.();
  if (reused) await reused.close?.();
  return results.sort((a, b) => a.n - b.n);
}

/** The checks of the suite, without running them (for the spec table and the tests). */
export function listChecks(): Array<{
  n: number;
  id: string;
  section: string;
  title: string;
  implemented: boolean;
}> {
  return checkGroups()
    .flatMap((g) => g.checks)
    .map((c) => ({ ...meta(c), implemented: !c.todo }))
    .sort((a, b) => a.n - b.n);
}

/** A plain-text table of results: status, number, section, id, title, detail; then the totals. */
export function formatResults(results: CheckResult[]): string {
  const mark = { passed: 'PASS', failed: 'FAIL', 'not run': 'SKIP' } as const;
  const rows = results.map((r) => [mark[r.status], String(r.n).padStart(3), `§${r.section}`, r.id, r.detail]);
  const widths = [4, 3, 12, 36];
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]!) : cell))
      .join('  ')
      .trimEnd(),
  );
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push(
    '',
    `${results.length} checks: ${count('passed')} passed, ${count('failed')} failed, ${count('not run')} not run`,
  );
  return lines.join('\n');
}
