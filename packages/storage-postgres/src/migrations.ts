/**
 * Schema migrations, applied in order in one transaction when a store opens, under an advisory
 * lock so replicas starting together do not race. Never edit a released migration: add the
 * next one. Text columns that are compared or sorted use the "C" collation, so ids, keys and
 * timestamps order by bytes exactly as in the other adapters.
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
  customer_instance_id text COLLATE "C" NOT NULL,
  run_id text COLLATE "C" NOT NULL,
  state text NOT NULL,
  rev bigint NOT NULL,
  idempotency_key text COLLATE "C",
  created_at text COLLATE "C" NOT NULL,
  lease_worker text,
  lease_epoch bigint,
  lease_expires_at text COLLATE "C",
  body text NOT NULL,
  PRIMARY KEY (customer_instance_id, run_id)
);
CREATE UNIQUE INDEX runs_idempotency ON runs (customer_instance_id, idempotency_key);
CREATE INDEX runs_created ON runs (customer_instance_id, created_at);
CREATE INDEX runs_lease ON runs (customer_instance_id, lease_expires_at) WHERE lease_expires_at IS NOT NULL;

CREATE TABLE run_checkpoints (
  customer_instance_id text COLLATE "C" NOT NULL,
  run_id text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (customer_instance_id, run_id, seq)
);

CREATE TABLE approvals (
  customer_instance_id text COLLATE "C" NOT NULL,
  approval_id text COLLATE "C" NOT NULL,
  run_id text COLLATE "C" NOT NULL,
  status text NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (customer_instance_id, approval_id)
);
CREATE INDEX approvals_status ON approvals (customer_instance_id, status, approval_id);

CREATE TABLE kv (
  customer_instance_id text COLLATE "C" NOT NULL,
  plugin_id text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  value text NOT NULL,
  updated_at text NOT NULL,
  PRIMARY KEY (customer_instance_id, plugin_id, key)
);

CREATE TABLE audit_records (
  customer_instance_id text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  record_id text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  ts text COLLATE "C" NOT NULL,
  run_id text COLLATE "C",
  decision_id text COLLATE "C",
  actor_id text COLLATE "C",
  event_type text COLLATE "C",
  payload text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (customer_instance_id, seq)
);
CREATE UNIQUE INDEX audit_record_id ON audit_records (customer_instance_id, record_id);
CREATE INDEX audit_run ON audit_records (customer_instance_id, run_id, seq) WHERE run_id IS NOT NULL;
CREATE INDEX audit_decision ON audit_records (customer_instance_id, decision_id, seq) WHERE decision_id IS NOT NULL;
CREATE INDEX audit_actor ON audit_records (customer_instance_id, actor_id, seq) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_kind ON audit_records (customer_instance_id, kind, seq);
CREATE INDEX audit_event_type ON audit_records (customer_instance_id, event_type, seq) WHERE event_type IS NOT NULL;
CREATE INDEX audit_ts ON audit_records (customer_instance_id, ts, seq);
`
  }
]
