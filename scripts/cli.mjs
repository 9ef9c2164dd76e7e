// `npm run huduma -- …` (and huduma-sim, huduma-terminal, conformance): runs a CLI from its
// TypeScript source in the directory the command was typed in, not in the repository root
// where npm runs scripts, so `./pki` or `card.cbor` mean what they say. Usage (package.json):
//   node --conditions=huduma-source --import tsx scripts/cli.mjs <name> [args…]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const SOURCES = {
  huduma: 'packages/cli/src/cli.ts',
  'huduma-pki': 'packages/pki/src/cli.ts',
  'huduma-sim': 'simulators/card/src/cli.ts',
  'huduma-terminal': 'terminal-app/src/cli.ts',
  'huduma-conformance': 'packages/card-conformance/src/cli.ts',
  'huduma-clearing': 'packages/clearing-service/src/cli.ts',
};

const repo = resolve(import.meta.dirname, '..');
const name = process.argv[2];
const source = SOURCES[name];
if (!source) {
  process.stderr.write(
    `scripts/cli.mjs: unknown CLI ${JSON.stringify(name)}; one of ${Object.keys(SOURCES).join(', ')}\n`,
  );
  process.exit(2);
}
process.argv.splice(2, 1);
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
await import(pathToFileURL(resolve(repo, source)).href);
