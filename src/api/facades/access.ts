// Access rules of spec/protocol.md §9: checked on every call (not only at Login; a model-access
// lookup is reused for up to ACCESS_CACHE_MS per identity and model, see access-cache.ts), and used to
// list in the Login result only the facades an identity may call.
import type { Identity, ModelAccess } from '../services.js';
import { rpcErrors } from '../rpc/rpc-error.js';
import { cachedModelAccess } from './access-cache.js';
import type { Access, ConnectionKind, FacadeContext, FacadeSpec } from './context.js';

const RANK: Readonly<Record<ModelAccess | '', number>> = { '': 0, read: 1, write: 2, admin: 3 };

/** True when `have` is at least `need`. */
export function accessAtLeast(have: ModelAccess | '', need: ModelAccess): boolean {
  return RANK[have] >= RANK[need];
}

/**
 * Throws `permission denied` unless the logged-in identity may make a call requiring `access`.
 * The caller has already answered `not logged in` for everything but `none`. Synchronous (returns
 * undefined, or throws) when the answer is known without a lookup, which is the usual case: a
 * watcher's Next loop must not pay promise ticks for an access answer it already has.
 * @returns undefined when allowed now, else a promise that rejects when denied.
 */
export function checkAccess(ctx: FacadeContext, access: Access): Promise<void> | undefined {
  if (access === 'none') return;
  const who = ctx.identity();
  if (who === undefined) throw rpcErrors.notLoggedIn();
  if (!staticallyAllowed(who, access)) throw rpcErrors.permissionDenied();
  switch (access) {
    case 'any':
    case 'user':
    case 'superuser':
      return;
    case 'read':
    case 'user-read':
      return requireModelAccess(ctx, who, 'read');
    case 'write':
      return requireModelAccess(ctx, who, 'write');
    case 'write-or-agent-self':
      // Agents are limited to their own entity by the method itself (Entities.Update).
      return who.kind === 'agent' ? requireModelAccess(ctx, who, 'read') : requireModelAccess(ctx, who, 'write');
  }
}

/** What the identity's kind and controller access allow, before any per-model lookup. */
function staticallyAllowed(who: Identity, access: Access): boolean {
  switch (access) {
    case 'none':
    case 'any':
    case 'read':
    case 'write-or-agent-self':
      return true;
    case 'write':
    case 'user-read':
    case 'user':
      return who.kind === 'user';
    case 'superuser':
      return who.kind === 'user' && who.controllerAccess === 'superuser';
  }
}

function requireModelAccess(ctx: FacadeContext, who: Identity, need: ModelAccess): Promise<void> | undefined {
  const model = ctx.modelUUID;
  if (ctx.kind !== 'model' || model === undefined) throw rpcErrors.permissionDenied();
  if (who.kind === 'agent' && who.modelUUID !== model) throw rpcErrors.permissionDenied();
  const have = cachedModelAccess(ctx.services, who, model);
  // The cached answer (nearly every call) is checked without creating a closure.
  if (typeof have === 'string') return requireAtLeast(have, need);
  return have.then((h) => requireAtLeast(h, need));
}

function requireAtLeast(have: ModelAccess | '', need: ModelAccess): undefined {
  if (!accessAtLeast(have, need)) throw rpcErrors.permissionDenied();
  return undefined;
}

/** True when `facade` is offered on a connection of `kind`. */
export function offeredOn(facade: FacadeSpec, kind: ConnectionKind): boolean {
  return facade.offeredOn === 'both' || facade.offeredOn === kind;
}

/**
 * The Login `facades` list: facades offered on this connection kind with at least one method the
 * identity's kind and controller access allow (Admin always). Model access was checked at Login.
 */
export function facadesFor(
  facades: readonly FacadeSpec[], kind: ConnectionKind, who: Identity,
): Array<{ name: string; versions: number[] }> {
  return facades
    .filter((f) => offeredOn(f, kind))
    .filter((f) => f.name === 'Admin' || Object.values(f.methods).some((m) => m.access !== 'none' && staticallyAllowed(who, m.access)))
    .map((f) => ({ name: f.name, versions: [...f.versions] }));
}
