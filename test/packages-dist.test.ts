/**
 * What an integrator installs is the built package, not our sources: every workspace package's
 * dist must load through `require` (CJS) and `import` (ESM), export the same names as its
 * src/index.ts, and ship type declarations. `npm test` builds before it runs the tests.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/**
 * Loads a built entry in a plain `node` (no source condition, no test-runner transforms), as an
 * integrator's program would, and prints its export names.
 */
function exportNamesOfBuild(file: string, how: 'require' | 'import'): string[] {
  const script =
    how === 'require'
      ? `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(file)}))))`
      : `import(${JSON.stringify(pathToFileURL(file).href)}).then((m) => console.log(JSON.stringify(Object.keys(m))))`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return (JSON.parse(out.trim().split('\n').pop()!) as string[]).sort();
}

interface ExportEntry {
  'huduma-source': string;
  import: { types: string; default: string };
  require: { types: string; default: string };
}

interface Manifest {
  name: string;
  /** Applications and tools (terminal-app, the fleet simulator) are not published: ESM only. */
  private?: boolean;
  exports?: Record<string, ExportEntry | string>;
}

function workspacePackages(): Array<{ dir: string; manifest: Manifest }> {
  const dirs = ['card-applet-spec'];
  for (const parent of ['packages', 'simulators']) {
    for (const name of readdirSync(join(ROOT, parent))) dirs.push(join(parent, name));
  }
  return dirs
    .filter((d) => existsSync(join(ROOT, d, 'package.json')))
    .map((d) => ({
      dir: join(ROOT, d),
      manifest: JSON.parse(readFileSync(join(ROOT, d, 'package.json'), 'utf8')),
    }))
    .filter((p) => p.manifest.exports?.['.'] && !p.manifest.private);
}

describe('built packages (ESM + CJS + types)', () => {
  const packages = workspacePackages();

  it('finds the workspace packages', () => {
    expect(packages.length).toBeGreaterThanOrEqual(10);
  });

  for (const { dir, manifest } of packages) {
    for (const [subpath, entry] of Object.entries(manifest.exports!)) {
      if (typeof entry === 'string') continue; // ./package.json
      const name = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
      it(`${name}: require and import load the same public API`, async () => {
        const files = [entry.import.types, entry.import.default, entry.require.types, entry.require.default];
        for (const file of files) {
          expect(existsSync(join(dir, file)), `${name}: ${file} missing (run npm run build)`).toBe(true);
        }
        const source = (await import(pathToFileURL(join(dir, entry['huduma-source'])).href)) as Record<
          string,
          unknown
        >;
        const names = Object.keys(source).sort();
        expect(names.length).toBeGreaterThan(0);
        expect(exportNamesOfBuild(join(dir, entry.import.default), 'import')).toEqual(names);
        expect(exportNamesOfBuild(join(dir, entry.require.default), 'require')).toEqual(names);
      });
    }
  }
});
