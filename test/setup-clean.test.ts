/**
 * An install must not change tracked files: on a fresh clone, npm must accept package-lock.json
 * as it is (scripts/setup runs `npm install`, which rewrites a lock that disagrees with the
 * manifests). `--package-lock-only --offline` resolves exactly as that install does, from the
 * npm cache, without downloading or building anything. The full check (`git clone` then
 * `bash scripts/setup` then `git status`) takes minutes; CONTRIBUTING.md describes it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const clone = join(mkdtempSync(join(tmpdir(), 'huduma-setup-clean-')), 'repo');
afterAll(() => rmSync(join(clone, '..'), { recursive: true, force: true }));

it('npm accepts the committed package-lock.json on a fresh clone (git status stays clean)', () => {
  // The committed tree (HEAD), as a fresh clone would have it.
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone]);
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  execFileSync('git', ['checkout', '--quiet', head], { cwd: clone });
  execFileSync(
    'npm',
    [
      'install',
      '--package-lock-only',
      '--offline',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  expect(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })).toBe('');
}, 180_000);
