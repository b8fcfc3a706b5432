// A small client of the controller's REST management endpoints (models, users, grants, entities,
// transactions, bearer tokens). Shapes follow src/api/rest; parsers accept a bare array or a
// wrapping object so additive server changes do not break them.
import { validateEntityInfo } from '../core/index.js';
import type { EntityInfo } from '../core/index.js';
import { ClientError } from './client-error.js';
import type { Credentials } from './credentials.js';
import { authorizationHeader } from './credentials.js';
import { isObject } from './frame-codec.js';
import { httpJson } from './http-request.js';
import type { HttpRequest } from './http-request.js';

/** A model as the controller lists it. */
export interface ModelSummary {
  uuid: string;
  name: string;
  [field: string]: unknown;
}

/** A user as administrators see it (never a hash). */
export interface UserSummary {
  name: string;
  displayName?: string;
  controllerAccess?: string;
  models?: Array<{ modelUUID: string; access: string }>;
  [field: string]: unknown;
}

/** One operation of a transaction (`POST /v1/models/{uuid}/apply`). */
export type ApplyOp =
  | { op: 'update'; entity: { kind: string; id: string; data: Record<string, unknown> } }
  | { op: 'remove'; kind: string; id: string };

/** Options of RestClient. */
export interface RestClientConfig {
  /** `http(s)://host:port` of the controller. */
  baseUrl: string;
  credentials: Credentials;
  ca?: string | Uint8Array | undefined;
}

/** See the file comment. Every method throws ClientError (codes as the server's) or ConnectionLostError. */
export class RestClient {
  readonly #base: string;
  readonly #auth: string;
  readonly #ca: string | Uint8Array | undefined;

  constructor(cfg: RestClientConfig) {
    this.#base = cfg.baseUrl.replace(/\/+$/, '');
    this.#auth = authorizationHeader(cfg.credentials);
    this.#ca = cfg.ca;
  }

  /** Exchanges the credentials for a bearer token (`POST /v1/login`). */
  async login(): Promise<string> {
    const body = await this.#send('POST', '/v1/login', {});
    const token = isObject(body) ? body.token : undefined;
    if (typeof token !== 'string' || token === '') throw new ClientError('BadRequest', 'malformed response: no token');
    return token;
  }

  async listModels(): Promise<ModelSummary[]> {
    return listOf(await this.#send('GET', '/v1/models'), 'models').filter(isModel);
  }

  async addModel(name: string): Promise<ModelSummary> {
    const body = await this.#send('POST', '/v1/models', { name });
    const model = isObject(body) && isObject(body.model) ? body.model : body;
    if (!isModel(model)) throw new ClientError('BadRequest', 'malformed response: no model');
    return model;
  }

  async removeModel(uuid: string): Promise<void> {
    await this.#send('DELETE', `/v1/models/${enc(uuid)}`);
  }

  async listUsers(): Promise<UserSummary[]> {
    return listOf(await this.#send('GET', '/v1/users'), 'users').filter(
      (u): u is UserSummary => isObject(u) && typeof u.name === 'string',
    );
  }

  async addUser(user: { name: string; password: string; displayName?: string; controllerAccess?: 'login' | 'superuser' }): Promise<void> {
    await this.#send('POST', '/v1/users', user);
  }

  async removeUser(name: string): Promise<void> {
    await this.#send('DELETE', `/v1/users/${enc(name)}`);
  }

  async setPassword(name: string, password: string): Promise<void> {
    await this.#send('PUT', `/v1/users/${enc(name)}/password`, { password });
  }

  async grant(name: string, modelUUID: string, access: 'read' | 'write' | 'admin'): Promise<void> {
    await this.#send('PUT', `/v1/users/${enc(name)}/access/${enc(modelUUID)}`, { access });
  }

  async revoke(name: string, modelUUID: string): Promise<void> {
    await this.#send('DELETE', `/v1/users/${enc(name)}/access/${enc(modelUUID)}`);
  }

  /** One entity, or undefined when absent. */
  async getEntity(modelUUID: string, kind: string, id: string): Promise<EntityInfo | undefined> {
    try {
      return entityOf(await this.#send('GET', entityPath(modelUUID, kind, id)), modelUUID);
    } catch (err) {
      if (err instanceof ClientError && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  /** Replaces one entity's data. @returns the revision, when the server tells it. */
  async putEntity(modelUUID: string, kind: string, id: string, data: Record<string, unknown>): Promise<number | undefined> {
    return revisionOf(await this.#send('PUT', entityPath(modelUUID, kind, id), data));
  }

  async deleteEntity(modelUUID: string, kind: string, id: string): Promise<number | undefined> {
    return revisionOf(await this.#send('DELETE', entityPath(modelUUID, kind, id)));
  }

  /** One page of entities in (kind, id) order; `next` is the `after` cursor of the next page. */
  async listEntities(modelUUID: string, opts: { kind?: string; after?: string; limit?: number } = {}): Promise<{ entities: EntityInfo[]; next: string | undefined }> {
    const q = new URLSearchParams();
    if (opts.kind !== undefined) q.set('kind', opts.kind);
    if (opts.after !== undefined) q.set('after', opts.after);
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    const query = q.size > 0 ? `?${q.toString()}` : '';
    const body = await this.#send('GET', `/v1/models/${enc(modelUUID)}/entities${query}`);
    const entities = listOf(body, 'entities').map((e) => entityOf(e, modelUUID));
    const next = isObject(body) && typeof body.next === 'string' && body.next !== '' ? body.next : undefined;
    return { entities, next };
  }

  /** Applies operations in one transaction. @returns its revision. */
  async apply(modelUUID: string, ops: readonly ApplyOp[]): Promise<number> {
    const rev = revisionOf(await this.#send('POST', `/v1/models/${enc(modelUUID)}/apply`, { ops }));
    if (rev === undefined) throw new ClientError('BadRequest', 'malformed response: no revision');
    return rev;
  }

  async #send(method: HttpRequest['method'], path: string, body?: unknown): Promise<unknown> {
    return httpJson({ method, url: `${this.#base}${path}`, headers: { authorization: this.#auth }, body, ca: this.#ca });
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function entityPath(modelUUID: string, kind: string, id: string): string {
  return `/v1/models/${enc(modelUUID)}/entities/${enc(kind)}/${enc(id)}`;
}

function listOf(body: unknown, key: string): unknown[] {
  if (Array.isArray(body)) return body as unknown[];
  if (isObject(body) && Array.isArray(body[key])) return body[key] as unknown[];
  throw new ClientError('BadRequest', `malformed response: no ${key} list`);
}

function isModel(m: unknown): m is ModelSummary {
  return isObject(m) && typeof m.uuid === 'string' && typeof m.name === 'string';
}

function revisionOf(body: unknown): number | undefined {
  return isObject(body) && typeof body.revision === 'number' ? body.revision : undefined;
}

/** Reads `{kind, id, data, modelUUID?}` (optionally wrapped in `entity`) as an EntityInfo. */
function entityOf(body: unknown, modelUUID: string): EntityInfo {
  const e = isObject(body) && isObject(body.entity) ? body.entity : body;
  if (!isObject(e)) throw new ClientError('BadRequest', 'malformed response: no entity');
  const info = { kind: e.kind, modelUUID: typeof e.modelUUID === 'string' ? e.modelUUID : modelUUID, id: e.id, data: e.data ?? {} };
  try {
    validateEntityInfo(info);
  } catch (err) {
    throw new ClientError('BadRequest', `malformed response: ${err instanceof Error ? err.message : String(err)}`);
  }
  return info as EntityInfo;
}
