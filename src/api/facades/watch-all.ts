// Watching all entities (spec/protocol.md §5, §6.1): Client.WatchAll and AllWatcher on model
// connections, Controller.WatchAllModels and AllModelWatcher on the controller connection.
import type { RpcRequest } from '../rpc/envelope.js';
import type { FacadeContext, FacadeSpec, MethodSpec } from './context.js';
import { DeltaWatcher } from './delta-watcher.js';
import { sinceRevisionParam, watcherIdOf } from './params.js';

async function startWatch(ctx: FacadeContext, req: RpcRequest, facade: 'AllWatcher' | 'AllModelWatcher'): Promise<Record<string, unknown>> {
  const since = sinceRevisionParam(req.params);
  ctx.watchers.reserve();
  const opts = since === undefined ? undefined : { since };
  const mw = ctx.services.multiwatcher;
  const watcher = mw.watchShared(facade === 'AllWatcher' ? (ctx.modelUUID ?? '') : undefined, opts);
  const rpcWatcher = await DeltaWatcher.open(watcher, since);
  const id = ctx.watchers.add(facade, rpcWatcher);
  return rpcWatcher.resyncRequired ? { 'watcher-id': id, 'resync-required': true } : { 'watcher-id': id };
}

/** Next/Stop of a watcher facade over the connection's table (shared with Presence). */
export function watcherMethods(facade: string, access: MethodSpec['access']): Record<string, MethodSpec> {
  return {
    Next: {
      access,
      call: async (ctx, req) => {
        const id = watcherIdOf(req.id, req.params);
        const watcher = ctx.watchers.get(facade, id);
        try {
          return await watcher.next();
        } catch (err) {
          // Stopped, or failed by the server (given once): either way its slot is free now.
          ctx.watchers.retire(id);
          throw err;
        }
      },
    },
    Stop: {
      access,
      call: async (ctx, req) => {
        await ctx.watchers.stop(facade, watcherIdOf(req.id, req.params));
        return {};
      },
    },
  };
}

export const clientFacade: FacadeSpec = {
  name: 'Client',
  versions: [2, 3, 5, 6, 7, 8],
  offeredOn: 'model',
  methods: { WatchAll: { access: 'read', call: (ctx, req) => startWatch(ctx, req, 'AllWatcher') } },
};

export const allWatcherFacade: FacadeSpec = {
  name: 'AllWatcher',
  versions: [1, 2, 3],
  offeredOn: 'model',
  methods: watcherMethods('AllWatcher', 'read'),
};

export const controllerFacade: FacadeSpec = {
  name: 'Controller',
  versions: [9, 11],
  offeredOn: 'controller',
  methods: { WatchAllModels: { access: 'superuser', call: (ctx, req) => startWatch(ctx, req, 'AllModelWatcher') } },
};

export const allModelWatcherFacade: FacadeSpec = {
  name: 'AllModelWatcher',
  versions: [2, 3, 4],
  offeredOn: 'controller',
  methods: watcherMethods('AllModelWatcher', 'superuser'),
};
