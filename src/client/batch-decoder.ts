// Decodes a Next result (`{deltas, revision, reset}`) into core Deltas. A delta that cannot be
// decoded is skipped and logged once per kind, never failing the batch (upstream clients hung on
// a new kind: spec/multiwatcher.md §6.3).
import { fromWireDelta, isUnknownKindError } from '../core/index.js';
import type { Delta, Logger } from '../core/index.js';
import { ClientError } from './client-error.js';
import { isObject, keyOf } from './frame-codec.js';

/** One batch as a watcher delivers it. */
export interface DeltaBatch {
  /** Coalesced deltas, oldest change first; on a reset batch, the full state as changes. */
  deltas: Delta[];
  /** The store revision this batch is consistent at (0 when the server does not send one). */
  revision: number;
  /** True when the batch is a full snapshot: entities held and missing from it are gone. */
  reset: boolean;
}

/** How kinds outside Juju's table are decoded. */
export interface KindPolicy {
  /** Kind → id field for kinds the caller knows beyond Juju's table. */
  extraKinds: Readonly<Record<string, string>>;
  /** When true (default), other kinds are decoded with id field `id` if they carry one. */
  openKinds: boolean;
  /** Kinds already logged as skipped (shared by a client's watchers, so each is logged once). */
  skippedKinds: Set<string>;
  logger: Logger;
}

/**
 * Decodes a Next result.
 * @throws ClientError BadRequest when `deltas` is not an array (the frame is unusable).
 */
export function decodeBatch(result: Record<string, unknown>, fallbackRevision: number, policy: KindPolicy): DeltaBatch {
  const raw = keyOf(result, 'deltas') ?? [];
  if (!Array.isArray(raw)) throw new ClientError('BadRequest', 'malformed response: deltas must be an array');
  const rev = keyOf(result, 'revision');
  const revision = typeof rev === 'number' && Number.isSafeInteger(rev) ? rev : fallbackRevision;
  const deltas: Delta[] = [];
  for (const wire of raw as unknown[]) {
    const d = decodeDelta(wire, policy);
    if (d !== undefined) deltas.push(d);
  }
  return { deltas, revision, reset: keyOf(result, 'reset') === true };
}

function decodeDelta(wire: unknown, policy: KindPolicy): Delta | undefined {
  let failure: unknown;
  try {
    return fromWireDelta(wire, { extraKinds: policy.extraKinds });
  } catch (err) {
    failure = err;
  }
  const kind = Array.isArray(wire) && typeof wire[0] === 'string' ? wire[0] : '?';
  if (isUnknownKindError(failure) && policy.openKinds && Array.isArray(wire) && isObject(wire[2]) && typeof wire[2].id === 'string') {
    try {
      return fromWireDelta(wire, { extraKinds: { ...policy.extraKinds, [kind]: 'id' } });
    } catch (err) {
      failure = err;
    }
  }
  if (!policy.skippedKinds.has(kind)) {
    policy.skippedKinds.add(kind);
    policy.logger.warn(`skipping deltas of kind ${JSON.stringify(kind)}: ${failure instanceof Error ? failure.message : String(failure)}`, { kind });
  }
  return undefined;
}
