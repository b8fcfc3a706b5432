// Ordered, versioned schema migrations, each with SQLite and PostgreSQL DDL. Applied at open in one
// transaction by the backends (sqlite/migrate.ts, postgres/migrate.ts). Append only: a later issue
// added users/model_access as version 3, and REST bearer tokens as version 4. Never edit a released
// migration; add a new one.
import { ModelwatchError } from '../../core/index.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

/** Keys of the meta table. */
export const META = Object.freeze({
  schemaVersion: 'schema-version',
  /**
   * The revision counter. PostgreSQL bumps it in every write (last, under its row lock). SQLite, whose
   * writers are already serialised, takes max(meta.revision, max(changes.rev)) and writes the counter
   * only when compaction deletes rows: one page less per transaction in the WAL.
   */
  revision: 'revision',
  /** Highest revision compacted away; the change log holds revisions above it. */
  compacted: 'compacted',
});

const META_ROWS = `INSERT INTO meta (key, value) VALUES ('${META.schemaVersion}', 0), ('${META.revision}', 0), ('${META.compacted}', 0)`;

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'entities, change log and meta',
    sqlite: [
      'CREATE TABLE meta (key TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID',
      META_ROWS,
      // data is canonical JSON text (sorted keys): text equality is deep equality (canonical-json.ts).
      // WITHOUT ROWID: one b-tree, so an update writes one page to the WAL, not a table and an index page.
      `CREATE TABLE entities (model_uuid TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
        data TEXT NOT NULL, PRIMARY KEY (model_uuid, kind, id)) WITHOUT ROWID`,
      `CREATE TABLE changes (rev INTEGER NOT NULL, model_uuid TEXT NOT NULL, kind TEXT NOT NULL,
        id TEXT NOT NULL, removed INTEGER NOT NULL, at INTEGER NOT NULL,
        PRIMARY KEY (rev, model_uuid, kind, id)) WITHOUT ROWID`,
    ],
    postgres: [
      // A low fillfactor keeps the hot counter row's updates HOT (no index churn).
      'CREATE TABLE meta (key TEXT NOT NULL PRIMARY KEY, value BIGINT NOT NULL) WITH (fillfactor = 20)',
      META_ROWS,
      // TEXT, not JSONB: jsonb rejects \u0000 in strings, and canonical text compares in SQL.
      `CREATE TABLE entities (model_uuid TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
        data TEXT NOT NULL, PRIMARY KEY (model_uuid, kind, id))`,
      `CREATE TABLE changes (rev BIGINT NOT NULL, model_uuid TEXT NOT NULL, kind TEXT NOT NULL,
        id TEXT NOT NULL, removed BOOLEAN NOT NULL, at BIGINT NOT NULL,
        PRIMARY KEY (rev, model_uuid, kind, id))`,
    ],
  },
  {
    version: 2,
    name: 'presence tables (spec/presence.md §3.4)',
    sqlite: [
      'CREATE TABLE presence_seqs (model_uuid TEXT NOT NULL PRIMARY KEY, seq BIGINT NOT NULL) WITHOUT ROWID',
      `CREATE TABLE presence_beings (model_uuid TEXT NOT NULL, seq BIGINT NOT NULL, key TEXT NOT NULL,
        PRIMARY KEY (model_uuid, seq)) WITHOUT ROWID`,
      `CREATE TABLE presence_pings (model_uuid TEXT NOT NULL, slot BIGINT NOT NULL, field_key TEXT NOT NULL,
        alive BIGINT NOT NULL DEFAULT 0, dead BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (model_uuid, slot, field_key)) WITHOUT ROWID`,
    ],
    postgres: [
      'CREATE TABLE presence_seqs (model_uuid TEXT NOT NULL PRIMARY KEY, seq BIGINT NOT NULL)',
      `CREATE TABLE presence_beings (model_uuid TEXT NOT NULL, seq BIGINT NOT NULL, key TEXT NOT NULL,
        PRIMARY KEY (model_uuid, seq))`,
      `CREATE TABLE presence_pings (model_uuid TEXT NOT NULL, slot BIGINT NOT NULL, field_key TEXT NOT NULL,
        alive BIGINT NOT NULL DEFAULT 0, dead BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (model_uuid, slot, field_key))`,
    ],
  },
  {
    version: 3,
    name: 'users, model access and agent credentials (api/auth)',
    sqlite: [
      `CREATE TABLE users (name TEXT NOT NULL PRIMARY KEY, display_name TEXT NOT NULL, password_hash TEXT NOT NULL,
        controller_access TEXT NOT NULL CHECK (controller_access IN ('login', 'superuser')), created_at INTEGER NOT NULL) WITHOUT ROWID`,
      `CREATE TABLE model_access (user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE, model_uuid TEXT NOT NULL,
        access TEXT NOT NULL CHECK (access IN ('read', 'write', 'admin')), PRIMARY KEY (user_name, model_uuid)) WITHOUT ROWID`,
      'CREATE INDEX model_access_by_model ON model_access (model_uuid)',
      // Keyed by (model, tag): an agent exists only within its model.
      `CREATE TABLE agent_credentials (model_uuid TEXT NOT NULL, tag TEXT NOT NULL, password_hash TEXT NOT NULL,
        PRIMARY KEY (model_uuid, tag)) WITHOUT ROWID`,
    ],
    postgres: [
      // COLLATE "C": listings in code-unit order, as on SQLite.
      `CREATE TABLE users (name TEXT COLLATE "C" NOT NULL PRIMARY KEY, display_name TEXT NOT NULL, password_hash TEXT NOT NULL,
        controller_access TEXT NOT NULL CHECK (controller_access IN ('login', 'superuser')), created_at BIGINT NOT NULL)`,
      `CREATE TABLE model_access (user_name TEXT COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        model_uuid TEXT COLLATE "C" NOT NULL, access TEXT NOT NULL CHECK (access IN ('read', 'write', 'admin')),
        PRIMARY KEY (user_name, model_uuid))`,
      'CREATE INDEX model_access_by_model ON model_access (model_uuid)',
      `CREATE TABLE agent_credentials (model_uuid TEXT COLLATE "C" NOT NULL, tag TEXT COLLATE "C" NOT NULL,
        password_hash TEXT NOT NULL, PRIMARY KEY (model_uuid, tag))`,
    ],
  },
  {
    version: 4,
    name: 'REST bearer tokens as SHA-256 digests (api/auth/token-store.ts)',
    // seq is the issue order, so the bound drops the oldest first even among tokens of one millisecond.
    // model_uuid is set for agents only: an agent exists only within its model. The indexes serve the
    // revocations (a user's tag; an agent or a whole model) and the purge of expired tokens.
    sqlite: [
      `CREATE TABLE bearer_tokens (seq INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('user', 'agent')), tag TEXT NOT NULL, model_uuid TEXT,
        issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, CHECK ((kind = 'agent') = (model_uuid IS NOT NULL)))`,
      'CREATE INDEX bearer_tokens_by_tag ON bearer_tokens (tag)',
      'CREATE INDEX bearer_tokens_by_model ON bearer_tokens (model_uuid, tag)',
      'CREATE INDEX bearer_tokens_by_expiry ON bearer_tokens (expires_at)',
    ],
    postgres: [
      `CREATE TABLE bearer_tokens (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, digest TEXT COLLATE "C" NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('user', 'agent')), tag TEXT COLLATE "C" NOT NULL, model_uuid TEXT COLLATE "C",
        issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, CHECK ((kind = 'agent') = (model_uuid IS NOT NULL)))`,
      'CREATE INDEX bearer_tokens_by_tag ON bearer_tokens (tag)',
      'CREATE INDEX bearer_tokens_by_model ON bearer_tokens (model_uuid, tag)',
      'CREATE INDEX bearer_tokens_by_expiry ON bearer_tokens (expires_at)',
    ],
  },
]);

/** The schema version this code writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/**
 * The migrations a database at `current` still needs, in order.
 * @throws ModelwatchError NotValid when the database is newer than this code.
 */
export function pendingMigrations(current: number, migrations: readonly Migration[] = MIGRATIONS): readonly Migration[] {
  const latest = migrations.length === 0 ? 0 : (migrations[migrations.length - 1] as Migration).version;
  if (current > latest) {
    throw new ModelwatchError(
      'NotValid',
      `database schema version ${current} is newer than this code supports (${latest}): upgrade modelwatch before opening it`,
    );
  }
  return migrations.filter((m) => m.version > current);
}
