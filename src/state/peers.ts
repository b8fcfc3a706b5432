// The other processes writing one SQLite file (`modelwatch serve --workers N`): SQLite has no NOTIFY,
// so a commit's doorbell ring, and a presence ring, cross to them over this seam (the cluster's IPC
// through the primary). Without it they would still see every commit, one poll interval late.
import type { Logger } from '../core/index.js';
import { errorMessage } from '../core/index.js';
import type { StoredChange } from './driver.js';

/** A ring that crosses to the other processes: a commit's exact rows, or a presence model. */
export type PeerRing =
  | { kind: 'state'; rev: number; changes: readonly StoredChange[] }
  | { kind: 'presence'; modelUUID: string };

/** Sends this process's rings to the other processes and hands theirs to this one. */
export interface SqlitePeers {
  /** Called after every local commit that changed something, and on every local presence ring. */
  publish(ring: PeerRing): void;
  /** Registers for the other processes' rings; returns the unsubscribe. */
  subscribe(listener: (ring: PeerRing) => void): () => void;
}

/** True when `value` has the shape of SqlitePeers (checked by openState). */
export function isSqlitePeers(value: unknown): value is SqlitePeers {
  const p = value as Partial<SqlitePeers> | null;
  return p !== null && typeof p === 'object' && typeof p.publish === 'function' && typeof p.subscribe === 'function';
}

/**
 * `peers` whose publish never throws: a failure is logged instead (the other processes still see the
 * change on their next poll), so it cannot strand the rest of a group commit's batch, nor reach the
 * caller of a presence ring, which rings after its write has succeeded.
 */
export function loggedPeers(peers: SqlitePeers, logger: Logger): SqlitePeers {
  return {
    publish(ring) {
      try {
        peers.publish(ring);
      } catch (err) {
        logger.error('state peers publish failed', { ring: ring.kind, error: errorMessage(err) });
      }
    },
    subscribe: (listener) => peers.subscribe(listener),
  };
}
