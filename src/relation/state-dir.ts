// A relation's committed state on disk (spec §8): one directory per relation, one YAML file per
// joined remote unit. Single writer per directory; the schedule and the sources live elsewhere.
import { mkdir, readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelwatchError, NotValidError, errorMessage } from '../core/index.js';
import type { ErrorCode } from '../core/index.js';
import { atomicWriteFile, errnoOf, removeFileDurably } from './atomic-write.js';
import type { HookInfo } from './hook.js';
import { isUnitName, validateHookInfo, validateRelationId } from './hook.js';
import { RelationState, commitHook } from './relation-state.js';
import { TEMP_SUFFIX, UnitFileError, formatUnitFile, parseUnitFile, unitFileName, unitOfFileName } from './unit-file.js';

const DIR_MODE = 0o755;
const RELATION_DIR_RE = /^(?:0|[1-9][0-9]*)$/;

const quote = (s: string): string => JSON.stringify(s);

/** A malformed directory entry: the reason goes after `cannot load relation state from "<dir>": `. */
class StateFormatError extends Error {}

function codeOf(err: unknown): ErrorCode {
  if (err instanceof ModelwatchError) return err.code;
  return err instanceof StateFormatError ? 'NotValid' : 'Internal';
}

function wrap(prefix: string, err: unknown): ModelwatchError {
  return new ModelwatchError(codeOf(err), `${prefix}: ${errorMessage(err)}`, { cause: err });
}

function validateBaseDir(baseDir: unknown): asserts baseDir is string {
  if (typeof baseDir !== 'string' || baseDir === '') throw new NotValidError('base directory not valid: must be a non-empty path');
}

/** Reads one unit file; every failure names the entry. */
async function readUnitFile(dir: string, name: string, unit: string): Promise<{ version: number; pending: boolean }> {
  const path = join(dir, name);
  if (!isUnitName(unit)) throw new StateFormatError(`invalid unit file ${quote(name)}: ${quote(unit)} is not a valid unit name`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'EISDIR') throw new StateFormatError(`invalid unit file ${quote(name)}: read ${path}: is a directory`);
    throw new Error(`invalid unit file ${quote(name)}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    const content = parseUnitFile(text);
    return { version: content.changeVersion, pending: content.changedPending };
  } catch (err) {
    if (err instanceof UnitFileError) throw new StateFormatError(`invalid unit file ${quote(name)}: ${err.message}`);
    throw err;
  }
}

/** Steps of `read` (spec §8.2); throws the bare reason. */
async function loadState(dir: string, relationId: number): Promise<RelationState> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return new RelationState(relationId);
    throw err;
  }
  names.sort(); // code-unit order, i.e. `<` on strings
  const state = new RelationState(relationId);
  const temps: string[] = [];
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX)) {
      temps.push(name);
      continue;
    }
    const unit = unitOfFileName(name);
    if (unit === undefined) continue;
    const { version, pending } = await readUnitFile(dir, name, unit);
    state.members.set(unit, version);
    if (!pending) continue;
    if (state.changedPending !== '') {
      throw new StateFormatError(`${quote(state.changedPending)} and ${quote(unit)} both have pending changed hooks`);
    }
    state.changedPending = unit;
  }
  // Leftovers of interrupted writes would make remove() fail; read belongs to the single writer.
  for (const name of temps) await rm(join(dir, name)).catch(() => undefined);
  return state;
}

/**
 * The filesystem-backed state of one relation: `<baseDir>/<relationId>/`, one file per joined
 * remote unit. One writer per directory; calls must not overlap (await each).
 */
export class StateDir {
  /** `<baseDir>/<relationId>` as joined here; quoted in every error. */
  readonly #dir: string;
  /** Committed state; replaced only after the disk operation succeeded. */
  #state: RelationState;
  /** True while ensure/write/remove runs: overlapping calls are a caller bug. */
  #busy = false;

  private constructor(dir: string, state: RelationState) {
    this.#dir = dir;
    this.#state = state;
  }

  /**
   * Loads `<baseDir>/<relationId>`. A missing directory gives an empty state and creates nothing.
   * Deletes leftover `*.preparing` temp files.
   * @throws NotValidError for a bad base dir or relation id; ModelwatchError
   *   `cannot load relation state from "<dir>": <reason>` (NotValid for malformed entries).
   */
  static async read(baseDir: string, relationId: number): Promise<StateDir> {
    validateBaseDir(baseDir);
    validateRelationId(relationId);
    const dir = join(baseDir, String(relationId));
    try {
      return new StateDir(dir, await loadState(dir, relationId));
    } catch (err) {
      throw wrap(`cannot load relation state from ${quote(dir)}`, err);
    }
  }

  /** The relation directory's path. */
  get path(): string {
    return this.#dir;
  }

  /** A deep copy of the committed state. */
  state(): RelationState {
    return this.#state.clone();
  }

  /** Creates the directory (and parents), mode 0755; idempotent. */
  async ensure(): Promise<void> {
    this.#enter();
    try {
      await mkdir(this.#dir, { recursive: true, mode: DIR_MODE });
    } catch (err) {
      throw wrap(`cannot create relation state directory ${quote(this.#dir)}`, err);
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Commits a hook that ran (spec §8.3): atomic, fsynced and idempotent; memory changes only after
   * the disk did. Checks the hook's shape and relation id, not its fit to the state.
   * @throws ModelwatchError `failed to write "<kind>" hook info for "<unit>" on state directory: <reason>`.
   */
  async write(hook: HookInfo): Promise<void> {
    this.#enter();
    try {
      validateHookInfo(hook);
      if (hook.relationId !== this.#state.relationId) {
        throw new NotValidError(`hook relation id ${hook.relationId} not valid: this directory holds relation ${this.#state.relationId}`);
      }
      const file = (): string => join(this.#dir, unitFileName(hook.remoteUnit));
      switch (hook.kind) {
        case 'relation-joined':
        case 'relation-changed': {
          const changedPending = hook.kind === 'relation-joined';
          await atomicWriteFile(file(), formatUnitFile({ changeVersion: hook.changeVersion, changedPending }));
          break;
        }
        case 'relation-departed':
          await removeFileDurably(file());
          break;
        case 'relation-broken':
          await this.#removeDir();
          break;
      }
      this.#state = commitHook(this.#state, hook);
    } catch (err) {
      const raw: unknown = hook;
      const h = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<Record<keyof HookInfo, unknown>>;
      throw wrap(`failed to write ${quote(String(h.kind))} hook info for ${quote(String(h.remoteUnit))} on state directory`, err);
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Removes the directory only if empty; a missing one is fine. Afterwards the state is broken.
   * @throws ModelwatchError whose message contains `directory not empty` while unit files remain.
   */
  async remove(): Promise<void> {
    this.#enter();
    try {
      await this.#removeDir();
      this.#state = new RelationState(this.#state.relationId, null);
    } finally {
      this.#busy = false;
    }
  }

  async #removeDir(): Promise<void> {
    try {
      await rmdir(this.#dir);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw wrap(`cannot remove relation state directory ${quote(this.#dir)}`, err);
    }
  }

  #enter(): void {
    if (this.#busy) throw new ModelwatchError('Internal', `state directory ${quote(this.#dir)}: calls must not overlap`);
    this.#busy = true;
  }
}

/**
 * Loads every relation directory in `baseDir` whose name is a canonical non-negative integer;
 * other names are skipped. A missing `baseDir` gives an empty map and creates nothing.
 * @throws ModelwatchError `cannot load relations state from "<baseDir>": <reason>`; any failure aborts.
 */
export async function readAllStateDirs(baseDir: string): Promise<Map<number, StateDir>> {
  validateBaseDir(baseDir);
  const prefix = `cannot load relations state from ${quote(baseDir)}`;
  let names: string[];
  try {
    names = await readdir(baseDir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return new Map();
    throw wrap(prefix, err);
  }
  // Differs from Juju: `007` or `+7` are skipped, not read as relation 7.
  const ids = names
    .filter((name) => RELATION_DIR_RE.test(name) && Number.isSafeInteger(Number(name)))
    .map(Number)
    .sort((a, b) => a - b);
  const dirs = new Map<number, StateDir>();
  for (const id of ids) {
    try {
      dirs.set(id, await StateDir.read(baseDir, id));
    } catch (err) {
      throw wrap(prefix, err);
    }
  }
  return dirs;
}
