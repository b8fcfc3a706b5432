// The module as the agent uses it (spec §10): live sender committing to a StateDir, a restart from
// committed state with a fresh watcher, then the dying source down to relation-broken.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HookInfo } from './hook.js';
import { newHookSender } from './hook-sender.js';
import { newDyingHookSource } from './list-source.js';
import { newLiveHookSource } from './live-source.js';
import { StateDir } from './state-dir.js';
import { MemoryRelationUnits } from './testing/index.js';

let base: string;
beforeEach(async () => { base = await mkdtemp(join(tmpdir(), 'modelwatch-agent-flow-')); });
afterEach(async () => { await rm(base, { recursive: true, force: true }); });

/** Polls while real fsynced I/O completes (generous bound, nothing asserted about speed). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const show = (h: HookInfo): string => `${h.kind.slice(9)} ${h.remoteUnit}@${h.changeVersion}`;

describe('agent flow over a real state directory', () => {
  it('live hooks commit, a restart resumes from disk, dying ends with broken and no directory', async () => {
    const scope = new MemoryRelationUnits();
    const ran: string[] = [];
    const dir = await StateDir.read(base, 9);
    await dir.ensure();
    const out = async (hook: HookInfo): Promise<void> => {
      dir.state().validate(hook);
      ran.push(show(hook));
      await dir.write(hook);
    };
    const settled = (members: Record<string, number>): boolean =>
      dir.state().changedPending === '' && JSON.stringify([...dir.state().members].sort()) === JSON.stringify(Object.entries(members).sort());

    scope.enter('mysql/0', 1);
    scope.enter('mysql/1', 1);
    let sender = newHookSender(out, newLiveHookSource(dir.state(), scope.watch()));
    await until(() => settled({ 'mysql/0': 1, 'mysql/1': 1 }), 'both joined');
    scope.bump('mysql/0');
    scope.leave('mysql/1');
    await until(() => settled({ 'mysql/0': 2 }), 'bump and leave');
    await sender.stop();
    expect(ran).toEqual(['joined mysql/0@1', 'changed mysql/0@1', 'joined mysql/1@1', 'changed mysql/1@1', 'changed mysql/0@2', 'departed mysql/1@1']);

    // Down: mysql/0 leaves and mysql/2 arrives; the restart departs the first, joins the second.
    scope.leave('mysql/0');
    scope.enter('mysql/2', 5);
    ran.length = 0;
    const restarted = await StateDir.read(base, 9);
    expect([...restarted.state().members]).toEqual([['mysql/0', 2]]);
    sender = newHookSender(out, newLiveHookSource(restarted.state(), scope.watch()));
    await until(() => settled({ 'mysql/2': 5 }), 'restart caught up');
    await sender.stop();
    expect(ran).toEqual(['departed mysql/0@2', 'joined mysql/2@5', 'changed mysql/2@5']);

    ran.length = 0;
    sender = newHookSender(out, newDyingHookSource(dir.state()));
    await until(() => dir.state().broken, 'broken');
    await sender.stop();
    expect(ran).toEqual(['departed mysql/2@5', 'broken @0']);
    await expect(stat(join(base, '9'))).rejects.toThrow(/ENOENT/);
  });
});
