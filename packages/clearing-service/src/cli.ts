#!/usr/bin/env node
import { command, defineCli, runMain } from '@huduma/cli-kit';
import packageJson from '../package.json' with { type: 'json' };
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

export const clearingCli = defineCli({
  name: 'huduma-clearing',
  version: packageJson.version,
  summary: 'the Huduma clearing service: verifies uploads, catches cloned cards, settles per merchant',
  commands: [serveCommand],
});

await runMain(clearingCli);
