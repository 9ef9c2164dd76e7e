/**
 * @huduma/cli — the `huduma` command: one entry point for the operator tools that live in other
 * packages (`huduma pki …` from @huduma/pki, `huduma log …` from @huduma/txlog).
 */
import { type CliIo, defineCli, runCli } from '@huduma/cli-kit';
import { pkiCommand } from '@huduma/pki';
import { logCommand } from '@huduma/txlog';
import packageJson from '../package.json' with { type: 'json' };

export type HudumaCliIo = CliIo;

export const hudumaCli = defineCli({
  name: 'huduma',
  version: packageJson.version,
  summary: 'Huduma Pay operator tools: the development PKI and transaction logs',
  commands: [pkiCommand, logCommand],
  nextStep(error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_TXLOG_NOT_FOUND' || code === 'ENOENT')
      return 'check the path (a terminal keeps its log in DIR/transactions.hlog)';
    if (code === 'ERR_PKI_NOT_FOUND') return 'create one with: huduma pki init DIR';
    return undefined;
  },
});

/** Runs `huduma ARGV…` and resolves with the process exit code. */
export async function runHudumaCli(argv: string[], io: HudumaCliIo = process): Promise<number> {
  return runCli(hudumaCli, argv, io);
}
