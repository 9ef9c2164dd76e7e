import { join } from 'node:path';
import { fromHex, toHex as hex } from '@huduma/card-applet-spec';
import {
  checkpointMessage,
  denyListMessage,
  type LogSigner,
  MAX_BATCH_RECORDS,
  nodeCryptoSigner,
  type StoredRecord,
} from '@huduma/txlog';
import { type Service, ServiceCatalog } from '../catalog';
import type { DenyList } from '../deny-list';
import { readJsonIfExists, writeFileAtomic } from '../files';
import {
  type BatchReceiptAnswer,
  ClearingClient,
  type SignedDenyListAnswer,
  type TerminalCredentials,
  verifyServiceSignature,
} from './client';
import { ClearingRejectedError, ServiceSignatureError, SyncError, SyncStateMismatchError } from './errors';
import { DEFAULT_RETRY_POLICY, type RetryHooks, type RetryPolicy, withRetry } from './retry';

/** What the uploader needs from the terminal: `TerminalEngine` provides all of it. */
export interface SyncTarget {
  readonly config: {
    dir: string;
    terminalId: string;
    certificateBytes: Uint8Array;
    privateKey: Uint8Array;
    /** v2: the certified key QT is the terminal's ECDH key; it also signs requests and seals. */
    certificate: { keyAgreementKey: Uint8Array };
  };
  readonly denyList: DenyList;
  readonly syncedRecordCount: number;
  status(): { logRecords: number };
  storedRecords(fromSeq?: number): AsyncGenerator<StoredRecord>;
  checkpoint(): Promise<void>;
  markSynced(syncedRecordCount: number): Promise<void>;
  /** Records durably that the service revoked this terminal (the engine then refuses every sale). */
  markRevoked?(detail: string): Promise<void>;
}

/** Reported after each acknowledged part of an upload. */
export interface UploadProgress {
  /** Records the service acknowledged since this upload began, and how many there are to send. */
  records: number;
  totalRecords: number;
  /** Record bytes sent in acknowledged batches. */
  bytes: number;
  batches: number;
  elapsedMs: number;
  recordsPerSecond: number;
  bytesPerSecond: number;
  /** The service holds the log up to this seq. */
  heldUpToSeq: number;
}

export interface UploadReport extends UploadProgress {
  /** The synced marker after the upload (records 0..syncedRecordCount-1 are acknowledged). */
  syncedRecordCount: number;
  /** Records logged after the last checkpoint while uploading, left for the next sync. */
  leftForNextSync: number;
  receipts: BatchReceiptAnswer[];
  /** Failed attempts that were retried. */
  retries: number;
}

export interface DenyListReport {
  fromVersion: number;
  toVersion: number;
  added: number;
  removed: number;
  /** True when the whole list was replaced (the local version was unknown to the service). */
  replaced: boolean;
}

export interface SyncReport {
  upload?: UploadReport;
  denyList?: DenyListReport;
  catalog?: { services: number };
  /** What failed; the other steps still ran. */
  errors: SyncError[];
  /** The service said this terminal is revoked (recorded in the terminal; sales stop). */
  revoked?: boolean;
  /** The alert the service raised when this sync reported that the logs disagree. */
  forkReported?: { alertId: number };
}

export interface BatchUploaderOptions {
  engine: SyncTarget;
  /** Base URL(s) of the clearing service (several are tried in order), or a ready client. */
  baseUrl?: string | readonly string[];
  client?: ClearingClient;
  /** The service key that signs deny lists and receipts (65-byte uncompressed point). */
  servicePublicKey: Uint8Array;
  /** Records per upload batch (default 500; the service takes up to 10,000). */
  maxBatchRecords?: number;
  retry?: Partial<RetryPolicy>;
  retryHooks?: RetryHooks;
  onProgress?: (progress: UploadProgress) => void;
  /** Deny lists signed longer ago than this are refused as replays (default 1 h). */
  maxDenyListAgeMs?: number;
  clock?: () => number;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Where the fetched catalog is kept in the terminal directory. */
export const CATALOG_FILE = 'catalog.json';

interface CatalogFile {
  fetchedAt: number;
  services: Service[];
}

/** The catalog the last sync fetched, if any (pass it to `TerminalEngine.open({ catalog })`). */
export async function loadSavedCatalog(terminalDir: string): Promise<ServiceCatalog | undefined> {
  const file = await readJsonIfExists<CatalogFile>(join(terminalDir, CATALOG_FILE));
  return file ? new ServiceCatalog(file.services) : undefined;
}

/** Hex from the service, or a ServiceSignatureError naming the field: never a codec crash. */
function serviceHex(text: unknown, field: string): Uint8Array {
  try {
    if (typeof text !== 'string') throw new TypeError('not a string');
    return fromHex(text);
  } catch {
    throw new ServiceSignatureError(`the service sent a ${field} that is not hex`);
  }
}

/**
 * Uploads the terminal's log to the clearing service and brings back the deny list and the
 * catalog. The log is never changed except by appending checkpoints; the synced marker moves
 * only to what the service has acknowledged (a receipt, or its state answer), so a dropped
 * connection, a crash or a refused batch never loses or skips a record: the next attempt asks
 * the service where it stands and resumes from there.
 */
export class BatchUploader {
  readonly client: ClearingClient;
  private readonly engine: SyncTarget;
  private readonly policy: RetryPolicy;
  private readonly maxBatchRecords: number;
  private readonly clock: () => number;
  private inFlight: Promise<SyncReport> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Seals batches that do not end with a checkpoint (the terminal key, as for checkpoints). */
  private readonly sealer: LogSigner;

  constructor(private readonly options: BatchUploaderOptions) {
    this.engine = options.engine;
    this.clock = options.clock ?? Date.now;
    const c = options.engine.config;
    const credentials: TerminalCredentials = {
      terminalId: c.terminalId,
      certificateBytes: c.certificateBytes,
      privateKey: c.privateKey,
      publicKey: c.certificate.keyAgreementKey,
    };
    if (!options.client && !options.baseUrl) throw new TypeError('BatchUploader needs baseUrl or client');
    this.client =
      options.client ??
      new ClearingClient({
        baseUrl: options.baseUrl!,
        terminal: credentials,
        clock: this.clock,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      });
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.maxBatchRecords = Math.min(MAX_BATCH_RECORDS, Math.max(2, options.maxBatchRecords ?? 500));
    this.sealer = nodeCryptoSigner(c.privateKey, c.terminalId);
  }

  /** Upload, deny list, catalog, one after the other; one sync at a time (a second call joins the first). */
  syncNow(): Promise<SyncReport> {
    if (!this.inFlight) {
      this.inFlight = this.sync().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /** Syncs every `intervalMs` in the background; outcomes go to the callbacks. */
  start(intervalMs: number, callbacks: { onSync?: (r: SyncReport) => void } = {}): void {
    this.stop();
    this.timer = setInterval(() => {
      this.checkpointIfLong()
        .catch(() => false)
        .then(() => this.syncNow())
        .then(
          (r) => callbacks.onSync?.(r),
          () => {},
        );
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the background timer and waits for a sync in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight?.catch(() => {});
  }

  private async sync(): Promise<SyncReport> {
    const report: SyncReport = { errors: [] };
    const step = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof SyncError) {
          if (isRevocation(err)) {
            await this.noteRevoked(err);
            report.revoked = true;
          }
          if (err instanceof SyncStateMismatchError && err.forkReport) report.forkReported = err.forkReport;
          report.errors.push(err);
          return undefined;
        }
        throw err;
      }
    };
    const upload = await step(() => this.upload());
    if (upload) report.upload = upload;
    const deny = await step(() => this.refreshDenyList());
    if (deny) report.denyList = deny;
    const catalog = await step(() => this.refreshCatalog());
    if (catalog) report.catalog = { services: catalog.list().length };
    return report;
  }

  /**
   * Uploads every unsynced record: asks the service what it holds, checkpoints the tail if it
   * does not end with a checkpoint, sends it in parts that each end with a checkpoint, and
   * advances the synced marker after each receipt. Retryable failures (network, 5xx) start over
   * from the service's state after a backoff; a refusal (4xx) throws ClearingRejectedError with
   * the record and the reason, and the marker stays where it was.
   */
  async upload(): Promise<UploadReport> {
    const started = this.clock();
    let startHeld: number | undefined;
    let totalRecords = 0;
    let bytes = 0;
    let batches = 0;
    let retries = 0;
    let heldUpToSeq = -1;
    let leftForNextSync = 0;
    const receipts: BatchReceiptAnswer[] = [];
    const progress = (): UploadProgress => {
      const elapsedMs = Math.max(1, this.clock() - started);
      const records = heldUpToSeq - (startHeld ?? heldUpToSeq);
      return {
        records,
        totalRecords,
        bytes,
        batches,
        elapsedMs,
        recordsPerSecond: Math.round((records * 1000) / elapsedMs),
        bytesPerSecond: Math.round((bytes * 1000) / elapsedMs),
        heldUpToSeq,
      };
    };
    const hooks: RetryHooks = {
      ...this.options.retryHooks,
      onRetry: (info) => {
        retries++;
        this.options.retryHooks?.onRetry?.(info);
      },
    };
    await withRetry(
      async (progressed) => {
        const state = await this.client.state();
        if (state.status === 'revoked') {
          const err = new ClearingRejectedError(
            403,
            'ERR_TERMINAL_REVOKED',
            `terminal ${state.terminalId} is revoked`,
          );
          await this.noteRevoked(err);
          throw err;
        }
        const held = state.lastSeq ?? -1;
        heldUpToSeq = held;
        if (startHeld === undefined) startHeld = held;
        const count = this.engine.status().logRecords;
        if (held >= count)
          throw new SyncStateMismatchError(
            `the service holds this terminal's log up to seq ${held}, but the local log has ${count} records`,
          );
        const tail = await this.readTail(Math.max(0, held));
        if (held >= 0) {
          const first = tail.shift();
          if (!first || first.seq !== held || hex(first.hash) !== state.headHash) {
            const err = new SyncStateMismatchError(
              `record ${held} held by the service (hash ${state.headHash}) differs from the local record ${held}` +
                (first ? ` (hash ${hex(first.hash)})` : ''),
            );
            // A fork: say so to the service (a critical alert there), and never upload over it.
            if (first && state.headHash)
              err.forkReport = await this.client
                .reportFork({ seq: held, localHash: hex(first.hash), serviceHash: state.headHash })
                .then(
                  (a) => ({ alertId: a.alertId }),
                  () => undefined,
                );
            throw err;
          }
        }
        // The service acknowledged these already (perhaps in a batch whose answer was lost).
        await this.markSynced(held + 1);
        if (tail.length === 0) return;
        if (tail[tail.length - 1]!.record.type !== 'checkpoint') {
          // A checkpoint keeps the log self-proving; when it cannot be written (a full disk)
          // the upload goes on anyway: a batch not ending in a checkpoint carries a seal.
          const checkpointed = await this.engine.checkpoint().then(
            () => true,
            () => false,
          );
          if (checkpointed) tail.push(...(await this.readTail(tail[tail.length - 1]!.seq + 1)));
        }
        // Everything read is sent: records appended after this read go up in the next sync.
        leftForNextSync = 0;
        const toSend = tail;
        totalRecords = Math.max(totalRecords, (toSend[toSend.length - 1]?.seq ?? held) - startHeld);
        for (const part of this.split(toSend)) {
          const receipt = await this.client.uploadBatch(
            part.map((r) => r.bytes),
            await this.sealFor(part[part.length - 1]!),
          );
          const lastSeq = part[part.length - 1]!.seq;
          if (receipt.heldUpToSeq < lastSeq)
            throw new SyncStateMismatchError(
              `the service acknowledged up to seq ${receipt.heldUpToSeq} after a batch ending at ${lastSeq}`,
            );
          this.checkReceipt(receipt);
          receipts.push(receipt);
          heldUpToSeq = receipt.heldUpToSeq;
          bytes += part.reduce((n, r) => n + r.bytes.length, 0);
          batches++;
          await this.markSynced(heldUpToSeq + 1);
          progressed();
          this.options.onProgress?.(progress());
        }
      },
      this.policy,
      hooks,
    ).catch(async (err) => {
      // A revoked terminal learns it from any signed answer (403 ERR_TERMINAL_REVOKED) and keeps it.
      if (isRevocation(err)) await this.noteRevoked(err);
      throw err;
    });
    return {
      ...progress(),
      syncedRecordCount: this.engine.syncedRecordCount,
      leftForNextSync,
      receipts,
      retries,
    };
  }

  /** Fetches the deny-list changes since the local version, checks the service signature, applies them. */
  async refreshDenyList(): Promise<DenyListReport> {
    const list = this.engine.denyList;
    const fromVersion = list.version;
    let answer: SignedDenyListAnswer;
    let replaced = false;
    try {
      answer = await withRetry(() => this.client.denyList(fromVersion), this.policy, this.options.retryHooks);
    } catch (err) {
      // The service does not know our version (it was rebuilt): take its whole list.
      if (!(err instanceof ClearingRejectedError && err.serviceCode === 'ERR_DENY_LIST_VERSION')) throw err;
      answer = await withRetry(() => this.client.denyList(0), this.policy, this.options.retryHooks);
      replaced = true;
    }
    const asked = replaced ? 0 : fromVersion;
    if (answer.sinceVersion !== asked)
      throw new ServiceSignatureError(
        `asked for deny-list changes since ${asked}, got since ${answer.sinceVersion}`,
      );
    const signed = verifyServiceSignature(
      this.options.servicePublicKey,
      denyListMessage(answer),
      serviceHex(answer.signature, 'deny-list signature'),
    );
    if (!signed) throw new ServiceSignatureError('the deny list does not verify with the service key');
    const age = this.clock() - answer.issuedAtMs;
    const maxAge = this.options.maxDenyListAgeMs ?? 3600_000;
    if (age > maxAge)
      throw new ServiceSignatureError(
        `the deny list was signed ${Math.round(age / 1000)} s ago (limit ${maxAge / 1000} s): a replay?`,
      );
    const add = answer.entries.filter((e) => e.action === 'add').map((e) => e.cardNumber);
    const remove = answer.entries.filter((e) => e.action === 'remove').map((e) => e.cardNumber);
    const now = this.clock();
    if (replaced) await list.replace(add, answer.version, now);
    else if (answer.version > fromVersion)
      await list.apply({ fromVersion, toVersion: answer.version, add, remove }, now);
    return { fromVersion, toVersion: list.version, added: add.length, removed: remove.length, replaced };
  }

  /** Fetches the catalog and keeps it in the terminal directory (`loadSavedCatalog`). */
  async refreshCatalog(): Promise<ServiceCatalog> {
    const answer = await withRetry(() => this.client.catalog(), this.policy, this.options.retryHooks);
    const services: Service[] = answer.services.map((s) => ({
      code: s.serviceCode,
      name: s.name,
      feeCents: s.feeCents,
    }));
    const catalog = new ServiceCatalog(services);
    const file: CatalogFile = { fetchedAt: this.clock(), services };
    await writeFileAtomic(join(this.engine.config.dir, CATALOG_FILE), `${JSON.stringify(file, null, 1)}\n`);
    return catalog;
  }

  /**
   * Offline housekeeping for the background loop: when more than a batch of records has been
   * logged since the last checkpoint, checkpoint, so a long backlog can later go up in parts.
   */
  async checkpointIfLong(): Promise<boolean> {
    const tail = await this.readTail(this.engine.syncedRecordCount);
    let since = 0;
    for (let i = tail.length - 1; i >= 0 && tail[i]!.record.type !== 'checkpoint'; i--) since++;
    if (since < this.maxBatchRecords - 1) return false;
    await this.engine.checkpoint();
    return true;
  }

  private async noteRevoked(err: SyncError): Promise<void> {
    await this.engine.markRevoked?.(err.message);
  }

  private async markSynced(count: number): Promise<void> {
    await this.engine.markSynced(count);
  }

  private checkReceipt(receipt: BatchReceiptAnswer): void {
    if (receipt.terminalId !== this.client.terminalId)
      throw new ServiceSignatureError(`receipt is for terminal ${receipt.terminalId}`);
    if (
      !verifyServiceSignature(
        this.options.servicePublicKey,
        serviceHex(receipt.receipt, 'receipt'),
        serviceHex(receipt.signature, 'receipt signature'),
      )
    )
      throw new ServiceSignatureError(`receipt ${receipt.receiptId} does not verify with the service key`);
  }

  private async readTail(fromSeq: number): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    for await (const r of this.engine.storedRecords(fromSeq)) out.push(r);
    return out;
  }

  /** The seal a batch ending with `last` needs: none after a checkpoint, else a fresh terminal signature. */
  private async sealFor(last: StoredRecord): Promise<Uint8Array | undefined> {
    if (last.record.type === 'checkpoint') return undefined;
    return this.sealer.sign(checkpointMessage(this.engine.config.terminalId, last.seq, last.hash));
  }

  /**
   * Parts of at most maxBatchRecords records. A part ends at a checkpoint when one falls in its
   * second half (no seal needed, and old services accept it); otherwise it is cut at the size
   * limit and sealed, so no stretch of the log without checkpoints can block an upload.
   */
  private split(records: StoredRecord[]): StoredRecord[][] {
    const parts: StoredRecord[][] = [];
    let start = 0;
    while (start < records.length) {
      const limit = Math.min(records.length, start + this.maxBatchRecords);
      let end = limit - 1;
      if (limit < records.length) {
        const half = start + Math.floor(this.maxBatchRecords / 2);
        for (let i = limit - 1; i >= half; i--) {
          if (records[i]!.record.type === 'checkpoint') {
            end = i;
            break;
          }
        }
      }
      parts.push(records.slice(start, end + 1));
      start = end + 1;
    }
    return parts;
  }
}

/** The service refused a signed request or an upload because this terminal is revoked. */
function isRevocation(err: unknown): boolean {
  return err instanceof ClearingRejectedError && err.serviceCode === 'ERR_TERMINAL_REVOKED';
}
