import { command, UsageError } from '@huduma/cli-kit';
import {
  BatchUploader,
  readClearingConfig,
  type SyncReport,
  servicePublicKeyBytes,
  TerminalEngine,
  writeClearingConfig,
} from '@huduma/terminal';
import { noCardReader } from './card-source';
import { TerminalDirError } from './errors';
import { DIR } from './shared';

/** `huduma-terminal sync`: one sync with progress lines; exit 0 when every step succeeded. */
export const syncCommand = command({
  name: 'sync',
  summary: 'upload the unsynced log to the clearing service, then fetch the deny list and catalog',
  usage: '--dir D [--url http://127.0.0.1:8080 --service-key HEX]',
  options: {
    ...DIR,
    url: { type: 'string', value: 'URL', description: 'the clearing service, e.g. http://127.0.0.1:8080' },
    'service-key': {
      type: 'string',
      value: 'HEX',
      description: "the service's public key (GET /v1/service-key)",
    },
    'batch-records': { type: 'integer', description: 'records per upload batch', min: 1, max: 1_000_000 },
  },
  details: `--url and --service-key are kept in D/clearing.json for the next runs.
Exit 0 synced, 1 something failed (reason on stderr), 2 usage.`,
  async run({ values, need, io }) {
    const dir = need('dir');
    const { url } = values;
    const key = values['service-key'];
    if ((url === undefined) !== (key === undefined))
      throw new UsageError('give --url and --service-key together (or neither, to use clearing.json)');
    if (url !== undefined && key !== undefined)
      await writeClearingConfig(dir, { baseUrl: url, servicePublicKey: key });
    const config = await readClearingConfig(dir);
    if (!config) throw new UsageError(`${dir} has no clearing.json yet: give --url and --service-key once`);
    const batchRecords = values['batch-records'];
    let engine: TerminalEngine;
    try {
      engine = await TerminalEngine.open({ dir, reader: noCardReader });
    } catch (err) {
      throw new TerminalDirError(dir, err);
    }
    try {
      const uploader = new BatchUploader({
        engine,
        baseUrl: config.baseUrl,
        servicePublicKey: servicePublicKeyBytes(config),
        ...(batchRecords === undefined ? {} : { maxBatchRecords: batchRecords }),
        onProgress: (p) =>
          io.stdout.write(
            `  uploaded ${p.records}/${p.totalRecords} records, ${p.bytes} bytes, ${p.recordsPerSecond} records/s\n`,
          ),
        retryHooks: {
          onRetry: ({ attempt, delayMs, error }) =>
            io.stderr.write(
              `  attempt ${attempt} failed (${(error as Error).message}); retrying in ${delayMs} ms\n`,
            ),
        },
      });
      io.stdout.write(`syncing ${engine.config.terminalId} with ${config.baseUrl}\n`);
      const report = await uploader.syncNow();
      io.stdout.write(formatSyncReport(report, engine.status().unsyncedRecords));
      for (const err of report.errors) io.stderr.write(`error: sync: ${err.message} (${err.code})\n`);
      return report.errors.length === 0 ? 0 : 1;
    } finally {
      await engine.close();
    }
  },
});

export function formatSyncReport(report: SyncReport, unsynced: number): string {
  const lines: string[] = [];
  const u = report.upload;
  if (u)
    lines.push(
      `upload: ${u.records} records in ${u.batches} batches (${u.bytes} bytes, ${u.elapsedMs} ms); ` +
        `the service holds the log up to seq ${u.heldUpToSeq}; ${unsynced} records not yet uploaded`,
    );
  for (const r of u?.receipts ?? [])
    lines.push(
      // A duplicate answer carries the receipt of the upload that stored the batch first.
      r.status === 'duplicate'
        ? `  receipt ${r.receiptId ?? '-'}: already held (stored earlier, ${r.newRecords} records)`
        : `  receipt ${r.receiptId ?? '-'}: ${r.status}, ${r.newRecords} new, ${r.duplicateRecords} already held`,
    );
  const d = report.denyList;
  if (d)
    lines.push(
      `deny list: version ${d.fromVersion} → ${d.toVersion} (+${d.added} −${d.removed}${d.replaced ? ', replaced' : ''})`,
    );
  if (report.catalog) lines.push(`catalog: ${report.catalog.services} services`);
  if (report.revoked)
    lines.push('TERMINAL REVOKED by the clearing service: sales are stopped. Contact the acquirer.');
  if (report.forkReported)
    lines.push(
      `LOG FORK: this terminal's log differs from the service's copy; reported (alert ${report.forkReported.alertId}). Uploads stay stopped: call support.`,
    );
  return `${lines.join('\n')}\n`;
}
