// Test helpers of modelwatch/presence, shared with the state backends' presence tests.
export { FaultyPresenceStore } from './faulty-store.js';
export { World, alives, BASE_MS } from './world.js';
export type { PresenceHarness, SeenChange } from './world.js';
export { presenceScenarios } from './scenario-suite.js';
export { presenceStoreContract } from './store-suite.js';
export { trackInflight } from './inflight.js';
