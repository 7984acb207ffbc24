/**
 * Schema migrations, applied in order inside one write transaction when a store opens. Never
 * edit a released migration: add the next one. The table `bga_migrations` records what ran.
 */
/** One schema change, identified by its version. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

/** Every migration, oldest first. */
export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "runs, approvals, key-value and audit log",
    sql: `
CREATE TABLE runs (
  customer_instance_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  state TEXT NOT NULL,
  rev INTEGER NOT NULL,
  idempotency_key TEXT,
  created_at TEXT NOT NULL,
  lease_expires_at TEXT,
  body TEXT NOT NULL,
  PRIMARY KEY (customer_instance_id, run_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX runs_idempotency ON runs (customer_instance_id, idempotency_key);
CREATE INDEX runs_created ON runs (customer_instance_id, created_at);
CREATE INDEX runs_lease ON runs (customer_instance_id, lease_expires_at);

CREATE TABLE run_checkpoints (
  customer_instance_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (customer_instance_id, run_id, seq)
) WITHOUT ROWID;

CREATE TABLE approvals (
  customer_instance_id TEXT NOT NULL,
  approval_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  status TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (customer_instance_id, approval_id)
) WITHOUT ROWID;
CREATE INDEX approvals_status ON approvals (customer_instance_id, status, approval_id);

CREATE TABLE kv (
  customer_instance_id TEXT NOT NULL,
  plugin_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (customer_instance_id, plugin_id, key)
) WITHOUT ROWID;

CREATE TABLE audit_records (
  customer_instance_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  record_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  ts TEXT NOT NULL,
  run_id TEXT,
  decision_id TEXT,
  actor_id TEXT,
  event_type TEXT,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  UNIQUE (customer_instance_id, seq)
);
CREATE UNIQUE INDEX audit_record_id ON audit_records (customer_instance_id, record_id);
CREATE INDEX audit_run ON audit_records (customer_instance_id, run_id, seq);
CREATE INDEX audit_decision ON audit_records (customer_instance_id, decision_id, seq);
CREATE INDEX audit_actor ON audit_records (customer_instance_id, actor_id, seq);
CREATE INDEX audit_kind ON audit_records (customer_instance_id, kind, seq);
CREATE INDEX audit_event_type ON audit_records (customer_instance_id, event_type, seq);
CREATE INDEX audit_ts ON audit_records (customer_instance_id, ts, seq);
`
  }
]
