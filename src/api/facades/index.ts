// The facade table of spec/protocol.md §4: every facade, its advertised versions, where it is
// offered and its methods. The RPC layer dispatches through it; Login lists from it.
import { adminFacade } from './admin.js';
import type { FacadeSpec } from './context.js';
import { entitiesFacade } from './entities.js';
import { modelConfigFacade, modelManagerFacade } from './model-info.js';
import { pingerFacade } from './pinger.js';
import { presenceFacade } from './presence.js';
import { allModelWatcherFacade, allWatcherFacade, clientFacade, controllerFacade } from './watch-all.js';

export type { Access, ConnectionKind, FacadeContext, FacadeSpec, MethodSpec } from './context.js';
export { checkAccess, facadesFor, offeredOn } from './access.js';
export { ACCESS_CACHE_MS, cachedModelAccess } from './access-cache.js';
export { WatcherTable } from './watcher-table.js';
export type { RpcWatcher, WatcherTableOptions } from './watcher-table.js';

/** Every facade, in the order Login lists them. */
export const FACADES: readonly FacadeSpec[] = Object.freeze([
  adminFacade(() => FACADES),
  pingerFacade,
  clientFacade,
  allWatcherFacade,
  modelConfigFacade,
  entitiesFacade,
  presenceFacade,
  controllerFacade,
  allModelWatcherFacade,
  modelManagerFacade,
]);

const BY_NAME: ReadonlyMap<string, FacadeSpec> = new Map(FACADES.map((f) => [f.name, f]));

/** The facade named `type` (exact case, as Juju's registry), or undefined. */
export function facadeNamed(type: string): FacadeSpec | undefined {
  return BY_NAME.get(type);
}
