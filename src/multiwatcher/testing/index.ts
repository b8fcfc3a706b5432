// Test helpers of modelwatch/multiwatcher, for this module's tests and other modules' (never for
// library code): an in-memory backing and a view that applies batches as a consumer would.
export { MemoryBacking } from './memory-backing.js';
export type { MemoryBackingOptions, MemoryTransaction } from './memory-backing.js';
export { DeltaView } from './delta-view.js';
export { settle } from './settle.js';
export { MODEL_1, MODEL_2, MODEL_3, unitInfo, shortDeltas } from './fixtures.js';
