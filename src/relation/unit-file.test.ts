import { describe, expect, it } from 'vitest';
import { isUnitName } from './hook.js';
import { UnitFileError, formatUnitFile, isCanonicalUnitFile, parseUnitFile, unitFileName, unitOfFileName } from './unit-file.js';

describe('unit file names (§8.1, §8.2)', () => {
  it.each([
    ['mysql/0', 'mysql-0'],
    ['foo-bar/1', 'foo-bar-1'],
    ['wordpress/10', 'wordpress-10'],
  ])('%s ↔ %s', (unit, name) => {
    expect(unitFileName(unit)).toBe(name);
    expect(unitOfFileName(name)).toBe(unit);
    expect(isCanonicalUnitFile(name)).toBe(true);
  });

  it.each(['nonsensical', '27', 'foo-1.preparing', 'mysql-0.0a1b.preparing', 'mysql-+1', 'mysql-', 'mysql-1a'])('%s is not a unit file (ignored)', (name) => {
    expect(unitOfFileName(name)).toBeUndefined();
  });

  it.each(['Foo-1', 'mysql-01', '-1', 'foo-1-2'])('%s looks like a unit file but maps to no valid unit', (name) => {
    expect(unitOfFileName(name)).toBeDefined();
    expect(isCanonicalUnitFile(name)).toBe(false);
  });
});

describe('unit names', () => {
  it.each(['mysql/0', 'foo-bar/12', 'a1/3', 'x-y2z/0'])('%s is a unit', (u) => { expect(isUnitName(u)).toBe(true); });
  it.each(['mysql', 'mysql/', 'mysql/01', 'Mysql/0', 'foo-1/0', 'a//1', '/1', 'a/1/2', 'a/-1', 'a_b/1', ''])('%s is not', (u) => {
    expect(isUnitName(u)).toBe(false);
  });
});

describe('unit file content', () => {
  it('formats exactly the specified lines', () => {
    expect(formatUnitFile({ changeVersion: 12, changedPending: true })).toBe('change-version: 12\nchanged-pending: true\n');
    expect(formatUnitFile({ changeVersion: -3, changedPending: false })).toBe('change-version: -3\n');
  });

  it('round-trips and ignores unknown keys', () => {
    for (const content of [{ changeVersion: 0, changedPending: false }, { changeVersion: Number.MAX_SAFE_INTEGER, changedPending: true }]) {
      expect(parseUnitFile(formatUnitFile(content))).toEqual(content);
    }
    expect(parseUnitFile('other: [1, 2]\nchange-version: 4\n')).toEqual({ changeVersion: 4, changedPending: false });
  });

  it.each([
    ['', '"changed-version" not set'],
    ['changed-pending: true', '"changed-version" not set'],
    ['change-version: 1.0', '"change-version" 1 (a float) is not a safe integer'],
    ['change-version: "1"', '"change-version" "1" is not a safe integer'],
    ['change-version: 9007199254740992', '"change-version" 9007199254740992 is not a safe integer'],
    ['change-version: [1]', '"change-version" a sequence is not a safe integer'],
    ['change-version: 1\nchanged-pending: 1', '"changed-pending" 1 is not a boolean'],
    ['change-version: 1\nchanged-pending: "true"', '"changed-pending" "true" is not a boolean'],
    ['just a string', 'document is not a mapping'],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parseUnitFile(text)).toThrow(UnitFileError);
    expect(() => parseUnitFile(text)).toThrow(message);
  });

  it('a YAML syntax error is refused with the parser message', () => {
    expect(() => parseUnitFile('change-version: [1\n')).toThrow(UnitFileError);
  });
});
