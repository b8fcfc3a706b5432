// The relation hook vocabulary (HookInfo, the relation units watcher's change) and the checks that
// keep malformed input out of the schedule and off the disk. Rules of order live elsewhere.
import { NotValidError } from '../core/index.js';

/** The four relation hooks a unit agent runs, in the charm's words. */
export type HookKind = 'relation-joined' | 'relation-changed' | 'relation-departed' | 'relation-broken';

/** One hook to run: remoteUnit '' and changeVersion 0 for relation-broken. */
export interface HookInfo {
  kind: HookKind;
  relationId: number;
  remoteUnit: string;
  changeVersion: number;
}

/** What the relation units watcher reports: units entering or changing settings, units leaving. */
export interface RelationUnitsChange {
  changed: Record<string, { version: number }>;
  departed: string[];
}

/**
 * The watcher a live hook source reads. Its first change is the full snapshot of the units in
 * scope; `stop()` ends `changes()`; `err()` is the error it died of, if any.
 */
export interface RelationUnitsWatcher {
  changes(): AsyncIterable<RelationUnitsChange>;
  stop(): Promise<void>;
  err(): Error | undefined;
}

const HOOK_KINDS: ReadonlySet<string> = new Set<HookKind>([
  'relation-joined', 'relation-changed', 'relation-departed', 'relation-broken',
]);

// Juju's names grammar: an application is lower-case words joined by '-', where no word is only
// digits (so `foo-bar-1` reads back unambiguously as foo-bar/1); a unit number has no leading zero.
const UNIT_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*\/(?:0|[1-9][0-9]*)$/;

/** True when `name` is `<application>/<number>`. */
export function isUnitName(name: unknown): name is string {
  return typeof name === 'string' && UNIT_RE.test(name);
}

/** True for a hook kind. */
function isHookKind(kind: unknown): kind is HookKind {
  return typeof kind === 'string' && HOOK_KINDS.has(kind);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return typeof v;
}

/** @throws NotValidError naming `field` unless id is a non-negative safe integer. */
export function validateRelationId(id: unknown, field = 'relation id'): asserts id is number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new NotValidError(`${field} ${describe(id)} not valid: must be a non-negative safe integer`);
  }
}

/** @throws NotValidError naming `field` unless v is a safe integer. */
export function validateVersion(v: unknown, field = 'change version'): asserts v is number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new NotValidError(`${field} ${describe(v)} not valid: must be a safe integer`);
  }
}

/** @throws NotValidError naming `field` unless name is `<application>/<number>`. */
export function validateUnitName(name: unknown, field = 'remote unit'): asserts name is string {
  if (!isUnitName(name)) {
    throw new NotValidError(`${field} ${describe(name)} not valid: must be <application>/<number>`);
  }
}

/**
 * Checks a hook's shape (not its fit to a state: that is RelationState.validate).
 * @throws NotValidError naming the bad field.
 */
export function validateHookInfo(hook: unknown): asserts hook is HookInfo {
  if (hook === null || typeof hook !== 'object') throw new NotValidError('hook info not valid: must be an object');
  const h = hook as Record<string, unknown>;
  if (!isHookKind(h.kind)) {
    throw new NotValidError(`hook kind ${describe(h.kind)} not valid: must be one of ${[...HOOK_KINDS].join(', ')}`);
  }
  validateRelationId(h.relationId, 'hook relation id');
  if (h.kind === 'relation-broken') {
    if (h.remoteUnit !== '') throw new NotValidError(`hook remote unit ${describe(h.remoteUnit)} not valid: must be "" for relation-broken`);
    if (h.changeVersion !== 0) throw new NotValidError(`hook change version ${describe(h.changeVersion)} not valid: must be 0 for relation-broken`);
    return;
  }
  validateUnitName(h.remoteUnit, 'hook remote unit');
  validateVersion(h.changeVersion, 'hook change version');
}

/**
 * Checks a watcher change's shape: `changed` maps unit names to `{version}`, `departed` lists
 * unit names.
 * @throws NotValidError naming the bad field.
 */
export function validateRelationUnitsChange(change: unknown): asserts change is RelationUnitsChange {
  if (change === null || typeof change !== 'object') throw new NotValidError('relation units change not valid: must be an object');
  const c = change as Record<string, unknown>;
  const changed = c.changed;
  if (changed === null || typeof changed !== 'object' || Array.isArray(changed)) {
    throw new NotValidError('relation units change "changed" not valid: must be an object');
  }
  for (const [unit, settings] of Object.entries(changed as Record<string, unknown>)) {
    validateUnitName(unit, 'changed unit');
    if (settings === null || typeof settings !== 'object') {
      throw new NotValidError(`changed unit ${JSON.stringify(unit)} settings not valid: must be {version}`);
    }
    validateVersion((settings as Record<string, unknown>).version, `changed unit ${JSON.stringify(unit)} version`);
  }
  if (!Array.isArray(c.departed)) throw new NotValidError('relation units change "departed" not valid: must be an array');
  for (const unit of c.departed as unknown[]) validateUnitName(unit, 'departed unit');
}
