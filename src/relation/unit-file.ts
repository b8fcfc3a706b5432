// The on-disk codec of a relation state directory (spec §8.1): unit ↔ file name, and the YAML unit
// file. Pure functions over strings; the StateDir does the I/O.
import { parseDocument } from 'yaml';
import { isUnitName } from './hook.js';

/** Suffix of a temp file that `write` renames over a unit file; never matches the unit grammar. */
export const TEMP_SUFFIX = '.preparing';

/** What a unit file says. */
export interface UnitFileContent {
  changeVersion: number;
  changedPending: boolean;
}

/** The file name of a unit: its first `/` replaced by `-` (`mysql/0` → `mysql-0`). */
export function unitFileName(unit: string): string {
  return unit.replace('/', '-');
}

/**
 * The unit a directory entry stands for, or undefined when the entry is not a unit file and is
 * ignored: no `-`, or the part after the last `-` is not one or more decimal digits.
 * Differs from Juju: digits only (Go's Atoi would also take `+1`).
 */
export function unitOfFileName(name: string): string | undefined {
  const dash = name.lastIndexOf('-');
  if (dash === -1) return undefined;
  const digits = name.slice(dash + 1);
  if (!/^[0-9]+$/.test(digits)) return undefined;
  return `${name.slice(0, dash)}/${digits}`;
}

/** True when an entry named like a unit also maps back to a valid unit name (`Foo-1`, `a-01` do not). */
export function isCanonicalUnitFile(name: string): boolean {
  const unit = unitOfFileName(name);
  return unit !== undefined && isUnitName(unit);
}

/** Exactly the specified lines: `change-version: N`, then `changed-pending: true` only when true. */
export function formatUnitFile(content: UnitFileContent): string {
  const pending = content.changedPending ? 'changed-pending: true\n' : '';
  return `change-version: ${content.changeVersion}\n${pending}`;
}

/** A YAML value as an error shows it: scalars verbatim, collections by type. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return `${value} (a float)`;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'a sequence' : 'a mapping';
}

/** A unit file that does not parse; `message` is the reason after `invalid unit file "<name>": `. */
export class UnitFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnitFileError';
  }
}

/**
 * Parses a unit file. Unknown keys are ignored; an empty document has no `change-version`.
 * @throws UnitFileError for bad YAML, a non-mapping document, a `change-version` that is not a safe
 *   integer or a `changed-pending` that is not a boolean, and (`"changed-version" not set`, upstream's
 *   misspelt text, kept) a missing `change-version`.
 */
export function parseUnitFile(text: string): UnitFileContent {
  // intAsBigInt: integers arrive as bigint, so `1.0` (a float) and `9007199254740993` (imprecise)
  // are told apart from integers instead of being rounded.
  const doc = parseDocument(text, { intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) throw new UnitFileError(first.message);
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) throw new UnitFileError('"changed-version" not set');
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Map) {
    throw new UnitFileError('document is not a mapping');
  }
  const fields = value as Record<string, unknown>;
  const version = fields['change-version'];
  if (version === undefined || version === null) throw new UnitFileError('"changed-version" not set');
  if (typeof version !== 'bigint' || version > BigInt(Number.MAX_SAFE_INTEGER) || version < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new UnitFileError(`"change-version" ${shown(version)} is not a safe integer`);
  }
  const pending = fields['changed-pending'];
  if (pending !== undefined && typeof pending !== 'boolean') {
    throw new UnitFileError(`"changed-pending" ${shown(pending)} is not a boolean`);
  }
  return { changeVersion: Number(version), changedPending: pending === true };
}
