// The committed state of one relation as seen by one unit agent (members and their last committed
// versions, the owed changed), and `validate`, which checks a hook against it before it runs.
import { NotValidError } from '../core/index.js';
import type { HookInfo } from './hook.js';
import { validateRelationId, validateUnitName, validateVersion } from './hook.js';

/** Committed relation state: what the last committed hook of each remote unit left behind. */
export class RelationState {
  /** The relation, a non-negative safe integer. */
  relationId: number;
  /** Remote unit → version of its last committed hook. Empty when broken. */
  members: Map<string, number>;
  /** The unit whose relation-changed is owed right after its committed joined; '' for none. */
  changedPending: string;
  /** True once the relation's state was removed (upstream's nil member map); nothing may follow. */
  broken: boolean;

  /**
   * Copies `members`; `null` builds a broken state, `undefined` an empty live one.
   * @throws NotValidError naming the field for a bad relation id, unit name, version or pending unit.
   */
  constructor(relationId: number, members?: Map<string, number> | null, changedPending = '') {
    validateRelationId(relationId);
    const copy = new Map<string, number>();
    if (members !== null && members !== undefined) {
      if (!(members instanceof Map)) throw new NotValidError('members not valid: must be a Map');
      for (const [unit, version] of members) {
        validateUnitName(unit, 'member');
        validateVersion(version, `member ${JSON.stringify(unit)} version`);
        copy.set(unit, version);
      }
    }
    if (changedPending !== '') {
      validateUnitName(changedPending, 'changed pending unit');
      if (members === null) throw new NotValidError('changed pending unit not valid: a broken relation owes no hook');
    }
    this.relationId = relationId;
    this.members = copy;
    this.changedPending = changedPending;
    this.broken = members === null;
  }

  /**
   * Checks that `hook` may run now (spec §7: rules in order, first that applies decides; versions
   * are never checked).
   * @throws NotValidError `inappropriate "<kind>" for "<unit>": <reason>`.
   */
  validate(hook: HookInfo): void {
    const reason = this.#reject(hook);
    if (reason !== undefined) {
      throw new NotValidError(`inappropriate ${JSON.stringify(hook.kind)} for ${JSON.stringify(hook.remoteUnit)}: ${reason}`);
    }
  }

  #reject(hook: HookInfo): string | undefined {
    if (hook.relationId !== this.relationId) return `expected relation ${this.relationId}, got relation ${hook.relationId}`;
    if (this.broken) return 'relation is broken and cannot be changed further';
    if (hook.kind === 'relation-broken') {
      return this.members.size === 0 ? undefined : 'cannot run "relation-broken" while units still present';
    }
    if (this.changedPending !== '') {
      const owed = hook.kind === 'relation-changed' && hook.remoteUnit === this.changedPending;
      return owed ? undefined : `expected "relation-changed" for ${JSON.stringify(this.changedPending)}`;
    }
    const member = this.members.has(hook.remoteUnit);
    if (hook.kind === 'relation-joined' && member) return 'unit already joined';
    if (hook.kind !== 'relation-joined' && !member) return 'unit has not joined';
    return undefined;
  }

  /** A deep copy. */
  clone(): RelationState {
    const copy = new RelationState(this.relationId, this.broken ? null : undefined);
    copy.members = new Map(this.members);
    copy.changedPending = this.changedPending;
    return copy;
  }
}

/**
 * The state after committing `hook` (spec §8.3 "in memory"): pure, `state` is not modified.
 * Does not validate; a departed leaves `changedPending` untouched, broken empties and breaks.
 */
export function commitHook(state: RelationState, hook: HookInfo): RelationState {
  const next = state.clone();
  switch (hook.kind) {
    case 'relation-joined':
      next.members.set(hook.remoteUnit, hook.changeVersion);
      next.changedPending = hook.remoteUnit;
      break;
    case 'relation-changed':
      next.members.set(hook.remoteUnit, hook.changeVersion);
      next.changedPending = '';
      break;
    case 'relation-departed':
      next.members.delete(hook.remoteUnit);
      break;
    case 'relation-broken':
      next.members.clear();
      next.changedPending = '';
      next.broken = true;
      break;
  }
  return next;
}
