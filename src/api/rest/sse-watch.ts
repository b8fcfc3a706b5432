// `GET /v1/models/{uuid}/watch`: a model's deltas as Server-Sent Events. The first event is the
// snapshot (`reset: true`) or, when resuming (`Last-Event-ID` or `?since=`), the changes after that
// revision; then one event per batch, its `id:` the revision. A client that stops reading parks the
// stream: no next() is asked for until the socket drains, so the multiwatcher coalesces for it.
import type { ServerResponse } from 'node:http';
import type { Clock, Logger, TimerHandle } from '../../core/index.js';
import { ModelwatchError, errorMessage, toWireDelta } from '../../core/index.js';
import type { WireDelta } from '../../core/index.js';
import type { Watcher } from '../../multiwatcher/index.js';
import { cachedModelAccess } from '../facades/index.js';
import { permissionDenied, requireRouteModel } from './access.js';
import type { Route, RouteContext } from './route.js';

/** A heartbeat comment keeps proxies from closing an idle stream (15 s: under common 30–60 s idles). */
export const SSE_HEARTBEAT_MS = 15_000;
/** Browsers' EventSource waits this long before reconnecting. */
const RETRY_MS = 2000;

/** The watch route; `heartbeatMs` is shrunk by tests. */
export function watchRoute(heartbeatMs = SSE_HEARTBEAT_MS): Route {
  return {
    method: 'GET',
    pattern: '/v1/models/{uuid}/watch',
    modelParam: 'uuid',
    async handle(ctx) {
      const { uuid, identity } = await requireRouteModel(ctx, 'read');
      const { services } = ctx.deps;
      const since = sinceOf(ctx);
      const watcher = services.multiwatcher.watchModel(uuid, since === undefined ? undefined : { since });
      const stream = new SseStream({
        res: ctx.res,
        watcher,
        since,
        clock: services.clock,
        logger: services.logger,
        heartbeatMs,
        // Access is re-checked at each heartbeat: a revoked user's stream ends (spec §9). Through the
        // cache the other routes and the RPC facades share, so many streams of one user cost one
        // lookup per ACCESS_CACHE_MS; a change made through the auth service still applies at once.
        stillAllowed: async () => (await cachedModelAccess(services, identity, uuid)) !== '',
      });
      await stream.run();
      return undefined;
    },
  };
}

/** `Last-Event-ID` (what a reconnecting EventSource sends) wins over `?since=`. */
function sinceOf(ctx: RouteContext): number | undefined {
  const header = ctx.req.headers['last-event-id'];
  const raw = typeof header === 'string' && header !== '' ? header : (ctx.query.get('since') ?? undefined);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new ModelwatchError('BadRequest', 'invalid request: since must be a non-negative integer');
  }
  return n;
}

interface SseStreamConfig {
  res: ServerResponse;
  watcher: Watcher;
  since: number | undefined;
  clock: Clock;
  logger: Logger;
  heartbeatMs: number;
  stillAllowed: () => Promise<boolean>;
}

/** One SSE response fed by one watcher; ends when the client goes, the watcher fails or access ends. */
class SseStream {
  readonly #c: SseStreamConfig;
  #closed = false;
  /** Set while res.write returned false and 'drain' has not come: next() is not called meanwhile. */
  #drained: (() => void) | undefined;
  #heartbeat: TimerHandle | undefined;

  constructor(config: SseStreamConfig) {
    this.#c = config;
  }

  async run(): Promise<void> {
    const { res, watcher } = this.#c;
    res.on('close', () => this.#close());
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n\n`);
    this.#armHeartbeat();
    let first = true;
    try {
      while (!this.#isClosed()) {
        let deltas;
        try {
          deltas = await watcher.next();
        } catch (err) {
          if (!this.#isClosed()) this.#fail(err);
          break;
        }
        if (this.#isClosed()) break;
        const reset = first && (this.#c.since === undefined || watcher.wasReset());
        first = false;
        const event = { revision: watcher.revision(), deltas: this.#encode(deltas), ...(reset ? { reset: true } : {}) };
        if (!res.write(`id: ${event.revision}\ndata: ${JSON.stringify(event)}\n\n`)) await this.#drain();
      }
    } finally {
      this.#close();
      if (!res.writableEnded) res.end();
    }
  }

  /** Wire deltas; one that cannot be encoded is logged and skipped rather than ending the stream. */
  #encode(deltas: Parameters<typeof toWireDelta>[0][]): WireDelta[] {
    const out: WireDelta[] = [];
    for (const d of deltas) {
      try {
        out.push(toWireDelta(d));
      } catch (err) {
        this.#c.logger.warn('SSE watch: delta skipped', { kind: d.entity.kind, id: d.entity.id, err: errorMessage(err) });
      }
    }
    return out;
  }

  #drain(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#closed) {
        resolve();
        return;
      }
      this.#drained = resolve;
      this.#c.res.once('drain', () => this.#wake());
    });
  }

  #wake(): void {
    const d = this.#drained;
    this.#drained = undefined;
    d?.();
  }

  #armHeartbeat(): void {
    this.#heartbeat = this.#c.clock.setTimeout(() => void this.#beat(), this.#c.heartbeatMs);
  }

  async #beat(): Promise<void> {
    if (this.#closed) return;
    let allowed = true;
    try {
      allowed = await this.#c.stillAllowed();
    } catch (err) {
      this.#c.logger.warn('SSE watch: access re-check failed', { err: errorMessage(err) });
    }
    if (this.#isClosed()) return;
    if (!allowed) {
      this.#fail(permissionDenied());
      this.#close();
      this.#c.res.end();
      return;
    }
    // A parked stream's buffer is full already; the pending data keeps the connection busy.
    if (this.#drained === undefined) this.#c.res.write(': heartbeat\n\n');
    this.#armHeartbeat();
  }

  /** Tells the client why the stream ends (`event: watch-error`), unless it is already gone. */
  #fail(err: unknown): void {
    const body = err instanceof ModelwatchError ? { error: err.message, code: err.code } : { error: 'internal error', code: 'Internal' };
    if (!(err instanceof ModelwatchError)) this.#c.logger.error('SSE watch failed', { err: errorMessage(err) });
    if (!this.#c.res.writableEnded) this.#c.res.write(`event: watch-error\ndata: ${JSON.stringify(body)}\n\n`);
  }

  /** A method, not the field: the field changes across awaits, which narrowing does not see. */
  #isClosed(): boolean {
    return this.#closed;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat?.cancel();
    void this.#c.watcher.stop();
    this.#wake();
  }
}
