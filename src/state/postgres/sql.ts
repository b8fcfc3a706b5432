// SQL of the PostgreSQL backend. The write is ONE autocommit statement whose step order matters:
//   1. entity upserts and deletes run first (their row locks are taken before the counter's);
//   2. the revision counter row is bumped only once `changed` is complete (the count() init-plan
//      gates the UPDATE), so a transaction holds the counter lock only for step 3 and its commit;
//   3. the change rows are logged with the new revision.
// Commits therefore happen in revision order: a reader that sees revision N sees every revision
// below it. Nothing changed: no counter bump, no revision, no change row.

export const WRITE_SQL = `
WITH sets AS (
  INSERT INTO entities AS e (model_uuid, kind, id, data)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
  ON CONFLICT (model_uuid, kind, id) DO UPDATE SET data = excluded.data
    WHERE e.data IS DISTINCT FROM excluded.data
  RETURNING e.model_uuid, e.kind, e.id, false AS removed
), removes AS (
  DELETE FROM entities e USING unnest($5::text[], $6::text[], $7::text[]) AS r(model_uuid, kind, id)
  WHERE e.model_uuid = r.model_uuid AND e.kind = r.kind AND e.id = r.id
  RETURNING e.model_uuid, e.kind, e.id, true AS removed
), cascades AS (
  DELETE FROM entities e WHERE e.model_uuid = ANY($8::text[]) AND NOT EXISTS (
    SELECT 1 FROM unnest($1::text[], $2::text[], $3::text[]) AS s(model_uuid, kind, id)
    WHERE s.model_uuid = e.model_uuid AND s.kind = e.kind AND s.id = e.id)
  RETURNING e.model_uuid, e.kind, e.id, true AS removed
), changed AS (
  SELECT * FROM sets UNION ALL SELECT * FROM removes UNION ALL SELECT * FROM cascades
), bumped AS (
  UPDATE meta SET value = value + 1 WHERE key = 'revision' AND (SELECT count(*) FROM changed) > 0
  RETURNING value
), logged AS (
  INSERT INTO changes (rev, model_uuid, kind, id, removed, at)
  SELECT b.value, c.model_uuid, c.kind, c.id, c.removed, $9::bigint FROM bumped b CROSS JOIN changed c
  RETURNING rev, model_uuid, kind, id, removed
)
SELECT rev, model_uuid, kind, id, removed FROM logged ORDER BY model_uuid, kind, id`;

export const REVISION_SQL = "SELECT value FROM meta WHERE key = 'revision'";
export const FLOOR_SQL = "SELECT value FROM meta WHERE key = 'compacted'";

export const CHANGES_SQL = `SELECT rev, model_uuid, kind, id, removed, at FROM changes WHERE rev > $1
  ORDER BY rev, model_uuid, kind, id LIMIT $2`;
export const REVISION_ROWS_SQL = `SELECT rev, model_uuid, kind, id, removed, at FROM changes WHERE rev = $1
  ORDER BY model_uuid, kind, id`;

export const GET_SQL = 'SELECT data FROM entities WHERE model_uuid = $1 AND kind = $2 AND id = $3';
export const ALL_SQL = 'SELECT model_uuid, kind, id, data FROM entities ORDER BY model_uuid, kind, id';

/** Highest revision eligible for compaction in ($1, $2] logged before $3. */
export const COMPACT_CUT_SQL = 'SELECT max(rev) AS cut FROM changes WHERE rev > $1 AND rev <= $2 AND at < $3';
export const COMPACT_DELETE_SQL = 'DELETE FROM changes WHERE rev <= $1';
/** GREATEST: two controllers compacting at once never move the floor backwards. */
export const COMPACT_FLOOR_SQL = "UPDATE meta SET value = GREATEST(value, $1) WHERE key = 'compacted'";

/** SQLSTATEs after which the whole statement had no effect and may simply be run again. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['40P01', '40001']);
