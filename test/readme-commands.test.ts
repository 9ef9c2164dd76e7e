/**
 * README "Everyday commands", run as a newcomer would: each line of the fenced `sh` block, pasted
 * verbatim into bash in an empty directory. Lines ending in "# (long)" (benchmarks and soaks,
 * minutes each) are skipped, and only those may be.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');

function everydayCommands(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.split(/^## Everyday commands$/m)[1]?.split(/^## /m)[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md has no ```sh block under "## Everyday commands"');
  return block.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

const LONG = /#\s*\(long\)/;

describe('README "Everyday commands"', () => {
  const lines = everydayCommands();
  // Inside the clone (npm finds the workspace from there), in .tmp/ which git ignores.
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(REPO, '.tmp', 'readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has the steps a newcomer needs, and skips only benchmarks and soaks', () => {
    const text = lines.join('\n');
    expect(text).toContain('huduma-terminal -- init ');
    expect(text).toMatch(/huduma-sim -- issue .*--balance \d+\.\d\d/);
    expect(text).not.toMatch(/bench:\w+ \|/);
    for (const line of lines.filter((l) => LONG.test(l))) expect(line).toMatch(/^npm run (bench|soak):\w+\s/);
  });

  it('every other line, pasted verbatim in an empty directory, exits 0', () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.INIT_CWD;
    for (const line of lines.filter((l) => !LONG.test(l))) {
      const run = spawnSync('bash', ['-c', line], { cwd: dir, env, encoding: 'utf8', timeout: 240_000 });
      expect(run.status, `${line}\n${run.stdout}\n${run.stderr}`).toBe(0);
      if (line.includes(' sale ')) expect(run.stdout).toContain('APPROVED sale KES 250.00');
      if (line.includes(' issue ')) expect(run.stdout).toContain('balance:        KES 5,000.00');
      if (line.includes('log verify')) expect(run.stdout).toMatch(/: OK\n/);
    }
  });
});
