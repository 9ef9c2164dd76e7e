import { toHex } from '@huduma/card-applet-spec';
import { FrameScanner, readFileHeader } from './frame';
import { decodeRecord, type LogRecord, RECORD_FIELDS, RECORD_TYPES, recordHash } from './records';
import { openForRead } from './verify';

export type ExportFormat = 'json' | 'csv';

/** Columns of the CSV export: envelope, then every field name in schema order, then the record hash. */
export const CSV_COLUMNS: readonly string[] = [
  'seq',
  'type',
  'time',
  'timeIso',
  ...new Set(RECORD_TYPES.flatMap((type) => RECORD_FIELDS[type].map(([name]) => name))),
  'prevHash',
  'hash',
];

function plain(record: LogRecord, hash: Uint8Array): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key] = value instanceof Uint8Array ? toHex(value) : (value as string | number);
  }
  out.timeIso = new Date(record.time).toISOString();
  out.hash = toHex(hash);
  return out;
}

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The log as lines of text: JSON (an array, one record object per line; bytes as hex) or CSV.
 * Reads without modifying the file; stops silently at a torn tail and throws on mid-file corruption.
 */
export async function* exportLines(path: string, format: ExportFormat): AsyncGenerator<string> {
  const fh = await openForRead(path);
  try {
    const size = (await fh.stat()).size;
    const empty = (await readFileHeader(fh, size, path)) === 'torn';
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`;
    else yield '[\n';
    let first = true;
    if (!empty) {
      for await (const batch of new FrameScanner(fh, size).batches()) {
        for (const frame of batch) {
          const record = plain(decodeRecord(frame.payload), recordHash(frame.payload));
          if (format === 'csv') {
            yield `${CSV_COLUMNS.map((column) => csvCell(record[column])).join(',')}\n`;
          } else {
            yield `${first ? '' : ',\n'}${JSON.stringify(record)}`;
          }
          first = false;
        }
      }
    }
    if (format === 'json') yield first ? ']\n' : '\n]\n';
  } finally {
    await fh.close();
  }
}

/** The whole export as one string (for large logs prefer exportLines). */
export async function exportLog(path: string, format: ExportFormat): Promise<string> {
  const parts: string[] = [];
  for await (const line of exportLines(path, format)) parts.push(line);
  return parts.join('');
}
