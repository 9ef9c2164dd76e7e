import { DenyListVersionError } from './errors';
import { readJsonIfExists, writeFileAtomic } from './files';

/** A change from the clearing service: cards to add and remove, moving the list from one version to the next. */
export interface DenyListDelta {
  /** The version this delta applies to (the list's current version). */
  fromVersion: number;
  toVersion: number;
  add: string[];
  remove: string[];
}

interface DenyListFile {
  version: number;
  updatedAt: number;
  cards: string[];
}

/**
 * The local list of card numbers that must not be served (lost, stolen, fraud). Versioned so
 * that a sync applies deltas in order and a missed delta is detected rather than silently
 * skipped. Persisted atomically: a crash during an update leaves the old list.
 */
export class DenyList {
  private constructor(
    private readonly path: string | undefined,
    private cards: Set<string>,
    private currentVersion: number,
    private updated: number,
  ) {}

  /** Opens the list stored at `path` (an empty version-0 list if the file does not exist yet). */
  static async open(path: string): Promise<DenyList> {
    const file = await readJsonIfExists<DenyListFile>(path);
    if (!file) return new DenyList(path, new Set(), 0, 0);
    return new DenyList(path, new Set(file.cards), file.version, file.updatedAt);
  }

  /** A list that lives in memory only (tests, tools). */
  static inMemory(cards: Iterable<string> = [], version = 0): DenyList {
    return new DenyList(undefined, new Set(cards), version, 0);
  }

  get version(): number {
    return this.currentVersion;
  }

  /** When the last delta was applied (ms), 0 if never. */
  get updatedAt(): number {
    return this.updated;
  }

  get size(): number {
    return this.cards.size;
  }

  has(cardNumber: string): boolean {
    return this.cards.has(cardNumber);
  }

  /** Applies a delta in order; a delta already applied is ignored, a gap is refused. */
  async apply(delta: DenyListDelta, now = Date.now()): Promise<void> {
    if (delta.toVersion <= this.currentVersion) return;
    if (delta.fromVersion !== this.currentVersion) {
      throw new DenyListVersionError(
        `deny-list delta ${delta.fromVersion}→${delta.toVersion} does not apply to local version ${this.currentVersion}: fetch the full list`,
      );
    }
    const next = new Set(this.cards);
    for (const c of delta.remove) next.delete(c);
    for (const c of delta.add) next.add(c);
    await this.persist(next, delta.toVersion, now);
  }

  /** Replaces the whole list (first sync, or after a version gap). */
  async replace(cards: Iterable<string>, version: number, now = Date.now()): Promise<void> {
    await this.persist(new Set(cards), version, now);
  }

  private async persist(cards: Set<string>, version: number, now: number): Promise<void> {
    if (this.path) {
      const file: DenyListFile = { version, updatedAt: now, cards: [...cards].sort() };
      await writeFileAtomic(this.path, `${JSON.stringify(file, null, 1)}\n`);
    }
    this.cards = cards;
    this.currentVersion = version;
    this.updated = now;
  }
}
