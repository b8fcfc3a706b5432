// Request bodies of the REST routes, as zod schemas, and their parsing into typed values. A body
// that does not match answers 400 `invalid request: <path>: <detail>` naming the first problem.
import { z } from 'zod';
import { ModelwatchError, idFieldOf } from '../../core/index.js';

/** A JSON object (entity data); sizes and JSON-ness are checked by the state store. */
const data = z.record(z.string(), z.unknown());

/** `POST /v1/models/{uuid}/apply`: one transaction of updates and removals. */
export const applyBody = z.strictObject({
  ops: z
    .array(
      z.discriminatedUnion('op', [
        z.strictObject({ op: z.literal('update'), entity: z.strictObject({ kind: z.string(), id: z.string(), data }) }),
        z.strictObject({ op: z.literal('remove'), kind: z.string(), id: z.string() }),
      ]),
    )
    .min(1)
    // Bounded like the RPC's List page: one request, one transaction, one revision.
    .max(10_000),
});

/** `PUT /v1/models/{uuid}/entities/{kind}/{id}`: the entity's data. */
export const entityBody = data;

/** Juju's model names: lower-case letters, digits and hyphens, not starting with a hyphen. */
export const createModelBody = z.strictObject({ name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and hyphens (at most 63)') });

export const passwordBody = z.strictObject({ password: z.string() });

export const createUserBody = z.strictObject({
  name: z.string(),
  password: z.string(),
  displayName: z.string().optional(),
  controllerAccess: z.enum(['login', 'superuser']).optional(),
});

export const accessBody = z.strictObject({ access: z.enum(['read', 'write', 'admin']) });

/** `POST /v1/login`: optional; `model` names the model an agent logs in to. */
export const loginBody = z.strictObject({ model: z.string().optional() }).optional();

/**
 * Parses a body against a schema.
 * @throws ModelwatchError BadRequest `invalid request: <path>: <detail>`.
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue === undefined ? 'body' : pathText(issue.path);
  throw new ModelwatchError('BadRequest', `invalid request: ${where}: ${issue?.message ?? 'not valid'}`);
}

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/**
 * The stored data of an entity given with its wire keys allowed: `model-uuid` and the kind's id
 * field (`name` for units, …) are dropped when they repeat the identity, refused when they differ
 * (the watch stream adds them back from the identity).
 * @throws ModelwatchError NotValid naming the field.
 */
export function storedData(kind: string, modelUUID: string, id: string, d: Record<string, unknown>): Record<string, unknown> {
  const identity = new Map([['model-uuid', modelUUID], [idFieldOf(kind), id]]);
  const kept: Array<[string, unknown]> = [];
  for (const [field, value] of Object.entries(d)) {
    const expected = identity.get(field);
    if (expected === undefined) kept.push([field, value]);
    else if (value !== expected) {
      throw new ModelwatchError('NotValid', `data.${field} not valid: must be absent or equal ${JSON.stringify(expected)}`);
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays data, never a prototype.
  return Object.fromEntries(kept);
}
