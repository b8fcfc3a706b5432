// Reading and writing entities through the Entities v1 facade (spec/protocol.md §6.2). Calls are
// idempotent (Update replaces whole infos, Remove of an absent entity is a no-op), so a call that
// lost its connection is sent again on the next one.
import { fromWireDelta, idFieldOf, toWireDelta, validateEntityId, validateEntityInfo } from '../core/index.js';
import type { EntityId, EntityInfo } from '../core/index.js';
import { ClientError, ConnectionLostError } from './client-error.js';
import type { RpcCall } from './frame-codec.js';
import { isObject, keyOf } from './frame-codec.js';
import type { Session } from './session.js';

/** One page of a List. */
export interface EntityPage {
  entities: EntityInfo[];
  /** The revision the page was read at. */
  revision: number;
  /** True when more entities follow: call again with `after` = the last entity. */
  more: boolean;
}

/** Options of a List. */
export interface ListOptions {
  kinds?: readonly string[];
  /** Start after this (kind, id). */
  after?: { kind: string; id: string };
  /** Page size (server default 1,000, at most 10,000). */
  limit?: number;
}

/** Sends of one call after a dropped connection, counting the first. */
const MAX_SENDS = 3;

/** The Entities facade on one model's session. */
export class EntitiesFacade {
  readonly #session: Session;
  readonly #modelUUID: string;

  constructor(session: Session, modelUUID: string) {
    this.#session = session;
    this.#modelUUID = modelUUID;
  }

  /**
   * Writes whole infos in one transaction. @returns the revision (the current one when nothing changed).
   * @throws ClientError NotValid before sending for an invalid info or one of another model.
   */
  async update(infos: readonly EntityInfo[]): Promise<number> {
    const entities = infos.map((info) => {
      validateEntityInfo(info);
      this.#sameModel(info.modelUUID);
      return { kind: info.kind, entity: toWireDelta({ removed: false, entity: info })[2] };
    });
    return revisionOf(await this.#call('Update', { entities }));
  }

  /** Removes entities in one transaction (absent ones are no-ops). @returns the revision. */
  async remove(ids: readonly EntityId[]): Promise<number> {
    const entities = ids.map((id) => {
      validateEntityId(id);
      this.#sameModel(id.modelUUID);
      return { kind: id.kind, 'model-uuid': id.modelUUID, id: id.id };
    });
    return revisionOf(await this.#call('Remove', { entities }));
  }

  /** One entity, or undefined when it does not exist. */
  async get(kind: string, id: string): Promise<EntityInfo | undefined> {
    const result = await this.#call('Get', { entities: [{ kind, 'model-uuid': this.#modelUUID, id }] });
    const first: unknown = (keyOf(result, 'results') as unknown[] | undefined)?.[0];
    if (!isObject(first)) throw new ClientError('BadRequest', 'malformed response: no results');
    const err = keyOf(first, 'error');
    if (isObject(err)) {
      if (keyOf(err, 'code') === 'not found') return undefined;
      throw new ClientError('Internal', String(keyOf(err, 'message')), String(keyOf(err, 'code')));
    }
    return decodeEntity(kind, keyOf(first, 'entity'));
  }

  /** One page of entities in (kind, id) order. */
  async list(opts: ListOptions = {}): Promise<EntityPage> {
    const params: Record<string, unknown> = {};
    if (opts.kinds !== undefined) params.kinds = opts.kinds;
    if (opts.after !== undefined) params.after = opts.after;
    if (opts.limit !== undefined) params.limit = opts.limit;
    const result = await this.#call('List', params);
    const raw = keyOf(result, 'entities');
    if (!Array.isArray(raw)) throw new ClientError('BadRequest', 'malformed response: entities must be an array');
    const entities = (raw as unknown[]).map((item) => {
      if (!isObject(item)) throw new ClientError('BadRequest', 'malformed response: entity item');
      return decodeEntity(String(keyOf(item, 'kind')), keyOf(item, 'entity'));
    });
    return { entities, revision: revisionOf(result), more: keyOf(result, 'more') === true };
  }

  /** Every entity, page by page. */
  async *listAll(opts: Omit<ListOptions, 'after'> = {}): AsyncGenerator<EntityInfo> {
    let after: ListOptions['after'];
    for (;;) {
      const page = await this.list({ ...opts, ...(after !== undefined ? { after } : {}) });
      yield* page.entities;
      const last = page.entities.at(-1);
      if (!page.more || last === undefined) return;
      after = { kind: last.kind, id: last.id };
    }
  }

  #sameModel(uuid: string): void {
    if (uuid !== this.#modelUUID) {
      throw new ClientError('NotValid', `entity of model ${JSON.stringify(uuid)} sent to model ${JSON.stringify(this.#modelUUID)}`);
    }
  }

  async #call(request: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (let send = 1; ; send++) {
      const conn = await this.#session.connection();
      const version = conn.versionOf('Entities', [1]);
      if (version === undefined) throw new ClientError('NotImplemented', 'the server offers no Entities facade');
      const call: RpcCall = { type: 'Entities', version, request, params };
      try {
        return await conn.call(call);
      } catch (err) {
        if (!(err instanceof ConnectionLostError) || send >= MAX_SENDS) throw err;
      }
    }
  }
}

/** Decodes a wire entity of `kind` (any kind: its id field per the kind table, else `id`). */
export function decodeEntity(kind: string, entity: unknown): EntityInfo {
  return fromWireDelta([kind, 'change', entity], { extraKinds: { [kind]: idFieldOf(kind) } }).entity;
}

function revisionOf(result: Record<string, unknown>): number {
  const r = keyOf(result, 'revision');
  if (typeof r !== 'number') throw new ClientError('BadRequest', 'malformed response: no revision');
  return r;
}
