// The `modelwatch` CLI as child processes against a real `modelwatch serve`: put/get, watch --json
// seeing a put, status golden text, usage errors, watch across a restart, and status --watch
// redrawing in a terminal (tmux).
import { execFileSync, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_FIXTURE, STATUS_FIXTURE_BODY } from './output/testdata/status-fixture.js';
import { freePort } from '../testing/index.js';
import type { ControllerProcess } from '../testing/index.js';
import { MAIN, REPO, runModelwatch, serverPiecesReady, spawnModelwatch, startController, waitFor } from './testdata/controller-process.js';

const PASSWORD = 'cli-e2e-s3cret';
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

describe.skipIf(!serverPiecesReady())('modelwatch CLI against modelwatch serve', () => {
  let dir: string;
  let port: number;
  let ctl: ControllerProcess;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mw-cli-e2e-'));
    port = await freePort();
    ctl = await startController(join(dir, 'state.db'), port, PASSWORD);
    env = { MODELWATCH_URL: ctl.url, MODELWATCH_USER: 'admin', MODELWATCH_PASSWORD: PASSWORD, MODELWATCH_HOME: join(dir, 'home') };
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await ctl.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('put then get', async () => {
    const put = await runModelwatch(['put', 'unit', 'mysql/0', 'application=mysql', 'machine-id=0', 'workload-status.current=active'], env);
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect(put.stdout).toMatch(/^unit mysql\/0 written at revision \d+\n$/);
    const get = await runModelwatch(['get', 'unit', 'mysql/0', '--json'], env);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ kind: 'unit', id: 'mysql/0', data: { application: 'mysql', 'machine-id': 0, 'workload-status': { current: 'active' } } });
    const stdin = await runModelwatch(['put', 'unit', 'mysql/1'], env, '{"application":"mysql"}');
    expect(stdin.code).toBe(0);
    expect((await runModelwatch(['get', 'unit', 'mysql/1'], env)).stdout).toBe('unit mysql/1\n  application: mysql\n');
  });

  it('a missing entity is an error (exit 1, one line)', async () => {
    const r = await runModelwatch(['get', 'unit', 'nope/9'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('modelwatch: unit "nope/9" not found in model default\n');
  });

  it('usage errors exit 2 with a message', async () => {
    const r = await runModelwatch(['watch', '--since', 'soon'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('modelwatch: --since "soon" not valid: use a revision number (0 or more)\n');
    expect((await runModelwatch(['put'], env)).code).toBe(2);
  });

  it('watch --json sees a change made by put', async () => {
    await runModelwatch(['put', 'machine', '7', 'life=alive'], env);
    const watch = spawnModelwatch(['watch', '--json', '--kind', 'machine'], env);
    children.push(watch);
    let out = '';
    watch.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('"id":"7"'), 'the snapshot line of machine 7');
    await runModelwatch(['put', 'machine', '8', 'life=alive'], env);
    await waitFor(() => out.includes('"id":"8"'), 'the delta of machine 8');
    const line = out.split('\n').find((l) => l.includes('"id":"8"')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ kind: 'machine', op: 'change', id: '8', data: { life: 'alive' } });
    watch.kill('SIGINT');
  });

  it('watch survives a controller restart, says so on stderr and resumes', async () => {
    const watch = spawnModelwatch(['watch', '--kind', 'application'], env);
    children.push(watch);
    let out = '';
    let err = '';
    watch.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    watch.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await runModelwatch(['put', 'application', 'before', 'life=alive'], env);
    await waitFor(() => out.includes('before'), 'the application written before the restart');
    await ctl.stop();
    ctl = await startController(join(dir, 'state.db'), port, PASSWORD);
    await runModelwatch(['put', 'application', 'after', 'life=alive'], env);
    await waitFor(() => out.includes('after'), 'the application written after the restart');
    expect(err).toContain('connection lost');
    expect(err).toContain('reconnected');
    expect(out.split('\n').filter((l) => l.includes('before'))).toHaveLength(1); // not repeated
    watch.kill('SIGINT');
  });

  it('status prints the golden text for a fixture model', async () => {
    expect((await runModelwatch(['models', 'add', 'fixture'], env)).code).toBe(0);
    const opsFile = join(dir, 'fixture-ops.json');
    await writeFile(opsFile, JSON.stringify(STATUS_FIXTURE.map((entity) => ({ op: 'update', entity }))));
    expect(await runModelwatch(['apply', '-f', opsFile, '--model', 'fixture'], env)).toMatchObject({ code: 0 });
    const r = await runModelwatch(['status', '--model', 'fixture'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [header, values, blank, ...body] = r.stdout.split('\n');
    expect(header).toMatch(/^Model +Controller +Revision +Entities$/);
    expect(values).toMatch(new RegExp(`^fixture +${ctl.url.replace(/\./g, '\\.')} +\\d+ +9$`));
    expect(blank).toBe('');
    expect(body.join('\n')).toBe(STATUS_FIXTURE_BODY);
  });

  it.skipIf(!hasTmux)('status --watch redraws in a terminal when the model changes', async () => {
    const session = `mw-e2e-${process.pid}`;
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const command = ['env', ...envArgs, process.execPath, '--import', 'tsx', MAIN, 'status', '--model', 'fixture', '--watch'].map(shellQuote).join(' ');
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '50', '-c', REPO, command]);
    const screen = (): string => {
      try {
        return execFileSync('tmux', ['capture-pane', '-p', '-t', session]).toString();
      } catch {
        return '';
      }
    };
    try {
      await waitFor(() => screen().includes('wordpress/0'), 'the first drawing');
      expect(screen()).not.toContain('mysql/99');
      await runModelwatch(['put', 'unit', 'mysql/99', 'application=mysql', 'workload-status.current=active', '--model', 'fixture'], env);
      await waitFor(() => screen().includes('mysql/99'), 'the redraw with mysql/99');
      const lines = screen().split('\n');
      expect(lines.filter((l) => l.startsWith('Model ')).length).toBe(1); // redrawn in place, not appended
      expect(lines.find((l) => l.startsWith('mysql ') && /\s3\s/.test(l))).toBeDefined(); // scale went to 3
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
  });
});

function shellQuote(s: string): string {
  return /^[\w./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
