// Encoding deltas for the wire once (STYLE §9): the multiwatcher hands every RPC watcher the same
// delta object for the same change (`watchShared`), so its JSON text is memoised on that object and
// a Next frame is built by concatenating the cached texts. The memo is a WeakMap: an entry lives as
// long as the store's delta object (one per entity revision), so it needs no bound of its own.
import { idFieldOf, toWireDelta } from '../../core/index.js';
import type { Delta, WireDelta } from '../../core/index.js';
import { EncodedResponse } from '../rpc/envelope.js';

const encoded = new WeakMap<Delta, string>();
let encodings = 0;

/**
 * One delta as the wire carries it. The entity's id fields come from its EntityId over same-named keys
 * in data (spec/protocol.md §7), so data that collides (written by a careless producer) is still
 * delivered rather than failing the batch.
 */
export function wireDelta(d: Delta): WireDelta {
  try {
    return toWireDelta(d);
  } catch {
    const { kind, modelUUID, id, data } = d.entity;
    return [kind, d.removed ? 'remove' : 'change', { ...data, 'model-uuid': modelUUID, [idFieldOf(kind)]: id }];
  }
}

/** The JSON text of a delta, encoded on first use and then shared by every watcher that sends it. */
export function encodedDelta(d: Delta): string {
  let json = encoded.get(d);
  if (json === undefined) {
    json = JSON.stringify(wireDelta(d));
    encoded.set(d, json);
    encodings++;
  }
  return json;
}

/** Deltas JSON-encoded so far in this process (for tests: one per change, however many watchers). */
export function deltaEncodings(): number {
  return encodings;
}

/** A Next result `{"revision":R,"deltas":[…]}` (+ `"reset":true`) from the cached delta texts. */
export function encodeNextResult(revision: number, deltas: readonly Delta[], reset: boolean): EncodedResponse {
  let json = `{"revision":${revision},"deltas":[`;
  for (let i = 0; i < deltas.length; i++) {
    if (i > 0) json += ',';
    json += encodedDelta(deltas[i] as Delta);
  }
  json += reset ? '],"reset":true}' : ']}';
  return new EncodedResponse(json);
}
