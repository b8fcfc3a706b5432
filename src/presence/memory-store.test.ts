import { flushMicrotasks } from '../core/index.js';
import { MemoryPresenceStore } from './memory-store.js';
import { presenceScenarios, presenceStoreContract } from './testing/index.js';

const open = () => Promise.resolve({ store: new MemoryPresenceStore(), settle: flushMicrotasks, exactTiming: true, close: () => Promise.resolve() });

presenceStoreContract('memory', open);
presenceScenarios('memory', open);
