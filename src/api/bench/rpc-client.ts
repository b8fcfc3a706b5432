// A lean Juju-RPC WebSocket client for the load generators: login, start a watcher, loop Next. One
// object per connection, thousands per process, so it keeps only the socket and a pending map.
import { WebSocket } from 'ws';

export interface RpcResult {
  [key: string]: unknown;
}

type Delta = [string, string, Record<string, unknown>];

/** One connection; `watch()` loops Next and hands every batch to `onBatch` until closed. */
export class BenchRpcClient {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, { resolve: (r: RpcResult) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #closed = false;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => this.#onMessage(data));
    ws.on('close', () => this.#fail(new Error('connection closed')));
    ws.on('error', () => this.#fail(new Error('connection error')));
  }

  /** Opens `url` (ws://…); rejects on error or after `timeoutMs`. */
  static open(url: string, timeoutMs: number): Promise<BenchRpcClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      ws.once('open', () => resolve(new BenchRpcClient(ws)));
      ws.once('error', (err) => reject(err));
    });
  }

  call(type: string, version: number, request: string, opts: { id?: string; params?: Record<string, unknown> } = {}): Promise<RpcResult> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new Error('connection closed'));
        return;
      }
      this.#pending.set(id, { resolve, reject });
      const msg: Record<string, unknown> = { 'request-id': id, type, version, request };
      if (opts.id !== undefined) msg.id = opts.id;
      if (opts.params !== undefined) msg.params = opts.params;
      this.#ws.send(JSON.stringify(msg));
    });
  }

  login(user: string, password: string): Promise<RpcResult> {
    return this.call('Admin', 3, 'Login', { params: { 'auth-tag': `user-${user}`, credentials: password, 'client-version': '4.0.12' } });
  }

  /**
   * Loops `Next` on watcher `id` of `facade` until the connection closes, calling `onBatch` with the
   * receipt time (wall ms) and the deltas of every answer. Resolves when the loop ends.
   */
  async watch(facade: string, version: number, id: string, onBatch: (at: number, deltas: Delta[], revision: number | undefined) => void): Promise<void> {
    while (!this.#closed) {
      let r: RpcResult;
      try {
        r = await this.call(facade, version, 'Next', { id });
      } catch {
        return;
      }
      const at = performance.timeOrigin + performance.now();
      const deltas = Array.isArray(r.deltas) ? (r.deltas as Delta[]) : [];
      onBatch(at, deltas, typeof r.revision === 'number' ? r.revision : undefined);
    }
  }

  close(): void {
    this.#closed = true;
    this.#ws.close();
  }

  /** Hard close without the closing handshake (fast teardown of thousands). */
  terminate(): void {
    this.#closed = true;
    this.#ws.terminate();
  }

  #onMessage(data: Buffer): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    } catch {
      return;
    }
    const id = m['request-id'];
    if (typeof id !== 'number') return;
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    if (typeof m.error === 'string') p.reject(new Error(`${m.error}${typeof m['error-code'] === 'string' ? ` (${m['error-code']})` : ''}`));
    else p.resolve((m.response ?? {}) as RpcResult);
  }

  #fail(err: Error): void {
    this.#closed = true;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}

/**
 * A load generator's client: opens `url`, logs in, starts a watcher with `start` (which answers
 * `watcher-id`), takes its first batch (the snapshot, or nothing new since a revision: not a
 * sample), then loops Next in the background. The client is terminated if any step fails.
 */
export async function openWatching(o: {
  url: string; user: string; password: string; facade: string; version: number;
  start: (c: BenchRpcClient) => Promise<RpcResult>;
  onBatch: (at: number, deltas: Delta[], revision: number | undefined) => void;
}): Promise<BenchRpcClient> {
  const c = await BenchRpcClient.open(o.url, 60_000);
  try {
    await c.login(o.user, o.password);
    const id = String((await o.start(c))['watcher-id']);
    await c.call(o.facade, o.version, 'Next', { id });
    void c.watch(o.facade, o.version, id, o.onBatch);
    return c;
  } catch (err) {
    c.terminate();
    throw err;
  }
}

/** Runs `task(i)` for i in [0, n) with at most `limit` in flight; resolves with the failures. */
export async function boundedAll(n: number, limit: number, task: (i: number) => Promise<void>): Promise<{ failed: number; firstError: string | undefined }> {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
  return { failed, firstError };
}
