// Terse builders for hooks and changes, and a synchronous drain, for relation and agent tests.
import type { HookInfo, RelationUnitsChange } from '../hook.js';
import type { HookSource } from '../hook-source.js';

/** Hook builders bound to one relation id. */
export interface HookBuilders {
  joined(unit: string, version: number): HookInfo;
  changed(unit: string, version: number): HookInfo;
  departed(unit: string, version: number): HookInfo;
  broken(): HookInfo;
}

/** Builders of hooks for `relationId`. */
export function hooksFor(relationId: number): HookBuilders {
  return {
    joined: (remoteUnit, changeVersion) => ({ kind: 'relation-joined', relationId, remoteUnit, changeVersion }),
    changed: (remoteUnit, changeVersion) => ({ kind: 'relation-changed', relationId, remoteUnit, changeVersion }),
    departed: (remoteUnit, changeVersion) => ({ kind: 'relation-departed', relationId, remoteUnit, changeVersion }),
    broken: () => ({ kind: 'relation-broken', relationId, remoteUnit: '', changeVersion: 0 }),
  };
}

/** A change from `{unit: version}` and a departed list. */
export function unitsChange(changed: Record<string, number>, departed: string[] = []): RelationUnitsChange {
  const out: Record<string, { version: number }> = {};
  for (const [unit, version] of Object.entries(changed)) out[unit] = { version };
  return { changed: out, departed };
}

/**
 * Takes every hook the source offers now (next, then pop), as if each was delivered at once.
 * @throws when more than `limit` hooks come (a runaway source).
 */
export function drainSource(source: HookSource, limit = 100_000): HookInfo[] {
  const hooks: HookInfo[] = [];
  while (!source.empty()) {
    if (hooks.length >= limit) throw new Error(`source offered more than ${limit} hooks`);
    hooks.push(source.next());
    source.pop();
  }
  return hooks;
}
