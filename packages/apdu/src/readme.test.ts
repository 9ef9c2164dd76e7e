import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const examplePath = `${packageDir}examples/readme.ts`;

describe('README example', () => {
  it('is the same code as examples/readme.ts', () => {
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
    expect(output.trim()).toBe('OK 564953');
  });
});
