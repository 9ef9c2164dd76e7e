import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('browser bundle', () => {
  it('bundles src/index.ts for the browser with no Node builtins', async () => {
    let esbuild: typeof import('esbuild');
    try {
      esbuild = await import('esbuild');
    } catch {
      throw new Error('esbuild is missing: it comes with tsup; run `npm install` at the repository root');
    }
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions: ['huduma-source'],
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes('card-applet-spec/src'))).toBe(true);
    expect(
      inputs.filter((i) => i.startsWith('node:') || /(^|\/)node_modules\/(buffer|process)\//.test(i)),
    ).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|\bBuffer\.from\b/);
    expect(code).toMatch(/HudumaCard = class/);
  });
});
