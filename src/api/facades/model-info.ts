// The minimal model facades python-libjuju needs (spec/protocol.md §4): ModelConfig.ModelGet on
// model connections and ModelManager.ModelInfo on the controller connection. A model is the
// entity of kind `model` whose id is its UUID (spec/state.md §3); its data may hold name/type/owner.
import { isModelUUID } from '../../core/index.js';
import type { EntityInfo } from '../../core/index.js';
import { rpcErrors } from '../rpc/rpc-error.js';
import { accessAtLeast } from './access.js';
import type { FacadeContext, FacadeSpec } from './context.js';
import { arrayParam, asObject, getKey } from './params.js';

/** ModelInfo takes at most this many tags a call (bounds the per-item lookups). */
const MAX_MODEL_INFO_ITEMS = 1000;

function modelEntity(ctx: FacadeContext, uuid: string): Promise<EntityInfo | undefined> {
  return ctx.services.state.get({ kind: 'model', modelUUID: uuid, id: uuid });
}

function text(data: Record<string, unknown> | undefined, key: string, fallback: string): string {
  const v = data?.[key];
  return typeof v === 'string' && v !== '' ? v : fallback;
}

export const modelConfigFacade: FacadeSpec = {
  name: 'ModelConfig',
  versions: [2, 3],
  offeredOn: 'model',
  methods: {
    ModelGet: {
      access: 'read',
      call: async (ctx) => {
        const uuid = ctx.modelUUID ?? '';
        const model = await modelEntity(ctx, uuid);
        // Never a `mode` key: "strict" would make python-libjuju fail on kinds it does not know.
        return {
          config: {
            name: { value: text(model?.data, 'name', uuid), source: 'model' },
            uuid: { value: uuid, source: 'model' },
            type: { value: text(model?.data, 'type', 'iaas'), source: 'default' },
          },
        };
      },
    },
  },
};

export const modelManagerFacade: FacadeSpec = {
  name: 'ModelManager',
  versions: [9],
  offeredOn: 'controller',
  methods: {
    ModelInfo: {
      access: 'user',
      call: async (ctx, req) => {
        const items = arrayParam(req.params, 'entities', 0, MAX_MODEL_INFO_ITEMS);
        const results = [];
        for (const [i, item] of items.entries()) {
          const tag = getKey(asObject(item) ?? {}, 'tag');
          if (typeof tag !== 'string') throw rpcErrors.invalidRequest(`entities[${i}]: tag must be a string`);
          results.push(await modelInfo(ctx, tag));
        }
        return { results };
      },
    },
  },
};

/** One item: unknown and unreadable models read alike (existence is not revealed). */
async function modelInfo(ctx: FacadeContext, tag: string): Promise<Record<string, unknown>> {
  const denied = { error: { message: rpcErrors.permissionDenied().message, code: 'unauthorized access' } };
  const who = ctx.identity();
  const uuid = tag.startsWith('model-') ? tag.slice('model-'.length) : '';
  if (who === undefined || !isModelUUID(uuid)) return denied;
  if (!accessAtLeast(await ctx.services.auth.modelAccess(who, uuid), 'read')) return denied;
  const model = await modelEntity(ctx, uuid);
  if (model === undefined) return denied;
  return {
    result: {
      uuid,
      name: text(model.data, 'name', uuid),
      type: 'iaas',
      'controller-uuid': ctx.services.controllerUUID,
      'owner-tag': text(model.data, 'owner-tag', 'user-admin'),
      life: 'alive',
      users: [],
      machines: [],
    },
  };
}
