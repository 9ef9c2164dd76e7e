/**
 * What an integrator installs is the `npm pack` tarball of each published package. These tests
 * pack them all once (prepack copies the root LICENSE in) and check, offline:
 * - the tarball lists LICENSE and dist, and no test files or sources;
 * - @arethetypeswrong/cli finds no problem for node16 from CJS and from ESM, nor for bundlers
 *   (`require` must get `.d.cts` types, `import` `.d.ts`);
 * - a CommonJS TypeScript project (`module: node16`, no `"type": "module"`) that imports every
 *   entry of every package type-checks with tsc.
 * `npm test` builds the packages before it runs the tests.
 */

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
// Inside the repository so that the consumer resolves third-party dependencies (@noble, fastify,
// @types/node) from the root node_modules, while @huduma/* resolve to the unpacked tarballs.
const WORK = join(ROOT, '.tmp', 'packages-types');

interface PackedFile {
  path: string;
}
interface Packed {
  name: string;
  filename: string;
  files: PackedFile[];
}
interface Manifest {
  name: string;
  private?: boolean;
  exports?: Record<string, unknown>;
}

function publishedPackages(): Manifest[] {
  const dirs = ['card-applet-spec'];
  for (const parent of ['packages', 'simulators']) {
    for (const name of readdirSync(join(ROOT, parent))) dirs.push(join(parent, name));
  }
  return dirs
    .filter((d) => existsSync(join(ROOT, d, 'package.json')))
    .map((d) => JSON.parse(readFileSync(join(ROOT, d, 'package.json'), 'utf8')) as Manifest)
    .filter((m) => !m.private);
}

const run = promisify(execFile);
const packages = publishedPackages();
let packed: Packed[] = [];

beforeAll(() => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(join(WORK, 'tarballs'), { recursive: true });
  const out = execFileSync(
    'npm',
    [
      'pack',
      '--json',
      '--pack-destination',
      join(WORK, 'tarballs'),
      ...packages.flatMap((p) => ['-w', p.name]),
    ],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  packed = JSON.parse(out) as Packed[];
}, 180_000);

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe('npm pack tarballs', () => {
  it('packs every published workspace package', () => {
    expect(packages.length).toBeGreaterThanOrEqual(10);
    expect(packed.map((p) => p.name).sort()).toEqual(packages.map((p) => p.name).sort());
  });

  it('each ships LICENSE and dist, and no tests or sources', () => {
    for (const p of packed) {
      const paths = p.files.map((f) => f.path);
      expect(paths, p.name).toContain('LICENSE');
      expect(
        paths.filter((f) => /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$|^src\//.test(f)),
        p.name,
      ).toEqual([]);
      expect(
        paths.some((f) => f.startsWith('dist/')),
        p.name,
      ).toBe(true);
    }
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toContain('Apache License');
  });

  // node16 profile: node10 resolution cannot see subpath exports (@huduma/sdk/node) at all.
  it('@arethetypeswrong/cli finds no problem for node16 (CJS and ESM) and bundlers', async () => {
    const attw = join(ROOT, 'node_modules', '.bin', 'attw');
    const failures: string[] = [];
    const queue = [...packed];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const tarball = join(WORK, 'tarballs', p.filename);
        await run(attw, [tarball, '--profile', 'node16', '--format', 'ascii'], { cwd: ROOT }).catch(
          (error: { stdout?: string; stderr?: string }) =>
            failures.push(`${p?.name}:\n${error.stdout ?? ''}${error.stderr ?? ''}`),
        );
      }
    };
    await Promise.all([worker(), worker()]); // two at a time: a 2-core machine
    expect(failures.join('\n')).toBe('');
  }, 240_000);

  it('a CommonJS TypeScript project type-checks against every entry of every package', async () => {
    const project = join(WORK, 'cjs-consumer');
    const scope = join(project, 'node_modules', '@huduma');
    mkdirSync(scope, { recursive: true });
    const lines: string[] = [];
    for (const p of packed) {
      const dir = join(scope, p.name.slice('@huduma/'.length));
      mkdirSync(dir, { recursive: true });
      execFileSync('tar', ['-xzf', join(WORK, 'tarballs', p.filename), '-C', dir, '--strip-components=1']);
      const manifest = packages.find((m) => m.name === p.name)!;
      for (const subpath of Object.keys(manifest.exports ?? {})) {
        if (subpath.endsWith('.json')) continue;
        const specifier = subpath === '.' ? p.name : `${p.name}/${subpath.slice(2)}`;
        lines.push(`import * as m${lines.length} from '${specifier}';`);
      }
    }
    const uses = lines.map((_, i) => `m${i}`).join(', ');
    writeFileSync(join(project, 'index.ts'), `${lines.join('\n')}\nexport const entries = [${uses}];\n`);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'cjs-consumer', private: true }));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['index.ts'],
      }),
    );
    const output = await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', project], {
      cwd: project,
    }).then(
      () => '',
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    expect(output).toBe('');
  }, 120_000);
});
