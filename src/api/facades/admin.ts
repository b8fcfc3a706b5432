// Admin v3 Login (spec/protocol.md §3): checks the model of a model connection, delegates
// credentials (and failed-login handling) to the AuthService, and answers the fields Juju clients
// read. Never any discharge field: a truthy one makes jujulib start a macaroon discharge.
import { isModelUUID } from '../../core/index.js';
import type { Identity, ModelAccess } from '../services.js';
import { rpcErrors } from '../rpc/rpc-error.js';
import { accessAtLeast, facadesFor } from './access.js';
import type { FacadeContext, FacadeSpec } from './context.js';
import { getKey } from './params.js';

/** Facades the Login result lists (set by index.ts, which owns the table). */
export type FacadeList = () => readonly FacadeSpec[];

/** The Admin facade over the table `list` returns. */
export function adminFacade(list: FacadeList): FacadeSpec {
  return {
    name: 'Admin',
    versions: [3],
    offeredOn: 'both',
    methods: {
      Login: {
        access: 'none',
        call: async (ctx, req) => {
          const issue = getKey(req.params, 'issue-token'); // [ours]
          if (issue !== undefined && issue !== null && typeof issue !== 'boolean') throw rpcErrors.invalidRequest('issue-token must be a boolean');
          const identity = await ctx.login(() => authenticate(ctx, req.params));
          const result = await loginResult(ctx, identity, list());
          // [ours] A bearer token for reconnecting without the password: a reconnect storm after a
          // controller restart then costs a SHA-256 per client instead of an scrypt verification.
          // Only for a password login (a token login keeps its token).
          if (issue === true && tokenOf(req.params) === undefined) result.token = await ctx.services.auth.issueToken(identity);
          return result;
        },
      },
    },
  };
}

/** Steps of a Login; every failure is one the connection counts. */
async function authenticate(ctx: FacadeContext, params: Record<string, unknown>): Promise<Identity> {
  const { services } = ctx;
  const tagParam = getKey(params, 'auth-tag');
  const credParam = getKey(params, 'credentials'); // never logged
  const model = ctx.kind === 'model' ? await knownModel(ctx) : undefined;
  const token = tokenOf(params);
  const identity = token !== undefined
    ? await tokenIdentity(ctx, token, tagParam)
    : await services.auth.login({
    tag: typeof tagParam === 'string' ? tagParam : '',
    password: typeof credParam === 'string' ? credParam : '',
    modelUUID: model,
    remoteAddress: ctx.remoteAddress,
  });
  if (identity.kind === 'agent') {
    // Agents log in only on their own model's connection; elsewhere they are unknown here.
    if (model === undefined || identity.modelUUID !== model) throw rpcErrors.badCredentials();
    return identity;
  }
  if (model !== undefined && !accessAtLeast(await services.auth.modelAccess(identity, model), 'read')) {
    throw rpcErrors.permissionDenied();
  }
  return identity;
}

/** [ours] The bearer token a Login carries instead of a password (the `token` param; never logged), else undefined. */
function tokenOf(params: Record<string, unknown>): string | undefined {
  const token = getKey(params, 'token');
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/** [ours] Resolves a bearer token from `POST /v1/login`; its identity must match `auth-tag` when one is given. */
async function tokenIdentity(ctx: FacadeContext, token: string, tag: unknown): Promise<Identity> {
  const identity = await ctx.services.auth.resolveToken(token);
  if (identity === undefined || (typeof tag === 'string' && tag !== '' && tag !== identity.tag)) throw rpcErrors.badCredentials();
  return identity;
}

/** The connection's model UUID when it names an existing model; else `unknown model: "<uuid>"`. */
async function knownModel(ctx: FacadeContext): Promise<string> {
  const uuid = ctx.modelUUID ?? '';
  if (!isModelUUID(uuid)) throw rpcErrors.unknownModel(uuid);
  const model = await ctx.services.state.get({ kind: 'model', modelUUID: uuid, id: uuid });
  if (model === undefined) throw rpcErrors.unknownModel(uuid);
  return uuid;
}

async function loginResult(ctx: FacadeContext, identity: Identity, facades: readonly FacadeSpec[]): Promise<Record<string, unknown>> {
  const { services } = ctx;
  const result: Record<string, unknown> = {
    'server-version': services.serverVersion,
    'controller-tag': `controller-${services.controllerUUID}`,
    servers: [],
    'public-dns-name': '',
    facades: facadesFor(facades, ctx.kind, identity),
  };
  if (ctx.kind === 'model' && ctx.modelUUID !== undefined) result['model-tag'] = `model-${ctx.modelUUID}`;
  if (identity.kind === 'user') {
    let modelAccess: ModelAccess | '' = '';
    if (ctx.kind === 'model' && ctx.modelUUID !== undefined) modelAccess = await services.auth.modelAccess(identity, ctx.modelUUID);
    result['user-info'] = {
      'display-name': identity.displayName,
      identity: `user-${identity.name}`,
      'controller-access': identity.controllerAccess,
      'model-access': modelAccess,
    };
  }
  return result;
}
