// Entity identity, infos and deltas: the values every module passes around.
import { jsonClone, jsonEqual } from './deep-equal.js';

/** Identity of an entity: (kind, modelUUID, id). */
export interface EntityId {
  kind: string;
  modelUUID: string;
  id: string;
}

/** An entity: its identity plus `data`, every other field (JSON-serialisable, kebab-case wire names). */
export interface EntityInfo extends EntityId {
  data: Record<string, unknown>;
}

/** One change to one entity: `removed` false for a change, true for a removal (with the last info). */
export interface Delta {
  removed: boolean;
  entity: EntityInfo;
}

/**
 * A string key unique per identity, for Maps. The NUL separator cannot occur in a valid kind,
 * model UUID or id (ids exclude control characters).
 */
export function entityKey(id: EntityId): string {
  return `${id.kind}\u0000${id.modelUUID}\u0000${id.id}`;
}

/** The identity part of an info (a fresh object). */
export function entityIdOf(id: EntityId): EntityId {
  return { kind: id.kind, modelUUID: id.modelUUID, id: id.id };
}

/** True when both name the same entity. */
export function sameEntityId(a: EntityId, b: EntityId): boolean {
  return a.kind === b.kind && a.modelUUID === b.modelUUID && a.id === b.id;
}

/** Two infos are equal when their ids are equal and their data is deep-equal as JSON. */
export function infoEquals(a: EntityInfo, b: EntityInfo): boolean {
  return sameEntityId(a, b) && jsonEqual(a.data, b.data);
}

/** A deep copy of an info; the copy shares nothing with the original. */
export function cloneInfo(info: EntityInfo): EntityInfo {
  return { kind: info.kind, modelUUID: info.modelUUID, id: info.id, data: jsonClone(info.data) };
}

/**
 * Key order used by followers and sorted listings: kind, then modelUUID, then id, each by UTF-16
 * code units (JavaScript `<`), not locale-aware.
 */
export function compareEntityIds(a: EntityId, b: EntityId): number {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.modelUUID !== b.modelUUID) return a.modelUUID < b.modelUUID ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}
