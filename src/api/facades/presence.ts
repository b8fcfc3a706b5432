// Presence v1 [ours] (spec/protocol.md §6.3): watch agents' liveness by agent tag on a model
// connection. Users with read access only; agents get permission denied (spec §9).
import { parseAuthTag, presenceKeyOf } from '../auth/tags.js';
import { rpcErrors } from '../rpc/rpc-error.js';
import type { FacadeSpec } from './context.js';
import { arrayParam } from './params.js';
import { PresenceKeysWatcher } from './presence-keys-watcher.js';
import type { WatchedAgent } from './presence-keys-watcher.js';
import { watcherMethods } from './watch-all.js';

/** Agent tags per Watch (spec §6.3: 1 to 1,000). */
const MAX_WATCHED_KEYS = 1000;

export const presenceFacade: FacadeSpec = {
  name: 'Presence',
  versions: [1],
  offeredOn: 'model',
  methods: {
    Watch: {
      access: 'user-read',
      call: (ctx, req) => {
        const tags = arrayParam(req.params, 'keys', 1, MAX_WATCHED_KEYS);
        const agents = new Map<string, WatchedAgent>();
        tags.forEach((tag, i) => {
          const parsed = typeof tag === 'string' ? parseAuthTag(tag) : undefined;
          const key = parsed === undefined ? undefined : presenceKeyOf(parsed);
          if (typeof tag !== 'string' || key === undefined) {
            throw rpcErrors.invalidRequest(`keys[${i}]: ${JSON.stringify(tag)} is not an agent tag (machine-<id> or unit-<app>-<n>)`);
          }
          if (!agents.has(tag)) agents.set(tag, { tag, key });
        });
        ctx.watchers.reserve();
        const watcher = new PresenceKeysWatcher(ctx.services, ctx.modelUUID ?? '', [...agents.values()]);
        return Promise.resolve({ 'watcher-id': ctx.watchers.add('Presence', watcher) });
      },
    },
    ...watcherMethods('Presence', 'user-read'),
  },
};
