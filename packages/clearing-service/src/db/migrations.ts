import { CATALOG_SEED } from '../catalog-seed';
import { MigrationError } from '../errors';
import { PEOPLE_SCHEMA } from '../people/schema';
import type { Db } from './types';

export interface Migration {
  /** Strictly increasing; never renumber or edit a released migration, add a new one. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/*
 * Conventions of this schema:
 * - money is BIGINT cents, never NUMERIC/float;
 * - card numbers are the 16-digit PAN as TEXT (leading zeros matter);
 * - `business_date` is the Africa/Nairobi (UTC+3, no DST) calendar day of the terminal's record
 *   time, computed once at acceptance so settlement never depends on the server's time zone;
 * - terminal-supplied times are BIGINT Unix seconds; server-side times are TIMESTAMPTZ.
 */
const INITIAL_SCHEMA = `
CREATE TABLE merchants (
  merchant_id   TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE terminals (
  terminal_id   TEXT PRIMARY KEY,
  merchant_id   TEXT NOT NULL REFERENCES merchants(merchant_id),
  public_key    BYTEA NOT NULL,
  certificate   BYTEA,
  status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  last_seq      BIGINT,
  head_hash     BYTEA,
  registered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at    TIMESTAMPTZ
);

CREATE TABLE batches (
  batch_id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  terminal_id   TEXT NOT NULL REFERENCES terminals(terminal_id),
  batch_hash    BYTEA NOT NULL,
  first_seq     BIGINT NOT NULL,
  last_seq      BIGINT NOT NULL,
  record_count  INTEGER NOT NULL CHECK (record_count >= 0),
  tree_size     BIGINT,
  receipt       BYTEA,
  received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (terminal_id, batch_hash)
);

CREATE TABLE accepted_records (
  record_id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  terminal_id       TEXT NOT NULL REFERENCES terminals(terminal_id),
  seq               BIGINT NOT NULL CHECK (seq >= 0),
  record_hash       BYTEA NOT NULL,
  record            BYTEA NOT NULL,
  record_type       TEXT NOT NULL,
  merchant_id       TEXT NOT NULL REFERENCES merchants(merchant_id),
  card_number       TEXT,
  card_counter      BIGINT,
  amount_cents      BIGINT NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
  bill_ref          TEXT,
  service_code      INTEGER,
  occurred_at       BIGINT NOT NULL,
  business_date     DATE NOT NULL,
  merkle_leaf_index BIGINT UNIQUE,
  batch_id          BIGINT REFERENCES batches(batch_id),
  received_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (terminal_id, seq)
);
CREATE INDEX accepted_records_settlement ON accepted_records (business_date, merchant_id, record_type);
CREATE INDEX accepted_records_card ON accepted_records (card_number, card_counter);

CREATE TABLE cards (
  card_number          TEXT PRIMARY KEY CHECK (card_number ~ '^[0-9]{16}$'),
  last_counter         BIGINT,
  shadow_balance_cents BIGINT NOT NULL DEFAULT 0,
  status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked', 'cloned')),
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per (card, transaction counter): a second, different record claiming the same
-- counter is proof that the card's secret was cloned.
CREATE TABLE card_counters (
  card_number  TEXT NOT NULL,
  counter      BIGINT NOT NULL CHECK (counter >= 0),
  record_hash  BYTEA NOT NULL,
  terminal_id  TEXT NOT NULL,
  seq          BIGINT NOT NULL,
  PRIMARY KEY (card_number, counter)
);

CREATE TABLE alerts (
  alert_id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind            TEXT NOT NULL,
  severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  terminal_id     TEXT,
  card_number     TEXT,
  details         JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  acknowledged_at TIMESTAMPTZ
);
CREATE INDEX alerts_created ON alerts (created_at DESC);

-- Append-only log; the version is allocated under the row lock of deny_list_head so versions
-- are gapless and become visible in commit order (a client polling ?since=N never misses one).
CREATE TABLE deny_list (
  version     BIGINT PRIMARY KEY CHECK (version > 0),
  card_number TEXT NOT NULL CHECK (card_number ~ '^[0-9]{16}$'),
  action      TEXT NOT NULL CHECK (action IN ('add', 'remove')),
  reason      TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX deny_list_card ON deny_list (card_number, version DESC);
CREATE TABLE deny_list_head (
  singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
  version   BIGINT NOT NULL
);
INSERT INTO deny_list_head (singleton, version) VALUES (true, 0);

CREATE TABLE catalog (
  service_code INTEGER PRIMARY KEY CHECK (service_code BETWEEN 1 AND 65535),
  name         TEXT NOT NULL,
  agency       TEXT NOT NULL,
  fee_cents    BIGINT NOT NULL CHECK (fee_cents >= 0),
  active       BOOLEAN NOT NULL DEFAULT true
);

CREATE TABLE bills (
  bill_ref       TEXT PRIMARY KEY,
  service_code   INTEGER NOT NULL REFERENCES catalog(service_code),
  amount_cents   BIGINT NOT NULL CHECK (amount_cents > 0),
  status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'cancelled')),
  paid_record_id BIGINT REFERENCES accepted_records(record_id),
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  paid_at        TIMESTAMPTZ
);

CREATE TABLE pending_topups (
  topup_id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider        TEXT NOT NULL,
  provider_txn_id TEXT NOT NULL,
  card_number     TEXT NOT NULL CHECK (card_number ~ '^[0-9]{16}$'),
  amount_cents    BIGINT NOT NULL CHECK (amount_cents > 0),
  payer           TEXT,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'authorized', 'loaded', 'expired')),
  received_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (provider, provider_txn_id)
);
CREATE INDEX pending_topups_card ON pending_topups (card_number, status);

CREATE TABLE load_authorizations (
  authorization_id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topup_id          BIGINT NOT NULL UNIQUE REFERENCES pending_topups(topup_id),
  card_number       TEXT NOT NULL,
  amount_cents      BIGINT NOT NULL CHECK (amount_cents > 0),
  terminal_id       TEXT REFERENCES terminals(terminal_id),
  authorization_blob BYTEA,
  status            TEXT NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'consumed', 'expired')),
  consumed_record_id BIGINT REFERENCES accepted_records(record_id),
  issued_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Hashes of every complete (perfect, aligned) subtree of the RFC 6962 tree; level 0 holds the
-- leaf hashes. Any inclusion proof is assembled from O(log n) of these rows.
CREATE TABLE merkle_nodes (
  level      SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 62),
  node_index BIGINT NOT NULL CHECK (node_index >= 0),
  hash       BYTEA NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (level, node_index)
);
-- Row lock that serialises appends; frontier = roots of the perfect subtrees of the current
-- tree, largest first, concatenated (32 bytes each).
CREATE TABLE merkle_state (
  singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
  tree_size BIGINT NOT NULL,
  frontier  BYTEA NOT NULL
);
INSERT INTO merkle_state (singleton, tree_size, frontier) VALUES (true, 0, ''::bytea);
CREATE TABLE merkle_tree_heads (
  tree_size  BIGINT PRIMARY KEY,
  root_hash  BYTEA NOT NULL,
  timestamp_ms BIGINT NOT NULL,
  signature  BYTEA NOT NULL,
  signed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
`;

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const CATALOG_SQL = `INSERT INTO catalog (service_code, name, agency, fee_cents) VALUES\n${CATALOG_SEED.map(
  (s) => `  (${s.serviceCode}, ${sqlString(s.name)}, ${sqlString(s.agency)}, ${s.feeCents})`,
).join(',\n')}\nON CONFLICT (service_code) DO NOTHING;`;

/*
 * Phase 2: uploads verified record by record. card_counters keeps what the card signed for each
 * counter (for the shadow balance), accepted_records says why a record is flagged, terminals can
 * be revoked before they ever upload, and load authorizations are matched to reload records.
 */
const PHASE2_SCHEMA = `
ALTER TABLE card_counters
  ADD COLUMN tx_type             SMALLINT,
  ADD COLUMN amount_cents        BIGINT,
  ADD COLUMN balance_after       BIGINT,
  ADD COLUMN offline_spend_after BIGINT;

ALTER TABLE accepted_records
  ADD COLUMN flags        TEXT,
  ADD COLUMN shift_id     TEXT,
  ADD COLUMN terminal_seq BIGINT;
CREATE INDEX accepted_records_shift ON accepted_records (terminal_id, shift_id) WHERE shift_id IS NOT NULL;
CREATE INDEX accepted_records_bill ON accepted_records (bill_ref) WHERE bill_ref IS NOT NULL;

CREATE TABLE revoked_terminals (
  terminal_id TEXT PRIMARY KEY,
  reason      TEXT NOT NULL,
  revoked_by  TEXT NOT NULL,
  revoked_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE load_authorizations
  ALTER COLUMN topup_id DROP NOT NULL,
  DROP CONSTRAINT load_authorizations_topup_id_key,
  ADD COLUMN source        TEXT NOT NULL DEFAULT 'topup' CHECK (source IN ('cash', 'topup')),
  ADD COLUMN card_counter  BIGINT,
  ADD COLUMN terminal_seq  BIGINT,
  ADD COLUMN load_ref      TEXT;
CREATE INDEX load_authorizations_match ON load_authorizations (card_number, terminal_id, terminal_seq);
CREATE INDEX load_authorizations_topup ON load_authorizations (topup_id);

ALTER TABLE batches ADD COLUMN receipt_signature BYTEA;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: INITIAL_SCHEMA },
  { version: 2, name: 'seed eCitizen service catalog', sql: CATALOG_SQL },
  { version: 3, name: 'phase 2: verified uploads, fraud rules, load authorizations', sql: PHASE2_SCHEMA },
  {
    version: 4,
    name: 'leaf indexes per batch',
    // A batch's new records get consecutive leaves, in seq order: leaf = first_leaf_index +
    // (seq - first_seq). Storing one number per batch keeps the row inserts out of the Merkle lock.
    sql: 'ALTER TABLE batches ADD COLUMN first_leaf_index BIGINT;',
  },
  {
    version: 5,
    name: 'load authorizations before a terminal first uploads',
    // A Huduma Centre terminal may reload a card before it has ever uploaded (and so before it
    // is enrolled): its certificate authenticated the request, which is what matters.
    sql: 'ALTER TABLE load_authorizations DROP CONSTRAINT load_authorizations_terminal_id_fkey;',
  },
  {
    version: 6,
    name: 'lighter accepted_records indexes for the upload path',
    // Every uploaded record paid for two index entries nothing reads: (card_number, card_counter)
    // (card lookups go to card_counters) and merkle_leaf_index, NULL since version 4 (leaves are
    // per batch). Uniqueness of the phase-1 leaf indexes is kept by a partial index.
    sql: `DROP INDEX accepted_records_card;
ALTER TABLE accepted_records DROP CONSTRAINT accepted_records_merkle_leaf_index_key;
CREATE UNIQUE INDEX accepted_records_leaf ON accepted_records (merkle_leaf_index) WHERE merkle_leaf_index IS NOT NULL;`,
  },
  {
    version: 7,
    name: 'terminal request nonces',
    // A signed terminal request is accepted once: its (terminal, nonce) is kept until its
    // timestamp leaves the clock-skew window (expires_ms), after which the timestamp check alone
    // refuses a replay. In the database, so that processes sharing it catch replays too.
    sql: `CREATE TABLE terminal_request_nonces (
  terminal_id TEXT NOT NULL,
  nonce       BYTEA NOT NULL,
  expires_ms  BIGINT NOT NULL,
  PRIMARY KEY (terminal_id, nonce)
);
CREATE INDEX terminal_request_nonces_expiry ON terminal_request_nonces (expires_ms);`,
  },
  {
    version: 8,
    name: 'issued-card registry and storage write probe',
    // Mobile-money top-ups are accepted only for issued cards: the issuer's import lands here
    // (cards seen in uploads count too, through card_counters). storage_probe stays empty: the
    // health check inserts into it and rolls back, to find out whether storage can still write.
    sql: `CREATE TABLE issued_cards (
  card_number   TEXT PRIMARY KEY CHECK (card_number ~ '^[0-9]{16}$'),
  source        TEXT NOT NULL,
  registered_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE storage_probe (filler BYTEA NOT NULL);`,
  },
  {
    version: 9,
    name: 'card ring records for the reload sync rule',
    // Card v2 (SPEC.md §2.12, §6.10): the load authority signs a RELOAD only when the service
    // holds every record of the card up to its counter. A reloading terminal sends the card's
    // unsynced ring proofs with its request; they are kept here (verified, card-signed) so the
    // service holds them even before the logs that carry them are uploaded. Not settled from here.
    sql: `CREATE TABLE card_ring_records (
  card_number TEXT NOT NULL,
  counter     BIGINT NOT NULL CHECK (counter >= 1),
  record_hash BYTEA NOT NULL,
  proof       BYTEA NOT NULL,
  terminal_id TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (card_number, counter)
);`,
  },
  { version: 11, name: 'accounts, sessions, audit trail, alert triage', sql: PEOPLE_SCHEMA },
  {
    version: 12,
    name: 'deny-list version each terminal last fetched',
    // Its own table, not columns on terminals: a terminal may fetch the deny list before its
    // first upload creates its terminals row. One row per terminal, overwritten by each fetch.
    sql: `CREATE TABLE terminal_deny_list_fetches (
  terminal_id TEXT PRIMARY KEY,
  version     BIGINT NOT NULL CHECK (version >= 0),
  fetched_at  TIMESTAMPTZ NOT NULL
);`,
  },
  {
    version: 13,
    name: 'accepted_records reference their batch only',
    // Every accepted record was checked against three foreign keys, one trigger query each per
    // row: ~7 µs of the server's ~70 µs per uploaded record (bench:clearing, pg_stat_statements).
    // The terminal and merchant of a record are its batch's by construction (one statement
    // inserts the batch and its records, under the terminal's row lock), batches reference
    // their terminal, and nothing deletes terminals or merchants: the batch key keeps the chain.
    sql: `ALTER TABLE accepted_records DROP CONSTRAINT accepted_records_terminal_id_fkey;
ALTER TABLE accepted_records DROP CONSTRAINT accepted_records_merchant_id_fkey;`,
  },
  {
    version: 14,
    name: 'leaves found by leaf index',
    // Uploads store the Merkle nodes of level 4 and up only (merkle.ts, UPLOAD_NODES_FROM_LEVEL):
    // a proof rebuilds the few lower nodes it needs from the records, found through their batch.
    sql: 'CREATE INDEX batches_first_leaf ON batches (first_leaf_index) WHERE first_leaf_index IS NOT NULL;',
  },
  {
    version: 15,
    name: 'accepted_records keep their batch by construction',
    // The last foreign key an uploaded record was checked against, one trigger query per row
    // (~2.3 µs of the server's ~50 µs per record, pg_stat_statements). A record and its batch are
    // inserted by one statement (ingest-insert.ts), and nothing deletes batches.
    sql: 'ALTER TABLE accepted_records DROP CONSTRAINT accepted_records_batch_id_fkey;',
  },
];

// Arbitrary constant shared by every instance of the service: concurrent startups against one
// PostgreSQL server queue on this lock instead of racing to apply the same migration.
const MIGRATION_LOCK_KEY = 4_842_160_301;

/**
 * Applies every migration not yet recorded in `schema_migrations`, each in its own transaction
 * (DDL is transactional in PostgreSQL, so a failed migration leaves no trace). Safe to call on
 * every startup and from several processes at once. Returns the versions applied now.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) {
      throw new MigrationError(
        `migration versions must increase: ${migrations[i]!.version} follows ${migrations[i - 1]!.version}`,
      );
    }
  }
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
  });
  const applied: number[] = [];
  for (const migration of migrations) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.length > 0) return false;
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new MigrationError(
          `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
        );
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (didApply) applied.push(migration.version);
  }
  return applied;
}

export async function appliedMigrations(db: Db): Promise<number[]> {
  const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((r) => r.version);
}
