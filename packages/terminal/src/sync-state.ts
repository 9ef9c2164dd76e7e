import { readJsonIfExists, writeFileAtomic } from './files';

interface SyncFile {
  /** Last successful sync with the clearing service, ms. */
  lastSyncAt: number;
  /** Number of log records the clearing service has acknowledged (records 0..n-1). */
  syncedRecordCount: number;
  /** True once a sync succeeded (lastSyncAt is the provisioning time until then). */
  synced?: boolean;
  /** Set when the clearing service answered that this terminal is revoked; never cleared here. */
  revoked?: { at: number; detail: string };
}

/**
 * How far the terminal is from its last contact with the clearing service. The sync client
 * (built later) calls `markSynced` after an upload is acknowledged; the engine reads it to
 * enforce the offline-time and unsynced-records limits.
 */
export class SyncState {
  private constructor(
    private readonly path: string,
    private state: SyncFile,
  ) {}

  static async create(path: string, now: number): Promise<SyncState> {
    const s = new SyncState(path, { lastSyncAt: now, syncedRecordCount: 0 });
    await s.save();
    return s;
  }

  static async open(path: string, now = Date.now()): Promise<SyncState> {
    const file = await readJsonIfExists<SyncFile>(path);
    return file ? new SyncState(path, file) : SyncState.create(path, now);
  }

  get lastSyncAt(): number {
    return this.state.lastSyncAt;
  }

  /** Whether the terminal has ever synced: until then lastSyncAt is when it was provisioned. */
  get everSynced(): boolean {
    return this.state.synced === true;
  }

  get syncedRecordCount(): number {
    return this.state.syncedRecordCount;
  }

  /** When the clearing service said this terminal is revoked (sales stop for good). */
  get revoked(): { at: number; detail: string } | undefined {
    return this.state.revoked;
  }

  async markRevoked(detail: string, now = Date.now()): Promise<void> {
    if (this.state.revoked) return;
    this.state = { ...this.state, revoked: { at: now, detail } };
    await this.save();
  }

  async markSynced(syncedRecordCount: number, now = Date.now()): Promise<void> {
    this.state = {
      ...this.state,
      lastSyncAt: now,
      synced: true,
      syncedRecordCount: Math.max(syncedRecordCount, this.state.syncedRecordCount),
    };
    await this.save();
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(this.state)}\n`);
  }
}
