/**
 * Runs the conformance checks (src/groups/, one file per command group) against a target and
 * formats the results.
 */
import { Capability } from '@huduma/card-applet-spec';
import {
  type CheckDef,
  CheckFailure,
  type CheckResult,
  type CheckStatus,
  type ConformanceOptions,
  type Group,
  type GroupContext,
  makeTerminal,
  Session,
  type SharedState,
} from './check';
import { basicsGroup } from './groups/basics';
import { blockGroup } from './groups/block';
import { debitGroup } from './groups/debit';
import { identityGroup } from './groups/identity';
import { persoGroup } from './groups/perso';
import { pinBlockGroup, pinGroup, pukExhaustGroup } from './groups/pin';
import { reloadGroup } from './groups/reload';
import { undebitGroup } from './groups/undebit';
import { type CardTransport, RawCard } from './raw';
import type { ConformanceTarget } from './target';

export type { CheckResult, CheckStatus, ConformanceOptions } from './check';

function groups(target: ConformanceTarget): Group[] {
  const { keys } = target;
  const ALL = Capability.DEBIT | Capability.UNDEBIT | Capability.IDENTITY_READ | Capability.BLOCK;
  const term = (id: string, caps = ALL, opts: Parameters<typeof makeTerminal>[3] = {}) =>
    makeTerminal(keys, id, caps, opts);
  const ctx: GroupContext = { target, keys, ALL, term, shared: {} as SharedState };
  return [
    basicsGroup(),
    pinGroup(ctx),
    reloadGroup(ctx),
    debitGroup(ctx),
    undebitGroup(ctx),
    identityGroup(ctx),
    pinBlockGroup(ctx),
    pukExhaustGroup(ctx),
    blockGroup(ctx),
    persoGroup(ctx),
  ];
}

/** Checks that are part of the spec but cannot be exercised through the interface. */
const UNTESTABLE: Array<Omit<CheckResult, 'status' | 'passed'>> = [
  {
    id: 'counter.exhausted',
    section: '6.8',
    title: 'counter 0xFFFFFFFF answers 9F0C',
    detail: 'not run (needs a card whose counter reached 0xFFFFFFFF)',
  },
];

/**
 * Runs every check of the suite against `target` and returns the results (in order). Never
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
  let reusedCard: CardTransport | undefined;
  for (const group of groups(target)) {
    const notRun = (reason: string) => {
      for (const check of group.checks)
        push({ ...meta(check), status: 'not run', passed: false, detail: `not run (${reason})` });
    };
    if (group.blank && !target.openBlankCard) {
      notRun('needs a blank card in PERSONALIZATION');
      continue;
    }
    if (group.destructive && !target.freshCards) {
      notRun('needs a fresh card');
      continue;
    }
    let transport: CardTransport;
    try {
      if (group.blank) transport = await target.openBlankCard!();
      else if (target.freshCards) transport = await target.openCard();
      else transport = reusedCard ??= await target.openCard();
    } catch (err) {
      for (const check of group.checks)
        push({
          ...meta(check),
          status: 'failed',
          passed: false,
          detail: `could not open a card: ${(err as Error).message}`,
        });
      continue;
    }
    const session = new Session(new RawCard(transport), target);
    if (!group.blank) {
      try {
        await session.select();
        await session.loadCardKey();
      } catch (err) {
        for (const check of group.checks)
          push({
            ...meta(check),
            status: 'failed',
            passed: false,
            detail: `card setup failed: ${(err as Error).message}`,
          });
        continue;
      }
    }
    for (const check of group.checks) {
      try {
        const note = await check.run(session);
        push({
          ...meta(check),
          status: 'passed',
          passed: true,
          detail: typeof note === 'string' ? note : '',
        });
      } catch (err) {
        const detail =
          err instanceof CheckFailure ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
        push({ ...meta(check), status: 'failed', passed: false, detail });
      }
    }
    if (target.freshCards || group.blank) await transport.close?.();
  }
  for (const u of UNTESTABLE) push({ ...u, status: 'not run', passed: false });
  if (reusedCard) await reusedCard.close?.();
  return results;
}

function meta(check: CheckDef) {
  return { id: check.id, section: check.section, title: check.title };
}

/** The check ids and sections of the suite, without running it (for SPEC.md and the tests). */
export function listChecks(target: ConformanceTarget): Array<{ id: string; section: string; title: string }> {
  return [
    ...groups(target).flatMap((g) => g.checks.map(meta)),
    ...UNTESTABLE.map(({ id, section, title }) => ({ id, section, title })),
  ];
}

/** A plain-text table of results: status, section, id, title, detail; then the totals. */
export function formatResults(results: CheckResult[]): string {
  const mark = { passed: 'PASS', failed: 'FAIL', 'not run': 'SKIP' } as const;
  const rows = results.map((r) => [mark[r.status], `§${r.section}`, r.id, r.title, r.detail]);
  const widths = [4, 7, 28, 60];
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
