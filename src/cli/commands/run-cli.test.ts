import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../testing/index.js';
import { parseOps } from './apply-command.js';
import { credentialsPath, loadLogin, saveLogin } from './credentials-file.js';
import { parsePairs } from './entity-commands.js';
import { runCli } from './run-cli.js';
import { memoryIo } from './testdata/memory-io.js';

let home: string;
let closedPort = 0;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mw-cli-'));
  closedPort = await freePort(); // nothing listens on it
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

// Nothing in these tests reaches a controller.
const offline = () => memoryIo({ MODELWATCH_URL: `http://127.0.0.1:${closedPort}`, MODELWATCH_USER: 'u', MODELWATCH_PASSWORD: 'p', MODELWATCH_HOME: home });

describe('usage errors exit 2 with one line', () => {
  it.each([
    [['nonsense']],
    [['watch', '--bogus']],
    [['get', 'unit']],
    [['watch', '--since', 'abc']],
    [['watch', '--model', 'x', '--controller']],
    [['watch', '--kind', 'Unit']],
    [['user', 'grant', 'bob', 'default', 'root']],
    [['apply', '-f', '/nonexistent/ops.json']],
    [['apply', '-f', 'x', '--chunk-size', '0']],
    [[]],
  ])('modelwatch %j', async (args) => {
    const io = offline();
    expect(await runCli(args, io)).toBe(2);
    expect(io.err()).not.toContain('    at '); // no stack
    expect(io.err().trim().length).toBeGreaterThan(0);
  });

  it('a bad MODELWATCH_URL is a usage error', async () => {
    const io = memoryIo({ MODELWATCH_URL: 'ftp://x', MODELWATCH_USER: 'u', MODELWATCH_PASSWORD: 'p' });
    expect(await runCli(['ls'], io)).toBe(2);
    expect(io.err()).toBe('modelwatch: controller URL "ftp://x" not valid: scheme must be http, https, ws or wss\n');
  });
});

describe('errors exit 1 with one clear line; --debug adds the stack', () => {
  it('an unreachable controller', async () => {
    const io = offline();
    expect(await runCli(['ls'], io)).toBe(1);
    expect(io.err()).toBe(`modelwatch: cannot reach http://127.0.0.1:${closedPort}: ECONNREFUSED\n`);
    const dbg = offline();
    expect(await runCli(['--debug', 'ls'], dbg)).toBe(1);
    expect(dbg.err()).toContain('    at ');
  });

  it('no credentials at all', async () => {
    const io = memoryIo({ MODELWATCH_URL: 'http://127.0.0.1:9', MODELWATCH_HOME: home });
    expect(await runCli(['ls'], io)).toBe(1);
    expect(io.err()).toBe('modelwatch: not logged in to http://127.0.0.1:9: set MODELWATCH_USER and MODELWATCH_PASSWORD, or run modelwatch login\n');
  });

  it('help and version exit 0', async () => {
    for (const args of [['--help'], ['help'], ['--version'], ['watch', '--help'], ['user', 'add', '--help']]) {
      const io = offline();
      expect(await runCli(args, io)).toBe(0);
    }
    const io = offline();
    await runCli(['status', '--help'], io);
    expect(io.out()).toContain('Examples:');
  });
});

describe('put input', () => {
  it('parses key=value pairs: JSON values when they parse, strings otherwise, dotted keys nest', () => {
    expect(parsePairs(['application=mysql', 'scale=3', 'ok=true', 'tags=["a"]', 'workload-status.current=active', 'workload-status.message=a b', 'eq=x=y']))
      .toEqual({ application: 'mysql', scale: 3, ok: true, tags: ['a'], 'workload-status': { current: 'active', message: 'a b' }, eq: 'x=y' });
  });

  it.each([['novalue'], ['=x'], ['a..b=1']])('rejects %s', (pair) => {
    expect(() => parsePairs([pair])).toThrow(/not valid/);
  });
});

describe('apply ops file', () => {
  it('takes a list or {ops}', () => {
    const ops = [{ op: 'update', entity: { kind: 'unit', id: 'a/0', data: {} } }, { op: 'remove', kind: 'unit', id: 'a/1' }];
    expect(parseOps(JSON.stringify(ops))).toEqual(ops);
    expect(parseOps(JSON.stringify({ ops }))).toEqual(ops);
  });

  it('names the first bad op', () => {
    expect(() => parseOps('[{"op":"update","entity":{"kind":"unit","id":"a/0","data":{}}},{"op":"smash"}]')).toThrow(/at \[1\]/);
    expect(() => parseOps('{')).toThrow(/not JSON/);
  });
});

describe('saved login', () => {
  it('is written with mode 0600 and read back; a corrupt file is a clear error', async () => {
    const path = credentialsPath({ MODELWATCH_HOME: join(home, 'h1') });
    await saveLogin(path, { url: 'http://127.0.0.1:17070', user: 'admin', token: 't' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await loadLogin(path)).toEqual({ url: 'http://127.0.0.1:17070', user: 'admin', token: 't' });
    await saveLogin(path, { url: 'x', user: '', token: '' }).catch(() => undefined);
    await expect(loadLogin(path)).rejects.toThrow(/run modelwatch login again/);
    await saveLogin(path, { url: 'ftp://x', user: 'admin', token: 't' });
    await expect(loadLogin(path)).rejects.toThrow(`credentials file ${path} not valid (run modelwatch login again)`);
  });

  it('defaults to ~/.config/modelwatch/credentials.json', () => {
    expect(credentialsPath({ HOME: '/home/a' })).toBe('/home/a/.config/modelwatch/credentials.json');
  });
});
