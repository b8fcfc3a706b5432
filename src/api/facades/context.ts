// What a facade method sees of its connection (spec/protocol.md §4): the services, the connection
// kind and model, who is logged in, and the connection's watcher table. The RPC layer implements it.
import type { ControllerServices, Identity } from '../services.js';
import type { MethodResult, RpcRequest } from '../rpc/envelope.js';
import type { WatcherTable } from './watcher-table.js';

/** `/model/<uuid>/api` is a model connection; `/api` a controller connection. */
export type ConnectionKind = 'model' | 'controller';

/**
 * What a method requires, checked on every call after the method lookup (spec §9):
 * - `none`: callable before login (Admin.Login only);
 * - `any`: any logged-in identity;
 * - `read` / `write`: that access on the connection's model (agents: read on their own model);
 * - `write-or-agent-self`: users need write; agents pass, and the method allows only their own entity;
 * - `user-read`: read on the connection's model, users only (agents: permission denied);
 * - `user`: any logged-in user (per-item checks inside the method);
 * - `superuser`: a user with controller access superuser.
 */
export type Access = 'none' | 'any' | 'read' | 'write' | 'write-or-agent-self' | 'user-read' | 'user' | 'superuser';

/** The connection as one facade call sees it. */
export interface FacadeContext {
  readonly services: ControllerServices;
  readonly kind: ConnectionKind;
  /** The model of a model connection, verbatim from the URL (unchecked before Login); controller: undefined. */
  readonly modelUUID: string | undefined;
  readonly remoteAddress: string;
  /** The logged-in identity, undefined before a successful Login. */
  identity(): Identity | undefined;
  /** Live and reserved watcher ids of this connection. */
  readonly watchers: WatcherTable;
  /**
   * Runs a Login attempt exclusively (Logins on one connection are serialised) and records its
   * outcome: the identity on success; on failure the connection counts it (closing after 3).
   */
  login(attempt: () => Promise<Identity>): Promise<Identity>;
}

/** One method of a facade. */
export interface MethodSpec {
  readonly access: Access;
  /** Validates params and runs; throws RpcError (exact texts) or ModelwatchError. */
  call(ctx: FacadeContext, req: RpcRequest): Promise<MethodResult>;
}

/** A facade: its name, advertised versions, where it is offered and its methods. */
export interface FacadeSpec {
  readonly name: string;
  readonly versions: readonly number[];
  readonly offeredOn: ConnectionKind | 'both';
  readonly methods: Readonly<Record<string, MethodSpec>>;
}
