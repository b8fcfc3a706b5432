// A Follower that logs every callback as a line of text and keeps the view it was handed, so tests
// can compare both the sequence of calls and the state the consumer rebuilt.
import type { EntityId, EntityInfo } from '../../core/index.js';
import { entityKey, infoEquals } from '../../core/index.js';
import type { Follower } from '../follower.js';

/** Test model UUIDs (valid lower-case UUIDs, so watchEntity accepts them). */
export const M1 = '00000000-0000-4000-8000-000000000001';
export const M2 = '00000000-0000-4000-8000-000000000002';

/** An info of model M1 unless told otherwise. */
export function info(kind: string, id: string, data: Record<string, unknown> = {}, modelUUID = M1): EntityInfo {
  return { kind, modelUUID, id, data };
}

/** An id of model M1 unless told otherwise. */
export function entityId(kind: string, id: string, modelUUID = M1): EntityId {
  return { kind, modelUUID, id };
}

/** `unit mysql/0 {"v":1}`: kind, id and data of an info (model left out; tests use few). */
export function show(e: EntityInfo): string {
  return `${e.kind} ${e.id} ${JSON.stringify(e.data)}`;
}

/** Options of recordingFollower: the judgements and an optional hook run inside each callback. */
export interface RecordingOptions {
  filter?: (e: EntityInfo) => boolean;
  equals?: (a: EntityInfo, b: EntityInfo) => boolean;
  /** Runs inside each callback after it is logged; its return value is the callback's. */
  hook?: (line: string) => void | Promise<void>;
}

/** A Follower plus what it saw: `log` of lines, `held` key → info as the consumer holds it. */
export interface RecordingFollower {
  follower: Follower;
  log: string[];
  held: Map<string, EntityInfo>;
}

/**
 * Lines: `new <show>`, `updated <show prev> -> <data next>`, `deleted <show prev>`, `batch` or
 * `batch synced`.
 */
export function recordingFollower(opts: RecordingOptions = {}): RecordingFollower {
  const log: string[] = [];
  const held = new Map<string, EntityInfo>();
  const record = (line: string): void | Promise<void> => {
    log.push(line);
    return opts.hook?.(line);
  };
  const follower: Follower = {
    filter: opts.filter ?? (() => true),
    equals: opts.equals ?? infoEquals,
    onNew: (e) => {
      held.set(entityKey(e), e);
      return record(`new ${show(e)}`);
    },
    onUpdated: (prev, next) => {
      held.set(entityKey(next), next);
      return record(`updated ${show(prev)} -> ${JSON.stringify(next.data)}`);
    },
    onDeleted: (prev) => {
      held.delete(entityKey(prev));
      return record(`deleted ${show(prev)}`);
    },
    onBatchDone: ({ synced }) => record(synced ? 'batch synced' : 'batch'),
  };
  return { follower, log, held };
}
