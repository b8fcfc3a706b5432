import { MemoryUserStore } from './memory-user-store.js';
import { userStoreSuite } from './testdata/user-store-suite.js';

userStoreSuite('memory', () => Promise.resolve({ store: new MemoryUserStore(), close: () => Promise.resolve() }));
