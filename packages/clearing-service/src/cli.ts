#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ClearingError } from './errors';
import { runUserCommand, USER_USAGE } from './people/cli-user';
import { serve } from './server';

const USAGE = `Usage:
  huduma-clearing serve (--data DIR | --database-url URL) [--port N] [--host ADDR] [--key FILE]

  --data DIR          embedded PostgreSQL (PGlite) in DIR/pgdata; service key and operator token in DIR
  --database-url URL  PostgreSQL server, e.g. postgres://huduma@127.0.0.1:5432/clearing
  --key FILE          service P-256 key (PKCS#8 PEM, created with mode 0600 if missing)
  --port N            default 8080
  --host ADDR         default 127.0.0.1 (loopback only)
  --pki DIR           development PKI (huduma pki init): trusted CA keys and the load-authority key

Environment:
  HUDUMA_OPERATOR_TOKEN         operator bearer token (default: DIR/operator-token, generated)
  HUDUMA_TOPUP_CALLBACK_TOKEN   shared secret expected in X-Callback-Token on /v1/topups/mpesa

${USER_USAGE}`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'user') {
    const readStdin = async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    return runUserCommand(rest, { env: process.env, readStdin, out: (t) => process.stdout.write(t) });
  }
  if (command !== 'serve') {
    process.stderr.write(USAGE);
    process.exitCode = command === undefined || command === '--help' || command === '-h' ? 0 : 2;
    return;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      data: { type: 'string' },
      'database-url': { type: 'string' },
      key: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      pki: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port ${values.port} is not a port number`);
  const service = await serve({
    ...(values.data === undefined ? {} : { dataDir: values.data }),
    ...(values['database-url'] === undefined ? {} : { databaseUrl: values['database-url'] }),
    ...(values.key === undefined ? {} : { keyFile: values.key }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.pki === undefined ? {} : { pkiDir: values.pki }),
    port,
  });
  if (service.operatorTokenFile) {
    service.app.log.info({ operatorTokenFile: service.operatorTokenFile }, 'operator token is in this file');
  }
  const stop = async (signal: string) => {
    service.app.log.info({ signal }, 'shutting down');
    await service.close();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const code = error instanceof ClearingError ? `${error.code}: ` : '';
  process.stderr.write(`huduma-clearing: ${code}${(error as Error).message}\n`);
  process.exitCode = 1;
});
