/**
 * @huduma/cli — the `huduma` command: one entry point for the operator tools that live in other
 * packages (`huduma pki …` from @huduma/pki, `huduma log …` from @huduma/txlog).
 */
import { runPkiCli } from '@huduma/pki';
import { runLogCli } from '@huduma/txlog';

export interface HudumaCliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

const USAGE = `usage: huduma <command> …
  huduma pki init DIR                      create the development PKI (CA keys written 0600)
  huduma pki issue-terminal DIR --id T --merchant M --caps debit,undebit,…
  huduma pki show CERTFILE
  huduma log verify FILE [--terminal-cert CERT] [--json]
  huduma log export FILE --format json|csv
`;

/** Runs `huduma ARGV…` and resolves with the process exit code. */
export async function runHudumaCli(argv: string[], io: HudumaCliIo = process): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'pki':
      return runPkiCli(rest, io);
    case 'log':
      return runLogCli(rest, io);
    case undefined:
    case 'help':
    case '--help':
      (command ? io.stdout : io.stderr).write(USAGE);
      return command ? 0 : 2;
    default:
      io.stderr.write(`huduma: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}
