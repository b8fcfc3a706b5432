// Model routes: list the models the caller can see, create one (the creator gets admin), show and
// remove one (removal takes its entities, grants and agent credentials), and set agents' passwords.
import { removePresenceForModel } from '../../presence/index.js';
import { randomUUID } from 'node:crypto';
import type { EntityInfo } from '../../core/index.js';
import { ModelwatchError } from '../../core/index.js';
import type { Identity, ModelAccess } from '../services.js';
import { permissionDenied, requireRouteModel } from './access.js';
import type { Route, RouteContext } from './route.js';
import { createModelBody, parseBody, passwordBody } from './schemas.js';

/** A model as the REST API shows it. */
export interface ModelView {
  uuid: string;
  name: string;
  owner: string;
  access: ModelAccess;
}

function modelView(m: EntityInfo, access: ModelAccess): ModelView {
  const name = typeof m.data.name === 'string' ? m.data.name : '';
  const owner = typeof m.data.owner === 'string' ? m.data.owner : '';
  return { uuid: m.modelUUID, name, owner, access };
}

/** The model routes. */
export function modelRoutes(): Route[] {
  return [
    { method: 'GET', pattern: '/v1/models', handle: listModels },
    { method: 'POST', pattern: '/v1/models', handle: createModel },
    {
      method: 'GET',
      pattern: '/v1/models/{uuid}',
      modelParam: 'uuid',
      async handle(ctx) {
        const { uuid, access } = await requireRouteModel(ctx, 'read');
        const m = await ctx.deps.services.state.get({ kind: 'model', modelUUID: uuid, id: uuid });
        if (m === undefined) throw new ModelwatchError('NotFound', `model "${uuid}" not found`);
        return { status: 200, body: modelView(m, access) };
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/models/{uuid}',
      modelParam: 'uuid',
      async handle(ctx) {
        const { uuid } = await requireRouteModel(ctx, 'admin');
        const { services, admin } = ctx.deps;
        // One revision removes the model and all its entities (spec/state.md §3); then its grants.
        const revision = await services.state.remove({ kind: 'model', modelUUID: uuid, id: uuid });
        await admin.forgetModel(uuid);
        // Its presence rows go too (spec/presence.md §4.5). The API server ends the model's RPC
        // connections when the removal reaches it (server/model-removals.ts), which stops their pingers.
        await removePresenceForModel(services.presence.store, uuid);
        return { status: 200, body: { revision } };
      },
    },
    {
      method: 'PUT',
      pattern: '/v1/models/{uuid}/agents/{tag}/password',
      modelParam: 'uuid',
      async handle(ctx) {
        const { uuid } = await requireRouteModel(ctx, 'admin');
        const { password } = parseBody(passwordBody, await ctx.body());
        await ctx.deps.admin.setAgentPassword(uuid, ctx.params.tag ?? '', password);
        return { status: 200, body: {} };
      },
    },
  ];
}

/** `{models: [{uuid, name, owner, access}]}`, ordered by UUID: only models the caller can read. */
async function listModels(ctx: RouteContext): Promise<{ status: number; body: unknown }> {
  const identity = await ctx.identity();
  const { services } = ctx.deps;
  const models = await services.state.list({ kind: 'model' });
  const grants = await accessByModel(ctx, identity);
  const out: ModelView[] = [];
  for (const m of models) {
    const access = grants === 'superuser' ? 'admin' : grants.get(m.modelUUID);
    if (access !== undefined) out.push(modelView(m, access));
  }
  return { status: 200, body: { models: out } };
}

/**
 * The caller's access by model, from one read of the user (re-read per request: a demotion or a
 * revocation applies at once); 'superuser' for admin on every model.
 */
async function accessByModel(ctx: RouteContext, identity: Identity): Promise<Map<string, ModelAccess> | 'superuser'> {
  if (identity.kind === 'agent') return new Map([[identity.modelUUID, 'read']]);
  const user = await ctx.deps.admin.getUser(identity.name);
  if (user?.controllerAccess === 'superuser') return 'superuser';
  return new Map((user?.models ?? []).map((g) => [g.modelUUID, g.access]));
}

/** `{name}` → 201 `{uuid, name, owner, access: "admin", revision}`; names are unique per owner. */
async function createModel(ctx: RouteContext): Promise<{ status: number; body: unknown }> {
  const identity = await ctx.identity();
  if (identity.kind !== 'user') throw permissionDenied();
  const { name } = parseBody(createModelBody, await ctx.body());
  const { services, admin } = ctx.deps;
  // RISK: two concurrent creates of one name by one owner can both pass this check.
  const existing = await services.state.list({ kind: 'model' });
  if (existing.some((m) => m.data.name === name && m.data.owner === identity.name)) {
    throw new ModelwatchError('AlreadyExists', `model "${name}" already exists`);
  }
  const uuid = randomUUID();
  const revision = await services.state.update({ kind: 'model', modelUUID: uuid, id: uuid, data: { name, owner: identity.name } });
  await admin.grant(identity.name, uuid, 'admin');
  return { status: 201, body: { uuid, name, owner: identity.name, access: 'admin', revision } };
}
