// Entities v1 [ours] (spec/protocol.md §6.2): write and read entities of the connection's model.
// Update/Remove apply all items in ONE state transaction (all or nothing); agents may Update only
// their own entity (spec §9).
import { ModelwatchError, validateKind } from '../../core/index.js';
import type { EntityInfo } from '../../core/index.js';
import type { StateOp } from '../../state/index.js';
import type { Identity } from '../services.js';
import { rpcErrors } from '../rpc/rpc-error.js';
import type { FacadeContext, FacadeSpec } from './context.js';
import { encodeBatch } from './delta-watcher.js';
import { MAX_ENTITY_ITEMS, parseAfter, parseIdItem, parseUpdateItem } from './entity-items.js';
import { arrayParam, getKey } from './params.js';

/** List page sizes (spec §6.2): 1,000 by default, 10,000 at most. */
const DEFAULT_LIST_LIMIT = 1000;
const MAX_LIST_LIMIT = 10_000;

function modelOf(ctx: FacadeContext): string {
  return ctx.modelUUID ?? '';
}

/** True when an agent identity is the entity (machine-N is machine N, unit-a-N is unit a/N). */
function isOwnEntity(who: Identity, info: EntityInfo): boolean {
  if (who.kind !== 'agent') return true;
  const own = who.agent.kind === 'machine' ? { kind: 'machine', id: who.agent.id } : { kind: 'unit', id: who.agent.name };
  return info.kind === own.kind && info.id === own.id && info.modelUUID === who.modelUUID;
}

/** A state call whose own validation errors read as invalid requests. */
async function asRequest<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ModelwatchError && err.code === 'NotValid') throw rpcErrors.invalidRequest(err.message);
    throw err;
  }
}

/** Applies ops in one transaction. */
async function applyOps(ctx: FacadeContext, ops: StateOp[]): Promise<Record<string, unknown>> {
  return { revision: await asRequest(ctx.services.state.apply(ops)) };
}

/** One wire entity: what a change delta of it carries. */
function wireEntity(info: EntityInfo): Record<string, unknown> {
  const encoded = encodeBatch([{ removed: false, entity: info }])[0];
  return encoded === undefined ? {} : encoded[2];
}

function kindsParam(params: Record<string, unknown>): string[] | undefined {
  const v = getKey(params, 'kinds');
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > 1000) throw rpcErrors.invalidRequest('kinds must be an array of at most 1000 kinds');
  return v.map((k: unknown, i) => {
    try {
      validateKind(k, `kinds[${i}]`);
    } catch (err) {
      throw rpcErrors.invalidRequest(err instanceof Error ? err.message : `kinds[${i}] not valid`);
    }
    return k;
  });
}

function limitParam(params: Record<string, unknown>): number {
  const v = getKey(params, 'limit');
  if (v === undefined || v === null) return DEFAULT_LIST_LIMIT;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_LIST_LIMIT) {
    throw rpcErrors.invalidRequest(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
  }
  return v;
}

export const entitiesFacade: FacadeSpec = {
  name: 'Entities',
  versions: [1],
  offeredOn: 'model',
  methods: {
    Update: {
      access: 'write-or-agent-self',
      call: (ctx, req) => {
        const who = ctx.identity();
        const items = arrayParam(req.params, 'entities', 0, MAX_ENTITY_ITEMS);
        const ops: StateOp[] = items.map((item, i) => {
          const entity = parseUpdateItem(item, i, modelOf(ctx));
          if (who === undefined || !isOwnEntity(who, entity)) throw rpcErrors.permissionDenied();
          return { op: 'update', entity };
        });
        return applyOps(ctx, ops);
      },
    },
    Remove: {
      access: 'write',
      call: (ctx, req) => {
        const items = arrayParam(req.params, 'entities', 0, MAX_ENTITY_ITEMS);
        return applyOps(ctx, items.map((item, i) => ({ op: 'remove', id: parseIdItem(item, i, modelOf(ctx)) })));
      },
    },
    Get: {
      access: 'read',
      call: async (ctx, req) => {
        const ids = arrayParam(req.params, 'entities', 0, MAX_ENTITY_ITEMS).map((item, i) => parseIdItem(item, i, modelOf(ctx)));
        const results = [];
        for (const id of ids) {
          const info = await ctx.services.state.get(id);
          results.push(info === undefined ? { error: { message: 'not found', code: 'not found' } } : { entity: wireEntity(info) });
        }
        return { results };
      },
    },
    List: {
      access: 'read',
      call: async (ctx, req) => {
        const kinds = kindsParam(req.params);
        const after = parseAfter(getKey(req.params, 'after'));
        const limit = limitParam(req.params);
        // The revision is read first, so the page holds at least every change up to it.
        const revision = await ctx.services.state.revision();
        if (kinds?.length === 0) return { entities: [], revision };
        // The database pages (keyset on kind, id): memory is O(limit) whatever the model's size.
        const query = { modelUUID: modelOf(ctx), limit, ...(kinds === undefined ? {} : { kinds }), ...(after === undefined ? {} : { after }) };
        const page = await asRequest(ctx.services.state.listPage(query));
        const result: Record<string, unknown> = { entities: page.entities.map((e) => ({ kind: e.kind, entity: wireEntity(e) })), revision };
        if (page.more) result.more = true;
        return result;
      },
    },
  },
};
