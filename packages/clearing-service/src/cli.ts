#!/usr/bin/env -S node --max-semi-space-size=64
// A young generation of 64 MB semi-spaces: an upload holds ~1,000 decoded records while the
// database works, so with V8's default (16 MB) each scavenge copied them again; 64 MB cut the
// main thread's scavenge time per ingested record by about 60 % (bench:clearing, --trace-gc).
import { command, defineCli, runMain } from '@huduma/cli-kit';
import packageJson from '../package.json' with { type: 'json' };
import { runUserCommand } from './people/cli-user';
import { serve } from './server';

const serveCommand = command({
  name: 'serve',
  summary: 'run the clearing service (HTTP) until SIGINT or SIGTERM',
  usage: '(--data DIR | --database-url URL) [--port N] [--host ADDR] [--key FILE] [--pki DIR]',
  options: {
    data: {
      type: 'string',
      value: 'DIR',
      description: 'embedded PostgreSQL (PGlite) in DIR/pgdata; key and token in DIR',
    },
    'database-url': {
      type: 'string',
      value: 'URL',
      description: 'PostgreSQL server, e.g. postgres://huduma@127.0.0.1:5432/clearing',
    },
    key: {
      type: 'string',
      value: 'FILE',
      description: 'service P-256 key (PKCS#8 PEM, created 0600 if missing)',
    },
    port: { type: 'integer', description: 'default 8080', min: 0, max: 65535 },
    host: { type: 'string', value: 'ADDR', description: 'default 127.0.0.1 (loopback only)' },
    pki: {
      type: 'string',
      value: 'DIR',
      description: 'development PKI: trusted CA keys and the load-authority key',
    },
  },
  details: `Environment:
  HUDUMA_OPERATOR_TOKEN         operator bearer token (default: DIR/operator-token, generated)
  HUDUMA_TOPUP_CALLBACK_TOKEN   shared secret expected in X-Callback-Token on /v1/topups/mpesa`,
  async run({ values }) {
    const service = await serve({
      ...(values.data === undefined ? {} : { dataDir: values.data }),
      ...(values['database-url'] === undefined ? {} : { databaseUrl: values['database-url'] }),
      ...(values.key === undefined ? {} : { keyFile: values.key }),
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(values.pki === undefined ? {} : { pkiDir: values.pki }),
      port: values.port ?? 8080,
    });
    if (service.operatorTokenFile) {
      service.app.log.info(
        { operatorTokenFile: service.operatorTokenFile },
        'operator token is in this file',
      );
    }
    const stop = async (signal: string) => {
      service.app.log.info({ signal }, 'shutting down');
      await service.close();
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    return 0;
  },
});

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const userAddCommand = command({
  name: 'add',
  summary: 'create an operator, auditor or merchant account of the back office',
  usage: '--role operator|auditor|merchant --username NAME [--merchant ID] (--data DIR | --database-url URL)',
  options: {
    role: { type: 'string', value: 'ROLE', description: 'operator, auditor or merchant', required: true },
    username: { type: 'string', value: 'NAME', description: 'the sign-in name', required: true },
    merchant: { type: 'string', value: 'ID', description: "the merchant's id (role merchant)" },
    data: { type: 'string', value: 'DIR', description: 'the embedded database of `serve --data DIR`' },
    'database-url': { type: 'string', value: 'URL', description: 'a PostgreSQL server' },
  },
  details: `The password comes from $HUDUMA_USER_PASSWORD, else the first line of standard input
(12-256 characters); never from the command line, where other users could read it.`,
  async run({ values, io }) {
    const argv = ['add'];
    for (const [name, value] of Object.entries(values))
      if (value !== undefined) argv.push(`--${name}`, String(value));
    await runUserCommand(argv, { env: process.env, readStdin, out: (text) => io.stdout.write(text) });
    return 0;
  },
});

const userCommand = command({
  name: 'user',
  summary: 'back-office accounts (passwords hashed with argon2id)',
  commands: [userAddCommand],
});

export const clearingCli = defineCli({
  name: 'huduma-clearing',
  version: packageJson.version,
  summary: 'the Huduma clearing service: verifies uploads, catches cloned cards, settles per merchant',
  commands: [serveCommand, userCommand],
});

await runMain(clearingCli);
