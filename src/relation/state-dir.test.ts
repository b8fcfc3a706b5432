import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasCode } from '../core/index.js';
import { newLiveHookSource } from './live-source.js';
import { StateDir, readAllStateDirs } from './state-dir.js';
import { FakeRelationUnitsWatcher, drainSource, hooksFor, unitsChange } from './testing/index.js';

const h = hooksFor(1);
let base: string;
let dir: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'modelwatch-relation-'));
  dir = join(base, '1');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** The permission bits the process umask lets through (a probe file created with mode 0777). */
async function umaskAllows(): Promise<number> {
  const probe = join(base, 'probe');
  await writeFile(probe, '', { mode: 0o777 });
  const allowed = (await stat(probe)).mode & 0o777;
  await rm(probe);
  return allowed;
}

async function readError(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

async function unitFile(name: string, content: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), content);
}

describe('StateDir read, ensure and write (§8.1–8.3)', () => {
  it('a missing directory reads as an empty live state and nothing is created', async () => {
    const d = await StateDir.read(base, 1);
    expect(d.state().members.size).toBe(0);
    expect(d.state().broken).toBe(false);
    expect(await exists(dir)).toBe(false);
  });

  it('write never creates the directory: it fails with the exact prefix and memory is unchanged', async () => {
    const d = await StateDir.read(base, 1);
    const err = await readError(d.write(h.joined('mysql/0', 1)));
    expect(err.message).toMatch(/^failed to write "relation-joined" hook info for "mysql\/0" on state directory: .*ENOENT/);
    expect(d.state().members.size).toBe(0);
    expect(await exists(dir)).toBe(false);
  });

  it('ensure creates the directory with mode 0755 and is idempotent', async () => {
    const d = await StateDir.read(join(base, 'deep', 'er'), 1);
    await d.ensure();
    await d.ensure();
    const mode = (await stat(join(base, 'deep', 'er', '1'))).mode & 0o777;
    expect(mode).toBe(0o755 & (await umaskAllows()));
  });

  it('writes exactly the specified lines, mode 0644, and keeps memory in step', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    await d.write(h.joined('wordpress/3', 12));
    expect(await readFile(join(dir, 'wordpress-3'), 'utf8')).toBe('change-version: 12\nchanged-pending: true\n');
    expect((await stat(join(dir, 'wordpress-3'))).mode & 0o777).toBe(0o644 & (await umaskAllows()));
    expect(d.state().changedPending).toBe('wordpress/3');
    await d.write(h.changed('wordpress/3', 13));
    expect(await readFile(join(dir, 'wordpress-3'), 'utf8')).toBe('change-version: 13\n');
    expect(d.state().changedPending).toBe('');
    expect([...d.state().members]).toEqual([['wordpress/3', 13]]);
    expect((await readdir(dir)).sort()).toEqual(['wordpress-3']);
  });

  it('names the file by the first / only: foo-bar/1 is foo-bar-1 and reads back as foo-bar/1', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    await d.write(h.joined('foo-bar/1', 0));
    expect(await readdir(dir)).toEqual(['foo-bar-1']);
    expect((await StateDir.read(base, 1)).state().changedPending).toBe('foo-bar/1');
  });

  it('writing the same hook twice gives the same state (idempotent commit after a restart)', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    for (const hook of [h.joined('a/0', 1), h.joined('a/0', 1), h.changed('a/0', 2), h.changed('a/0', 2), h.departed('a/0', 2), h.departed('a/0', 2)]) {
      await d.write(hook);
      const again = (await StateDir.read(base, 1)).state();
      expect(again).toEqual(d.state());
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('departed deletes the unit file and leaves the owed changed untouched', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    await d.write(h.joined('a/0', 1));
    await d.write(h.changed('a/0', 1));
    await d.write(h.joined('b/0', 1));
    await d.write(h.departed('a/0', 1));
    expect(d.state().changedPending).toBe('b/0');
    expect([...d.state().members.keys()]).toEqual(['b/0']);
    expect(await readdir(dir)).toEqual(['b-0']);
  });

  it('broken removes the directory only when empty; then validate rejects everything', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    await d.write(h.joined('a/0', 1));
    const err = await readError(d.write(h.broken()));
    expect(err.message).toMatch(/^failed to write "relation-broken" hook info for "" on state directory: .*directory not empty/);
    expect(d.state().broken).toBe(false);
    expect(d.state().members.size).toBe(1);
    await d.write(h.changed('a/0', 1));
    await d.write(h.departed('a/0', 1));
    await d.write(h.broken());
    expect(await exists(dir)).toBe(false);
    expect(d.state().broken).toBe(true);
    expect(() => d.state().validate(h.joined('a/0', 1))).toThrow('inappropriate "relation-joined" for "a/0": relation is broken and cannot be changed further');
    await d.remove(); // idempotent: a missing directory is fine
  });

  it('remove fails with "directory not empty" while unit files remain', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    await d.write(h.joined('a/0', 1));
    expect((await readError(d.remove())).message).toContain('directory not empty');
    expect(d.state().broken).toBe(false);
  });

  it('rejects malformed hooks and hooks of another relation, writing nothing', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    const bad: unknown[] = [
      { kind: 'relation-joined', relationId: 1, remoteUnit: 'mysql', changeVersion: 1 },
      { kind: 'relation-joined', relationId: 1, remoteUnit: 'mysql/0', changeVersion: 1.5 },
      { kind: 'relation-started', relationId: 1, remoteUnit: 'mysql/0', changeVersion: 1 },
      { kind: 'relation-broken', relationId: 1, remoteUnit: 'mysql/0', changeVersion: 0 },
      hooksFor(2).joined('mysql/0', 1),
      null,
    ];
    for (const hook of bad) {
      const err = await readError(d.write(hook as never));
      expect(hasCode(err, 'NotValid'), err.message).toBe(true);
      expect(err.message).toMatch(/^failed to write ".*" hook info for ".*" on state directory: .*not valid/);
    }
    expect(await readdir(dir)).toEqual([]);
    expect(d.state().members.size).toBe(0);
  });

  it('a failed write leaves no temp file behind and changes nothing in memory', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    await mkdir(join(dir, 'a-0', 'blocker'), { recursive: true }); // rename over a non-empty directory fails
    await readError(d.write(h.joined('a/0', 1)));
    expect((await readdir(dir)).filter((n) => n.endsWith('.preparing'))).toEqual([]);
    expect(d.state().members.size).toBe(0);
  });

  it('refuses overlapping calls (one writer, await each)', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    const first = d.write(h.joined('a/0', 1));
    await expect(d.write(h.joined('b/0', 1))).rejects.toThrow(/calls must not overlap/);
    await first;
    expect([...d.state().members.keys()]).toEqual(['a/0']);
  });

  it('state() is a copy', async () => {
    const d = await StateDir.read(base, 1);
    d.state().members.set('x/0', 1);
    expect(d.state().members.size).toBe(0);
  });
});

describe('StateDir.read parsing (§8.2, §8.6)', () => {
  it('ignores entries not named like units, deletes leftover temp files, ignores unknown keys', async () => {
    await unitFile('nonsensical', 'junk: [');
    await unitFile('27', 'junk: [');
    await unitFile('foo-1.preparing', 'junk: [');
    await unitFile('mysql-0.0123abcd.preparing', 'change-version: 9\n');
    await unitFile('mysql-0', 'change-version: 3\nextra: whatever\n');
    await unitFile('foo-bar-2', 'change-version: -4\nchanged-pending: false\n');
    await unitFile('mysql-+1', 'junk: [');
    await mkdir(join(dir, 'ignored'));
    const d = await StateDir.read(base, 1);
    expect([...d.state().members].sort()).toEqual([['foo-bar/2', -4], ['mysql/0', 3]]);
    expect(d.state().changedPending).toBe('');
    expect((await readdir(dir)).sort()).toEqual(['27', 'foo-bar-2', 'ignored', 'mysql-+1', 'mysql-0', 'nonsensical']);
  });

  it('restores the owed changed, and a new live source emits it first (recovery after restart)', async () => {
    const d = await StateDir.read(base, 1);
    await d.ensure();
    await d.write(h.joined('app/1', 7));
    await d.write(h.changed('app/1', 7));
    await d.write(h.joined('app/2', 2)); // crash here: its changed never ran
    const restarted = await StateDir.read(base, 1);
    expect(restarted.state().changedPending).toBe('app/2');
    const source = newLiveHookSource(restarted.state(), new FakeRelationUnitsWatcher());
    source.update(unitsChange({ 'app/1': 7, 'app/2': 5 }));
    const hooks = drainSource(source);
    expect(hooks).toEqual([h.changed('app/2', 5)]);
    restarted.state().validate(h.changed('app/2', 5));
    await restarted.write(h.changed('app/2', 5));
    expect((await StateDir.read(base, 1)).state().changedPending).toBe('');
  });

  const prefix = (): string => `cannot load relation state from ${JSON.stringify(dir)}: `;

  it.each([
    ['missing change-version', 'changed-pending: true\n', 'invalid unit file "mysql-0": "changed-version" not set'],
    ['an empty file', '', 'invalid unit file "mysql-0": "changed-version" not set'],
    ['a null change-version', 'change-version: ~\n', 'invalid unit file "mysql-0": "changed-version" not set'],
  ])('%s: the exact (misspelt) upstream text', async (_name, content, reason) => {
    await unitFile('mysql-0', content);
    const err = await readError(StateDir.read(base, 1));
    expect(err.message).toBe(prefix() + reason);
    expect(hasCode(err, 'NotValid')).toBe(true);
  });

  it.each([
    ['bad YAML', 'change-version: [1\n'],
    ['a string version', 'change-version: "12"\n'],
    ['a float version', 'change-version: 1.5\n'],
    ['an unsafe version', 'change-version: 9007199254740993\n'],
    ['a non-boolean pending', 'change-version: 1\nchanged-pending: yes\n'],
    ['a non-mapping document', '- 1\n- 2\n'],
    ['duplicate keys', 'change-version: 1\nchange-version: 2\n'],
  ])('%s: invalid unit file naming the entry', async (_name, content) => {
    await unitFile('mysql-0', content);
    const err = await readError(StateDir.read(base, 1));
    expect(err.message.startsWith(`${prefix()}invalid unit file "mysql-0": `), err.message).toBe(true);
  });

  it('a directory named like a unit: exact text', async () => {
    await mkdir(join(dir, 'mysql-0'), { recursive: true });
    const err = await readError(StateDir.read(base, 1));
    expect(err.message).toBe(`${prefix()}invalid unit file "mysql-0": read ${join(dir, 'mysql-0')}: is a directory`);
  });

  it('two pending files: exact text, first in name order first', async () => {
    await unitFile('b-1', 'change-version: 1\nchanged-pending: true\n');
    await unitFile('a-0', 'change-version: 1\nchanged-pending: true\n');
    const err = await readError(StateDir.read(base, 1));
    expect(err.message).toBe(`${prefix()}"a/0" and "b/1" both have pending changed hooks`);
  });

  it('a name that is not a unit once mapped back (Foo-1, mysql-01) is an error naming the file', async () => {
    await unitFile('mysql-01', 'change-version: 1\n');
    const err = await readError(StateDir.read(base, 1));
    expect(err.message).toBe(`${prefix()}invalid unit file "mysql-01": "mysql/01" is not a valid unit name`);
  });

  it('a failed read deletes nothing (leftover temp files stay until a read succeeds)', async () => {
    await unitFile('a-0.beef.preparing', 'x');
    await unitFile('b-0', 'junk: [');
    await readError(StateDir.read(base, 1));
    expect(await exists(join(dir, 'a-0.beef.preparing'))).toBe(true);
  });

  it('rejects a bad relation id or base dir before touching the disk', async () => {
    for (const [b, id] of [[base, -1], [base, 1.5], ['', 1]] as const) {
      const err = await readError(StateDir.read(b, id));
      expect(hasCode(err, 'NotValid')).toBe(true);
    }
  });
});

describe('readAllStateDirs (§8.5)', () => {
  it('a missing base directory: empty map, nothing created', async () => {
    const missing = join(base, 'nope');
    expect((await readAllStateDirs(missing)).size).toBe(0);
    expect(await exists(missing)).toBe(false);
  });

  it('reads canonical integer directories only; an empty one is a relation with no members', async () => {
    for (const name of ['0', '1', '123', 'ignored', 'foo-bar-123', 'onethousand', '007', '+7']) await mkdir(join(base, name));
    await writeFile(join(base, '1', 'mysql-0'), 'change-version: 4\n');
    await writeFile(join(base, '007', 'mysql-0'), 'junk: [');
    const dirs = await readAllStateDirs(base);
    expect([...dirs.keys()]).toEqual([0, 1, 123]);
    expect([...(dirs.get(1)?.state().members ?? [])]).toEqual([['mysql/0', 4]]);
    expect(dirs.get(123)?.state().members.size).toBe(0);
  });

  it('any failure aborts, wrapped with the exact double prefix', async () => {
    await mkdir(join(base, '2'));
    await writeFile(join(base, '2', 'x-1'), 'other: 1\n');
    const err = await readError(readAllStateDirs(base));
    expect(err.message).toBe(
      `cannot load relations state from ${JSON.stringify(base)}: cannot load relation state from ${JSON.stringify(join(base, '2'))}: invalid unit file "x-1": "changed-version" not set`,
    );
  });

  it('an integer-named plain file fails', async () => {
    await writeFile(join(base, '5'), '');
    const err = await readError(readAllStateDirs(base));
    expect(err.message.startsWith(`cannot load relations state from ${JSON.stringify(base)}: cannot load relation state from ${JSON.stringify(join(base, '5'))}: `)).toBe(true);
  });
});
