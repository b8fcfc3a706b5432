// Watching agents' presence through the Presence v1 facade (spec/protocol.md §6.3). After a
// reconnect the new server watcher reports every key again; only real transitions are passed on.
import { ClientError } from './client-error.js';
import { isObject, keyOf } from './frame-codec.js';
import type { WatchDriver } from './resumable-watcher.js';
import type { RpcConnection } from './rpc-connection.js';

/** One agent's liveness. */
export interface PresenceChange {
  /** Agent tag (`machine-0`, `unit-mysql-0`). */
  key: string;
  alive: boolean;
}

/** Most keys one Presence.Watch takes (spec/protocol.md §6.3). */
export const MAX_PRESENCE_KEYS = 1000;

/** See the file comment. */
export class PresenceWatchDriver implements WatchDriver<PresenceChange[]> {
  readonly #keys: readonly string[];
  /** Last state delivered per key: reconnects report only what differs from it. */
  readonly #known = new Map<string, boolean>();
  #delivered = 0;

  /** @throws ClientError NotValid for 0 or more than 1,000 keys. */
  constructor(keys: readonly string[]) {
    if (keys.length === 0 || keys.length > MAX_PRESENCE_KEYS) {
      throw new ClientError('NotValid', `presence keys not valid: give 1 to ${MAX_PRESENCE_KEYS} agent tags`);
    }
    this.#keys = [...keys];
  }

  async start(conn: RpcConnection, signal: AbortSignal): Promise<{ id: string; type: string; version: number }> {
    const version = conn.versionOf('Presence', [1]);
    if (version === undefined) throw new ClientError('NotImplemented', 'the server offers no Presence facade');
    const result = await conn.call({ type: 'Presence', version, request: 'Watch', params: { keys: this.#keys } }, signal);
    const id = keyOf(result, 'watcher-id');
    if (typeof id !== 'string' || id === '') throw new ClientError('BadRequest', 'malformed response: no watcher-id');
    return { id, type: 'Presence', version };
  }

  accept(result: Record<string, unknown>): PresenceChange[] | undefined {
    const raw = keyOf(result, 'changes');
    if (!Array.isArray(raw)) throw new ClientError('BadRequest', 'malformed response: changes must be an array');
    const out: PresenceChange[] = [];
    for (const c of raw as unknown[]) {
      if (!isObject(c)) continue;
      const key = keyOf(c, 'key');
      const alive = keyOf(c, 'alive');
      if (typeof key !== 'string' || typeof alive !== 'boolean') continue;
      if (this.#known.get(key) === alive) continue;
      this.#known.set(key, alive);
      out.push({ key, alive });
    }
    if (out.length === 0 && this.#delivered > 0) return undefined;
    this.#delivered++;
    return out;
  }
}
