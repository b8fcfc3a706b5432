// Access checks of the REST routes (spec/protocol.md §9): model read < write < admin (a superuser
// has admin everywhere), controller superuser for user management. Denials read "permission denied".
import type { EntityId } from '../../core/index.js';
import { ModelwatchError, validateModelUUID } from '../../core/index.js';
import type { UserAdmin } from '../auth/user-admin.js';
import { cachedModelAccess } from '../facades/index.js';
import type { ControllerServices, Identity, ModelAccess } from '../services.js';
import type { RouteContext } from './route.js';

const RANK: Readonly<Record<ModelAccess | '', number>> = Object.freeze({ '': 0, read: 1, write: 2, admin: 3 });

/** The exact denial text. */
export function permissionDenied(): ModelwatchError {
  return new ModelwatchError('PermissionDenied', 'permission denied');
}

/** @throws NotValid (400) `model UUID "<v>" not valid: …` for a malformed UUID. */
export function checkModelUUID(v: string): string {
  validateModelUUID(v, 'model UUID');
  return v;
}

/**
 * Requires `need` on a model, then that the model exists. Access is checked first, so a model the
 * caller cannot read answers 403 whether or not it exists (existence is not revealed). The access
 * lookup is the one the RPC facades share (cachedModelAccess): a grant applies at once, a
 * revocation within ACCESS_CACHE_MS.
 * @throws PermissionDenied (403), NotFound (404) `model "<uuid>" not found`.
 */
export async function requireModel(services: ControllerServices, identity: Identity, modelUUID: string, need: ModelAccess): Promise<ModelAccess> {
  const have = await cachedModelAccess(services, identity, modelUUID);
  if (have === '' || RANK[have] < RANK[need]) throw permissionDenied();
  const model = await services.state.get({ kind: 'model', modelUUID, id: modelUUID });
  if (model === undefined) throw new ModelwatchError('NotFound', `model "${modelUUID}" not found`);
  return have;
}

/**
 * The model a route acts on (path parameter `param`), checked as requireModel does: its UUID is
 * validated first, then the caller authenticated, then `need` required.
 * @throws NotValid (400) for a malformed UUID; as authenticate and requireModel otherwise.
 */
export async function requireRouteModel(
  ctx: RouteContext,
  need: ModelAccess,
  param = 'uuid',
): Promise<{ uuid: string; identity: Identity; access: ModelAccess }> {
  const uuid = checkModelUUID(ctx.params[param] ?? '');
  const identity = await ctx.identity();
  const access = await requireModel(ctx.deps.services, identity, uuid, need);
  return { uuid, identity, access };
}

/**
 * True when an identity holding `have` on the entity's model may write (or remove) this entity:
 * users need `write` (`admin` for the model entity itself); an agent only its own machine or unit
 * entity, never a removal. Pure: callers pass the access `requireModel` already looked up, so a
 * request (an `apply` of many ops included) asks the user store once.
 */
export function mayWriteEntity(identity: Identity, have: ModelAccess, id: EntityId, removal: boolean): boolean {
  if (identity.kind === 'agent') {
    if (removal || identity.modelUUID !== id.modelUUID) return false;
    const own = identity.agent.kind === 'machine' ? { kind: 'machine', id: identity.agent.id } : { kind: 'unit', id: identity.agent.name };
    return own.kind === id.kind && own.id === id.id;
  }
  // The model entity itself (its name and owner) is the model admin's.
  const need = id.kind === 'model' ? RANK.admin : RANK.write;
  return RANK[have] >= need;
}

/** True for a user who is a superuser now (re-read: a demotion applies at once). */
async function isSuperuser(admin: UserAdmin, identity: Identity): Promise<boolean> {
  if (identity.kind !== 'user') return false;
  return (await admin.getUser(identity.name))?.controllerAccess === 'superuser';
}

/** @throws PermissionDenied (403) unless the identity is a superuser. */
export async function requireSuperuser(admin: UserAdmin, identity: Identity): Promise<void> {
  if (!(await isSuperuser(admin, identity))) throw permissionDenied();
}
