// Entity routes: read, write and remove one entity, list a model's entities in pages, and apply a
// transaction of updates and removals at one revision.
import type { EntityId } from '../../core/index.js';
import { ModelwatchError, validateId, validateKind } from '../../core/index.js';
import type { StateOp } from '../../state/index.js';
import type { Identity, ModelAccess } from '../services.js';
import { checkModelUUID, mayWriteEntity, permissionDenied, requireModel, requireRouteModel } from './access.js';
import type { Route, RouteContext } from './route.js';
import { applyBody, entityBody, parseBody, storedData } from './schemas.js';

/** Page size of entity lists: default and most (as the RPC's Entities.List, spec §6.2). */
export const DEFAULT_PAGE_LIMIT = 1000;
export const MAX_PAGE_LIMIT = 10_000;

const ENTITY = '/v1/models/{uuid}/entities/{kind}/{id}';

/** The path's entity, validated (UUID, kind, id) before the caller is authenticated. */
function entityId(ctx: RouteContext): EntityId {
  const modelUUID = checkModelUUID(ctx.params.uuid ?? '');
  const kind = ctx.params.kind ?? '';
  validateKind(kind, 'kind');
  const id = ctx.params.id ?? '';
  validateId(id, 'id');
  return { kind, modelUUID, id };
}

/** The path's entity and the caller, who has at least read on its model. */
async function readableEntity(ctx: RouteContext): Promise<{ id: EntityId; identity: Identity; have: ModelAccess }> {
  const id = entityId(ctx);
  const identity = await ctx.identity();
  const have = await requireModel(ctx.deps.services, identity, id.modelUUID, 'read');
  return { id, identity, have };
}

/** The path's entity, once the caller may write it (or remove it, with `removal`). */
async function writableEntity(ctx: RouteContext, removal: boolean): Promise<EntityId> {
  const { id, identity, have } = await readableEntity(ctx);
  if (!mayWriteEntity(identity, have, id, removal)) throw permissionDenied();
  return id;
}

function notFound(id: EntityId): ModelwatchError {
  return new ModelwatchError('NotFound', `${id.kind} ${JSON.stringify(id.id)} not found`);
}

/** The model is removed with DELETE /v1/models/{uuid}, which also drops its grants and agents. */
function refuseModelRemoval(kind: string): void {
  if (kind === 'model') throw new ModelwatchError('BadRequest', 'invalid request: remove a model with DELETE /v1/models/{uuid}');
}

/** The entity routes. */
export function entityRoutes(): Route[] {
  return [
    {
      method: 'GET',
      pattern: ENTITY,
      modelParam: 'uuid',
      async handle(ctx) {
        const { id } = await readableEntity(ctx);
        const entity = await ctx.deps.services.state.get(id);
        if (entity === undefined) throw notFound(id);
        return { status: 200, body: entity };
      },
    },
    {
      method: 'PUT',
      pattern: ENTITY,
      modelParam: 'uuid',
      async handle(ctx) {
        const id = await writableEntity(ctx, false);
        const data = storedData(id.kind, id.modelUUID, id.id, parseBody(entityBody, await ctx.body()));
        const revision = await ctx.deps.services.state.update({ ...id, data });
        return { status: 200, body: { revision } };
      },
    },
    {
      method: 'DELETE',
      pattern: ENTITY,
      modelParam: 'uuid',
      async handle(ctx) {
        const id = await writableEntity(ctx, true);
        const { services } = ctx.deps;
        refuseModelRemoval(id.kind);
        if ((await services.state.get(id)) === undefined) throw notFound(id);
        return { status: 200, body: { revision: await services.state.remove(id) } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/models/{uuid}/entities',
      modelParam: 'uuid',
      handle: listEntities,
    },
    {
      method: 'POST',
      pattern: '/v1/models/{uuid}/apply',
      modelParam: 'uuid',
      handle: applyOps,
    },
  ];
}

/** `?kind=&after=<kind>/<id>&limit=` → `{entities, revision, more?, next?}` in (kind, id) order. */
async function listEntities(ctx: RouteContext): Promise<{ status: number; body: unknown }> {
  const { uuid: modelUUID } = await requireRouteModel(ctx, 'read');
  const { services } = ctx.deps;
  const kind = ctx.query.get('kind') ?? undefined;
  if (kind !== undefined) validateKind(kind, 'kind');
  const limit = pageLimit(ctx.query.get('limit'));
  const after = afterCursor(ctx.query.get('after'), modelUUID);
  // The revision is read first: the list is at least as new, so watching from it loses nothing.
  const revision = await services.state.revision();
  // The database pages (keyset on kind, id, code point order): memory is O(limit) whatever the model's size.
  const page = await services.state.listPage({ modelUUID, limit, ...(kind === undefined ? {} : { kinds: [kind] }), ...(after === undefined ? {} : { after }) });
  const { entities } = page;
  const body: Record<string, unknown> = { entities, revision };
  const last = entities[entities.length - 1];
  if (page.more && last !== undefined) {
    body.more = true;
    body.next = `${last.kind}/${last.id}`;
  }
  return { status: 200, body };
}

function pageLimit(v: string | null): number {
  if (v === null) return DEFAULT_PAGE_LIMIT;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1 || n > MAX_PAGE_LIMIT) {
    throw new ModelwatchError('BadRequest', `invalid request: limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  }
  return n;
}

function afterCursor(v: string | null, modelUUID: string): EntityId | undefined {
  if (v === null) return undefined;
  const slash = v.indexOf('/');
  if (slash <= 0 || slash === v.length - 1) throw new ModelwatchError('BadRequest', 'invalid request: after must be <kind>/<id>');
  return { kind: v.slice(0, slash), modelUUID, id: v.slice(slash + 1) };
}

/** All ops in one state transaction; the first invalid or forbidden op fails the whole call. */
async function applyOps(ctx: RouteContext): Promise<{ status: number; body: unknown }> {
  const { uuid: modelUUID, identity, access: have } = await requireRouteModel(ctx, 'read');
  const { ops } = parseBody(applyBody, await ctx.body());
  const stateOps: StateOp[] = [];
  for (const [i, op] of ops.entries()) {
    try {
      const removal = op.op === 'remove';
      const id = removal ? { kind: op.kind, modelUUID, id: op.id } : { kind: op.entity.kind, modelUUID, id: op.entity.id };
      validateKind(id.kind, 'kind');
      validateId(id.id, 'id');
      if (!mayWriteEntity(identity, have, id, removal)) throw permissionDenied();
      if (removal) {
        refuseModelRemoval(id.kind);
        stateOps.push({ op: 'remove', id });
      } else {
        stateOps.push({ op: 'update', entity: { ...id, data: storedData(id.kind, modelUUID, id.id, op.entity.data) } });
      }
    } catch (err) {
      if (err instanceof ModelwatchError && err.code !== 'PermissionDenied') {
        throw new ModelwatchError(err.code, `invalid request: ops[${i}]: ${err.message.replace(/^invalid request: /, '')}`);
      }
      throw err;
    }
  }
  return { status: 200, body: { revision: await ctx.deps.services.state.apply(stateOps) } };
}
