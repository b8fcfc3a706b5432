// Validation of State.listPage queries: they come from RPC params and REST query strings.
import { ModelwatchError, validateId, validateKind, validateModelUUID } from '../core/index.js';
import type { ListPageQuery } from './state.js';
import { MAX_PAGE_LIMIT } from './state.js';

/** Kinds a page may name at most (each is one term of an IN list). */
export const MAX_PAGE_KINDS = 1000;

/**
 * A valid driver query from `query`, kinds deduplicated.
 * @throws ModelwatchError NotValid naming the field (query.modelUUID, query.kinds[i], query.after.id, query.limit).
 */
export function checkPageQuery(query: ListPageQuery): ListPageQuery {
  const raw: unknown = query;
  if (raw === null || typeof raw !== 'object') throw new ModelwatchError('NotValid', 'query not valid: must be an object');
  validateModelUUID(query.modelUUID, 'query.modelUUID');
  const { limit } = query;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new ModelwatchError('NotValid', `query.limit not valid: must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  }
  const out: { modelUUID: string; limit: number; kinds?: string[]; after?: { kind: string; id: string } } = { modelUUID: query.modelUUID, limit };
  const kinds: unknown = query.kinds;
  if (kinds !== undefined) {
    if (!Array.isArray(kinds) || kinds.length === 0 || kinds.length > MAX_PAGE_KINDS) {
      throw new ModelwatchError('NotValid', `query.kinds not valid: must be an array of 1 to ${MAX_PAGE_KINDS} kinds`);
    }
    const valid = kinds.map((k: unknown, i): string => {
      validateKind(k, `query.kinds[${i}]`);
      return k;
    });
    out.kinds = [...new Set(valid)];
  }
  if (query.after !== undefined) {
    const a: unknown = query.after;
    if (a === null || typeof a !== 'object') throw new ModelwatchError('NotValid', 'query.after not valid: must be an object');
    validateKind(query.after.kind, 'query.after.kind');
    validateId(query.after.id, 'query.after.id');
    out.after = { kind: query.after.kind, id: query.after.id };
  }
  return out;
}

/**
 * The SQL of a page: `param()` names the next placeholder (`?` or `$n`), `collate` is appended to
 * each compared column (PostgreSQL's COLLATE "C"; SQLite's BINARY is already byte order).
 */
export function pageSql(query: ListPageQuery, param: () => string, collate: string): { text: string; values: Array<string | number> } {
  const values: Array<string | number> = [query.modelUUID];
  const where = [`model_uuid = ${param()}`];
  if (query.kinds !== undefined) {
    where.push(`kind IN (${query.kinds.map(() => param()).join(', ')})`);
    values.push(...query.kinds);
  }
  const kind = `kind${collate}`;
  const id = `id${collate}`;
  if (query.after !== undefined) {
    where.push(`(${kind} > ${param()} OR (kind = ${param()} AND ${id} > ${param()}))`);
    values.push(query.after.kind, query.after.kind, query.after.id);
  }
  const text = `SELECT model_uuid, kind, id, data FROM entities WHERE ${where.join(' AND ')} ORDER BY ${kind}, ${id} LIMIT ${param()}`;
  values.push(query.limit);
  return { text, values };
}
