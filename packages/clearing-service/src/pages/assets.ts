/**
 * The pages' scripts, bundled from this directory's TypeScript by esbuild on first request and
 * kept in memory (no CDN, no build step to forget; the same bytes from source and from dist,
 * which ships src/). HTML and CSS are small enough to live here as strings.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PAGE_SCRIPTS = {
  'console.js': 'console-page.ts',
  'merchant.js': 'merchant-page.ts',
  'receipt-check.js': 'receipt-page.ts',
} as const;
export type PageScript = keyof typeof PAGE_SCRIPTS;

function pagesDir(): string {
  // ESM (source and dist/index.js) has import.meta.url; the CommonJS build has __filename.
  const here = dirname(typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url));
  for (const dir of [here, join(here, '..', 'pages'), join(here, '..', 'src', 'pages')]) {
    if (existsSync(join(dir, 'page-kit.ts'))) return dir;
  }
  throw new Error(`page sources not found near ${here}`);
}

const bundles = new Map<PageScript, Promise<string>>();

export function pageScript(name: PageScript): Promise<string> {
  let p = bundles.get(name);
  if (!p) {
    p = (async () => {
      const esbuild = await import('esbuild');
      const out = await esbuild.build({
        entryPoints: [join(pagesDir(), PAGE_SCRIPTS[name])],
        bundle: true,
        write: false,
        format: 'iife',
        platform: 'browser',
        target: 'es2022',
        minify: true,
        conditions: ['huduma-source'],
        logLevel: 'silent',
      });
      return out.outputFiles[0]!.text;
    })();
    p.catch(() => bundles.delete(name));
    bundles.set(name, p);
  }
  return p;
}

export const STYLE = `
:root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fff; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; }
header { display: flex; justify-content: space-between; align-items: center; border-bottom: 2px solid #0b6e4f; }
h1 { color: #0b6e4f; font-size: 1.4rem; }
label { display: block; margin-top: .5rem; font-weight: 600; }
input, select, textarea, button { font: inherit; padding: .3rem .5rem; }
button { background: #0b6e4f; color: #fff; border: 0; border-radius: 4px; margin: .3rem .3rem .3rem 0; cursor: pointer; }
button.sort { background: none; color: #1b1b1b; font-weight: 700; padding: 0; }
table { border-collapse: collapse; margin: .5rem 0; width: 100%; }
caption { text-align: left; font-weight: 600; }
th, td { border-bottom: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }
.bar { fill: #0b6e4f; }
svg { max-width: 24rem; height: 8rem; display: block; }
figure.chart { display: inline-block; margin: .5rem 1rem .5rem 0; vertical-align: top; }
figcaption { font-weight: 600; }
.verified { color: #0b6e4f; font-weight: 700; }
.refused { color: #a4161a; font-weight: 700; }
a { color: #0a4f8a; }
`;

export function pageHtml(title: string, script: PageScript): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Huduma Pay</title>
<link rel="stylesheet" href="/assets/style.css">
<script defer src="/assets/${script}"></script>
</head>
<body>
<header><h1>${title}</h1><div id="who"></div></header>
<main id="main"><p>Loading…</p></main>
</body>
</html>
`;
}
