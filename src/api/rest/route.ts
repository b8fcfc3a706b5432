// A REST route: method, path pattern with `{param}` segments, and its handler. Matching is by whole
// path segments, percent-decoded one by one, so an id may hold an encoded `/` (`mysql%2F0`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ModelwatchError } from '../../core/index.js';
import type { Identity } from '../services.js';
import type { RestDeps } from './rest-deps.js';

/** What a handler gets. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly deps: RestDeps;
  /** Decoded path parameters by name. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Authenticates the request (Basic or Bearer) once; later calls return the same identity. */
  identity(): Promise<Identity>;
  /** The request body parsed as JSON (undefined when empty). */
  body(): Promise<unknown>;
}

/** A JSON answer; a handler that streams (SSE) writes the response itself and returns undefined. */
export interface RouteResult {
  status: number;
  body: unknown;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/v1/models/{uuid}/entities/{kind}/{id}`; also the `route` metric label. */
  readonly pattern: string;
  /** The path parameter naming the model the request acts on: Basic logins are made on that model. */
  readonly modelParam?: string;
  handle(ctx: RouteContext): Promise<RouteResult | undefined>;
}

/** A compiled route table. */
export class RouteTable {
  readonly #routes: ReadonlyArray<{ route: Route; segments: readonly string[] }>;

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((route) => ({ route, segments: route.pattern.split('/').slice(1) }));
  }

  /**
   * The route for a method and raw path: `undefined` when no pattern has this path (not ours),
   * `{ allowed }` when the path exists for other methods only.
   * @throws ModelwatchError BadRequest for malformed percent-encoding in a matched shape.
   */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined {
    const raw = path.split('/').slice(1);
    const allowed: string[] = [];
    for (const { route, segments } of this.#routes) {
      const params = matchSegments(segments, raw);
      if (params === undefined) continue;
      if (route.method === method) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }
}

function matchSegments(pattern: readonly string[], raw: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== raw.length) return undefined;
  // Literals first: a pattern that does not match decodes nothing (so a bad escape is only reported
  // for the shape that has it).
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p.startsWith('{') ? raw[i] === '' : p !== raw[i]) return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p.startsWith('{')) params[p.slice(1, -1)] = decodeSegment(raw[i] as string);
  }
  return params;
}

function decodeSegment(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ModelwatchError('BadRequest', `invalid request: malformed percent-encoding in path segment ${JSON.stringify(s.slice(0, 64))}`);
  }
}
