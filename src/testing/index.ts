// modelwatch testing helpers shared by every module's tests (never imported by library code).
export { postgresTestUrl, describePostgres, createTestDatabase } from './postgres.js';
export type { TestDatabase } from './postgres.js';
export { startControllerProcess, freePort } from './controller-process.js';
export type { ControllerProcess } from './controller-process.js';
export { RawRpc } from './raw-rpc.js';
export { waitFor } from './wait-for.js';
export { sampleOf, registrySample } from './metric-sample.js';
