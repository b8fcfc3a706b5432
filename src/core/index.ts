// modelwatch/core: the primitives every module imports — entity ids and deltas, their wire form,
// the Clock, typed errors, the Logger, validation, the Worker contract and the backing seam.

export type { EntityId, EntityInfo, Delta } from './entity.js';
export { entityKey, entityIdOf, sameEntityId, infoEquals, cloneInfo, compareEntityIds } from './entity.js';
export { jsonEqual, jsonClone } from './deep-equal.js';
export type { WireDelta, WireDecodeOptions } from './wire-delta.js';
export { toWireDelta, fromWireDelta, idFieldOf, isUnknownKindError, JUJU_KIND_ID_FIELDS } from './wire-delta.js';
export type { Clock, TimerHandle } from './clock.js';
export { SystemClock, sleep } from './clock.js';
export { ManualClock, flushMicrotasks } from './manual-clock.js';
export type { ErrorCode } from './errors.js';
export { ModelwatchError, NotValidError, hasCode, errorMessage, asError } from './errors.js';
export type { Logger, LogRecord } from './logger.js';
export { nullLogger, pinoLogger, MemoryLogger } from './logger.js';
export { exponentialDelayMs } from './backoff.js';
export type { Random } from './random.js';
export { systemRandom, seededRandom } from './random.js';
export {
  validateKind, validateModelUUID, validateId, validateEntityId, validateEntityInfo, isModelUUID, isEntityInfo,
  MAX_ID_LENGTH, MAX_DATA_BYTES,
} from './validate.js';
export type { Worker, Reporter } from './worker.js';
export { isReporter } from './worker.js';
export { registeredMetric, isRegistry } from './registered-metric.js';
export type { ShortLivedCacheOptions } from './short-lived-cache.js';
export { ShortLivedCache } from './short-lived-cache.js';
export type { Deferred } from './deferred.js';
export { deferred } from './deferred.js';
export type { BackingStore, BackingChange, AllWatcherBacking } from './backing.js';
