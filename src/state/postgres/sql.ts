// SQL of the PostgreSQL backend. The write is ONE autocommit statement for a batch of plans (one
// plan, or several pairwise-disjoint plans of one process: postgres/write-batcher.ts), and its step
// order matters:
//   1. entity upserts and deletes run first (their row locks are taken before the counter's);
//   2. the revision counter row is bumped only once `changed` is complete (the count() init-plans
//      gate the UPDATE), by the number of plans that changed something, so a transaction holds the
//      counter lock only for step 3 and its commit;
//   3. the change rows are logged, each plan with its own revision, in plan order.
// Commits therefore happen in revision order: a reader that sees revision N sees every revision
// below it. A plan that changed nothing takes no revision; nothing changed: no counter bump.
// Parameters: $1–$4 sets (model, kind, id, data), $5–$7 removes, $8 models to cascade (a batch with
// a cascade holds that one plan), $9 commit time per plan, $10/$11 the plan index (0-based) of each
// set/remove. Plans never share an entity, so an identity names its plan.

import type { EntityId } from '../../core/index.js';
import { compareStored } from '../plan.js';
import type { PlannedSet } from '../plan.js';
import type { QueuedWrite } from './write-batcher.js';

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
), owners AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $10::int[]) AS o(model_uuid, kind, id, plan)
  UNION ALL SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $11::int[])
), changed AS (
  SELECT c.*, coalesce(o.plan, 0) AS plan
  FROM (SELECT * FROM sets UNION ALL SELECT * FROM removes UNION ALL SELECT * FROM cascades) c
  LEFT JOIN owners o ON o.model_uuid = c.model_uuid AND o.kind = c.kind AND o.id = c.id
), bumped AS (
  UPDATE meta SET value = value + (SELECT count(DISTINCT plan) FROM changed)
  WHERE key = 'revision' AND (SELECT count(*) FROM changed) > 0
  RETURNING value - (SELECT count(DISTINCT plan) FROM changed) AS base
), logged AS (
  INSERT INTO changes (rev, model_uuid, kind, id, removed, at)
  SELECT b.base + dense_rank() OVER (ORDER BY c.plan), c.model_uuid, c.kind, c.id, c.removed, ($9::bigint[])[c.plan + 1]
  FROM bumped b CROSS JOIN changed c
  RETURNING rev, model_uuid, kind, id, removed
)
SELECT rev, model_uuid, kind, id, removed FROM logged ORDER BY rev, model_uuid, kind, id`;

/** Parameters of sql.WRITE_SQL: the batch's union in key order (one lock order), each row with its plan. */
export function writeParams(batch: readonly QueuedWrite[]): unknown[] {
  const sets: { e: PlannedSet; plan: number }[] = [];
  const removes: { e: EntityId; plan: number }[] = [];
  batch.forEach(({ plan }, i) => {
    for (const e of plan.sets) sets.push({ e, plan: i });
    for (const e of plan.removes) removes.push({ e, plan: i });
  });
  if (batch.length > 1) {
    sets.sort((a, b) => compareStored(a.e, b.e));
    removes.sort((a, b) => compareStored(a.e, b.e));
  }
  return [
    sets.map((s) => s.e.modelUUID),
    sets.map((s) => s.e.kind),
    sets.map((s) => s.e.id),
    sets.map((s) => s.e.data),
    removes.map((r) => r.e.modelUUID),
    removes.map((r) => r.e.kind),
    removes.map((r) => r.e.id),
    batch.length === 1 ? (batch[0] as QueuedWrite).plan.cascades : [],
    batch.map((w) => w.atMs),
    sets.map((s) => s.plan),
    removes.map((r) => r.plan),
  ];
}

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
