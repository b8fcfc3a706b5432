// Static hook sources (spec §5, §6.1): a fixed list, and the dying source that cleans a relation
// up from committed state. No watcher; updates are refused.
import { ModelwatchError, NotValidError } from '../core/index.js';
import type { HookInfo, RelationUnitsChange } from './hook.js';
import { validateHookInfo } from './hook.js';
import type { HookSource } from './hook-source.js';
import { silentChanges } from './hook-source.js';
import { RelationState } from './relation-state.js';
import { emptySourceError } from './schedule.js';

class ListSource implements HookSource {
  /** Copies of the hooks still to deliver; `#index` is the next one. */
  readonly #hooks: readonly HookInfo[];
  #index = 0;
  readonly #changes = silentChanges();

  constructor(hooks: readonly HookInfo[]) {
    this.#hooks = hooks;
  }

  changes(): AsyncIterable<RelationUnitsChange> {
    return this.#changes;
  }

  update(_change: RelationUnitsChange): void {
    throw new ModelwatchError('NotValid', 'HookSource does not accept updates');
  }

  empty(): boolean {
    return this.#index >= this.#hooks.length;
  }

  next(): HookInfo {
    const hook = this.#hooks[this.#index];
    if (hook === undefined) throw emptySourceError();
    return { ...hook };
  }

  pop(): void {
    if (this.empty()) throw emptySourceError();
    this.#index++;
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A source that yields copies of `hooks` in order, then is empty; it accepts no updates.
 * @throws NotValidError for a malformed hook.
 */
export function newListSource(hooks: HookInfo[]): HookSource {
  if (!Array.isArray(hooks)) throw new NotValidError('hooks not valid: must be an array');
  const copies = hooks.map((hook) => {
    validateHookInfo(hook);
    return { kind: hook.kind, relationId: hook.relationId, remoteUnit: hook.remoteUnit, changeVersion: hook.changeVersion };
  });
  return new ListSource(copies);
}

/**
 * The hooks that end a relation from committed state (spec §5): the owed changed (stored version),
 * departed for every member in ascending order, then one relation-broken.
 * @throws NotValidError when `initial` is broken or not a valid RelationState.
 */
export function newDyingHookSource(initial: RelationState): HookSource {
  const state = checkedState(initial);
  if (state.broken) throw new NotValidError('initial relation state not valid: relation is broken');
  const { relationId } = state;
  const hooks: HookInfo[] = [];
  if (state.changedPending !== '') {
    hooks.push({ kind: 'relation-changed', relationId, remoteUnit: state.changedPending, changeVersion: memberVersion(state, state.changedPending) });
  }
  for (const unit of [...state.members.keys()].sort()) {
    hooks.push({ kind: 'relation-departed', relationId, remoteUnit: unit, changeVersion: memberVersion(state, unit) });
  }
  hooks.push({ kind: 'relation-broken', relationId, remoteUnit: '', changeVersion: 0 });
  return new ListSource(hooks);
}

/**
 * Re-validates a caller's state by copying it through the constructor (it may have been mutated
 * since construction) and checks that a pending unit is a member.
 */
export function checkedState(initial: RelationState): RelationState {
  if (!(initial instanceof RelationState)) throw new NotValidError('initial relation state not valid: must be a RelationState');
  const copy = new RelationState(initial.relationId, initial.broken ? null : initial.members, initial.changedPending);
  if (copy.changedPending !== '' && !copy.members.has(copy.changedPending)) {
    throw new NotValidError(`initial relation state not valid: changed pending unit ${JSON.stringify(copy.changedPending)} is not a member`);
  }
  return copy;
}

function memberVersion(state: RelationState, unit: string): number {
  return state.members.get(unit) ?? 0;
}
