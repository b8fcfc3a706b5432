// Small fixtures for multiwatcher tests: fixed model UUIDs and a unit-entity builder.
import type { Delta, EntityInfo } from '../../core/index.js';

/** Fixed model UUIDs (valid lower-case RFC 4122 form). */
export const MODEL_1 = '11111111-1111-4111-8111-111111111111';
export const MODEL_2 = '22222222-2222-4222-8222-222222222222';
export const MODEL_3 = '33333333-3333-4333-8333-333333333333';

/** A `unit` entity of the given model (MODEL_1 by default). */
export function unitInfo(id: string, data: Record<string, unknown> = {}, modelUUID = MODEL_1): EntityInfo {
  return { kind: 'unit', modelUUID, id, data };
}

/** A batch as short strings: "+id" for a change, "-id" for a removal. */
export function shortDeltas(deltas: readonly Delta[]): string[] {
  return deltas.map((d) => `${d.removed ? '-' : '+'}${d.entity.id}`);
}
