/** Every CLI of the repository, run as its bin runs (from source): --version and --help answer. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');
const BINS: Record<string, string> = {
  huduma: 'packages/cli/src/cli.ts',
  'huduma-pki': 'packages/pki/src/cli.ts',
  'huduma-sim': 'simulators/card/src/cli.ts',
  'huduma-terminal': 'terminal-app/src/cli.ts',
  'huduma-conformance': 'packages/card-conformance/src/cli.ts',
  'huduma-clearing': 'packages/clearing-service/src/cli.ts',
};

function run(source: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--conditions=huduma-source', '--import', 'tsx', source, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('every CLI', () => {
  for (const [name, source] of Object.entries(BINS)) {
    it(`${name} answers --version and --help`, () => {
      const version = run(source, '--version');
      expect(version.stderr).toBe('');
      expect(version.status).toBe(0);
      expect(version.stdout).toMatch(new RegExp(`^${name} \\d+\\.\\d+\\.\\d+\\n$`));
      const help = run(source, '--help');
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: ${name} `));
    });
  }
});
