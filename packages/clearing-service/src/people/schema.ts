/**
 * Migration 11: people who sign in (operators, auditors, merchants), their server-side sessions,
 * login throttling counters, alert triage notes and the append-only audit trail.
 *
 * The audit trail refuses UPDATE, DELETE and TRUNCATE with triggers, so not even the service's
 * own database role can rewrite history through SQL; only a superuser dropping the trigger could.
 */
export const PEOPLE_SCHEMA = `
CREATE TABLE accounts (
  account_id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{3,64}$'),
  role          TEXT NOT NULL CHECK (role IN ('operator', 'auditor', 'merchant')),
  merchant_id   TEXT REFERENCES merchants(merchant_id),
  password_hash TEXT NOT NULL,
  disabled      BOOLEAN NOT NULL DEFAULT false,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((role = 'merchant') = (merchant_id IS NOT NULL))
);

-- The cookie carries a random token; only its SHA-256 is stored, so a leaked table opens nothing.
CREATE TABLE sessions (
  token_hash  BYTEA PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  account_id  BIGINT NOT NULL REFERENCES accounts(account_id),
  csrf_token  TEXT NOT NULL,
  expires_ms  BIGINT NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sessions_expiry ON sessions (expires_ms);

-- One row per throttled subject: 'account:<username>' or 'ip:<address>'.
CREATE TABLE login_failures (
  subject         TEXT PRIMARY KEY,
  failures        INTEGER NOT NULL CHECK (failures >= 0),
  locked_until_ms BIGINT NOT NULL
);

CREATE TABLE alert_triage (
  triage_id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id   BIGINT NOT NULL REFERENCES alerts(alert_id),
  status     TEXT NOT NULL CHECK (status IN ('open', 'investigating', 'resolved', 'false-positive')),
  note       TEXT NOT NULL,
  actor      TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX alert_triage_alert ON alert_triage (alert_id, triage_id DESC);

CREATE TABLE audit_trail (
  entry_id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  subject    TEXT NOT NULL,
  reason     TEXT NOT NULL,
  details    JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE FUNCTION audit_trail_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_trail_no_rewrite BEFORE UPDATE OR DELETE ON audit_trail
  FOR EACH ROW EXECUTE FUNCTION audit_trail_refuse_change();
CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON audit_trail
  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_refuse_change();

`;
