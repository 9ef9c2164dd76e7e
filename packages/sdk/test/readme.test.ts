import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const examplePath = `${packageDir}examples/quickstart.ts`;

describe('README quickstart', () => {
  it('shows examples/quickstart.ts verbatim', () => {
    const readme = readFileSync(`${packageDir}README.md`, 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(examplePath, 'utf8'));
  });

  it('runs and prints what its comment says', () => {
    const output = execFileSync(
      process.execPath,
      ['--conditions=huduma-source', '--import', 'tsx', examplePath],
      {
        cwd: packageDir,
        encoding: 'utf8',
      },
    );
    const expected = /\/\/ -> (.*)$/m.exec(readFileSync(examplePath, 'utf8'))?.[1];
    expect(expected).toBe('executed 48750 6');
    expect(output.trim()).toBe(expected);
  });
});
