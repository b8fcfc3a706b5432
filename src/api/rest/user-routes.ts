// Login and user management routes: bearer tokens, users (superuser only, except reading and
// changing one's own), and model grants (superuser or that model's admin).
import { ModelwatchError } from '../../core/index.js';
import { validateUserName } from '../auth/user-admin.js';
import { checkModelUUID, permissionDenied, requireRouteModel, requireSuperuser } from './access.js';
import { authenticate } from './authenticate.js';
import type { Route, RouteContext } from './route.js';
import { accessBody, createUserBody, loginBody, parseBody, passwordBody } from './schemas.js';

/** The user routes. */
export function userRoutes(): Route[] {
  return [
    { method: 'POST', pattern: '/v1/login', handle: login },
    {
      method: 'GET',
      pattern: '/v1/users',
      async handle(ctx) {
        const identity = await ctx.identity();
        if (identity.kind !== 'user') throw permissionDenied();
        const { admin } = ctx.deps;
        // One read of the caller: a superuser (now, not at login) sees everyone, others themselves.
        const me = await admin.getUser(identity.name);
        if (me?.controllerAccess === 'superuser') return { status: 200, body: { users: await admin.listUsers() } };
        return { status: 200, body: { users: me === undefined ? [] : [me] } };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/users',
      async handle(ctx) {
        await requireSuperuser(ctx.deps.admin, await ctx.identity());
        const b = parseBody(createUserBody, await ctx.body());
        const user = await ctx.deps.admin.addUser({
          name: b.name,
          password: b.password,
          ...(b.displayName === undefined ? {} : { displayName: b.displayName }),
          ...(b.controllerAccess === undefined ? {} : { controllerAccess: b.controllerAccess }),
        });
        return { status: 201, body: user };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/users/{name}',
      async handle(ctx) {
        const name = userName(ctx);
        await requireSelfOrSuperuser(ctx, name);
        const user = await ctx.deps.admin.getUser(name);
        if (user === undefined) throw new ModelwatchError('NotFound', `user "${name}" not found`);
        return { status: 200, body: user };
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/users/{name}',
      async handle(ctx) {
        const name = userName(ctx);
        await requireSuperuser(ctx.deps.admin, await ctx.identity());
        await ctx.deps.admin.removeUser(name);
        return { status: 200, body: {} };
      },
    },
    {
      method: 'PUT',
      pattern: '/v1/users/{name}/password',
      async handle(ctx) {
        const name = userName(ctx);
        await requireSelfOrSuperuser(ctx, name);
        const { password } = parseBody(passwordBody, await ctx.body());
        await ctx.deps.admin.setPassword(name, password);
        return { status: 200, body: {} };
      },
    },
    {
      method: 'PUT',
      pattern: '/v1/users/{name}/access/{modelUUID}',
      async handle(ctx) {
        const [name, uuid] = await grantTarget(ctx);
        const { access } = parseBody(accessBody, await ctx.body());
        await ctx.deps.admin.grant(name, uuid, access);
        return { status: 200, body: {} };
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/users/{name}/access/{modelUUID}',
      async handle(ctx) {
        const [name, uuid] = await grantTarget(ctx);
        await ctx.deps.admin.revoke(name, uuid);
        return { status: 200, body: {} };
      },
    },
  ];
}

/**
 * `POST /v1/login` with Basic credentials (a bearer token is not accepted: tokens do not mint
 * tokens). `?model=<uuid>` or `{"model"}` names the model an agent logs in to.
 * → `{token, tag}`.
 */
async function login(ctx: RouteContext): Promise<{ status: number; body: unknown }> {
  const body = parseBody(loginBody, await ctx.body());
  const model = body?.model ?? ctx.query.get('model') ?? undefined;
  if (model !== undefined) checkModelUUID(model);
  if (/^bearer\b/i.test(ctx.req.headers.authorization ?? '')) {
    throw new ModelwatchError('Unauthorized', 'invalid entity name or password');
  }
  const identity = await authenticate(ctx.req, ctx.deps.services.auth, model);
  const token = await ctx.deps.services.auth.issueToken(identity);
  return { status: 200, body: { token, tag: identity.tag } };
}

function userName(ctx: RouteContext): string {
  const name = ctx.params.name ?? '';
  validateUserName(name);
  return name;
}

async function requireSelfOrSuperuser(ctx: RouteContext, name: string): Promise<void> {
  const identity = await ctx.identity();
  if (identity.kind === 'user' && identity.name === name) return;
  await requireSuperuser(ctx.deps.admin, identity);
}

/** Grants are managed by a superuser or by the model's admin; the model must exist. */
async function grantTarget(ctx: RouteContext): Promise<[string, string]> {
  const name = userName(ctx);
  const { uuid } = await requireRouteModel(ctx, 'admin', 'modelUUID');
  return [name, uuid];
}
