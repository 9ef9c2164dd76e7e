/**
 * `huduma-clearing user add --role operator|auditor|merchant --username NAME [--merchant ID]
 * (--data DIR | --database-url URL)`: creates an account, e.g. the first operator. The password
 * comes from $HUDUMA_USER_PASSWORD or the first line of standard input, never from argv (argv is
 * visible to every user of the machine in the process list).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../db/migrations';
import { openPgliteDb } from '../db/pglite';
import { openPostgresDb } from '../db/postgres';
import type { Db } from '../db/types';
import { InputError } from '../errors';
import { createAccount, type Role } from './accounts';
import { appendAudit } from './audit';

export const USER_USAGE = `Usage:
  huduma-clearing user add --role operator|auditor|merchant --username NAME [--merchant ID]
                           (--data DIR | --database-url URL)
  Password: $HUDUMA_USER_PASSWORD, else the first line of standard input (12-256 characters).
`;

export interface UserCliIo {
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  out: (text: string) => void;
  /** For tests: an open, migrated database instead of --data / --database-url. */
  db?: Db;
}

async function readPassword(io: UserCliIo): Promise<string> {
  const fromEnv = io.env.HUDUMA_USER_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  const text = await io.readStdin();
  return text.split(/\r?\n/, 1)[0] ?? '';
}

export async function runUserCommand(argv: string[], io: UserCliIo): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'add')
    throw new InputError('ERR_CLI_USAGE', `user: unknown subcommand ${sub ?? '(none)'}\n${USER_USAGE}`);
  const { values } = parseArgs({
    args: rest,
    options: {
      role: { type: 'string' },
      username: { type: 'string' },
      merchant: { type: 'string' },
      data: { type: 'string' },
      'database-url': { type: 'string' },
      password: { type: 'string' },
    },
    strict: true,
  });
  if (values.password !== undefined) {
    throw new InputError(
      'ERR_CLI_PASSWORD_ARGV',
      '--password: refused (visible in the process list); use $HUDUMA_USER_PASSWORD or stdin',
    );
  }
  if (!values.role || !values.username)
    throw new InputError('ERR_CLI_USAGE', `--role and --username are required\n${USER_USAGE}`);
  if (!io.db && !values.data === !values['database-url']) {
    throw new InputError('ERR_CLI_USAGE', `one of --data or --database-url is required\n${USER_USAGE}`);
  }
  const password = await readPassword(io);
  const db =
    io.db ??
    (values['database-url']
      ? await openPostgresDb(values['database-url'])
      : await openPgliteDb(join(values.data!, 'pgdata')));
  try {
    if (!io.db) await migrate(db);
    const account = await db.transaction(async (tx) => {
      const a = await createAccount(tx, {
        username: values.username!,
        role: values.role as Role,
        ...(values.merchant === undefined ? {} : { merchantId: values.merchant }),
        password,
      });
      await appendAudit(tx, {
        actor: `cli:${io.env.USER ?? 'unknown'}`,
        action: 'account-create',
        subject: `account:${a.username}`,
        reason: 'created with huduma-clearing user add',
        details: { role: a.role, merchantId: a.merchantId },
      });
      return a;
    });
    io.out(`created ${account.role} ${account.username}\n`);
  } finally {
    if (!io.db) await db.close();
  }
}
