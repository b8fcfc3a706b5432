// Child process of the crash-safety test: reads a relation state directory, then commits random
// valid hooks in a loop until killed. Before each write it appends the state that write will leave
// to a log (one JSON line), so the parent knows the last two states the disk may hold.
// It starts warm and waits for a `go` line on stdin, so the parent can overlap start-ups.
// Usage: node --import tsx crash-writer.ts <baseDir> <relationId> <logFile> <seed> (the test runs a
// plain-JS build of it, see build-child.ts)
import { closeSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { seededRandom } from '../../core/index.js';
import type { HookInfo, RelationState } from '../index.js';
import { StateDir, commitHook } from '../index.js';
import { stateLine } from './state-line.js';

const UNITS = ['mysql/0', 'mysql/1', 'mysql/2', 'wordpress/0', 'wordpress/10', 'foo-bar/3'];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** A hook that passes `state.validate` (never broken: the loop must keep writing). */
function randomHook(state: RelationState, random: () => number): HookInfo {
  const relationId = state.relationId;
  const changeVersion = Math.floor(random() * 1000);
  if (state.changedPending !== '') return { kind: 'relation-changed', relationId, remoteUnit: state.changedPending, changeVersion };
  const members = [...state.members.keys()];
  const strangers = UNITS.filter((u) => !state.members.has(u));
  const choice = random();
  if (strangers.length > 0 && (members.length === 0 || choice < 0.4)) {
    return { kind: 'relation-joined', relationId, remoteUnit: pick(strangers, random), changeVersion };
  }
  const kind = choice < 0.75 ? 'relation-changed' : 'relation-departed';
  return { kind, relationId, remoteUnit: pick(members, random), changeVersion };
}

async function main(): Promise<void> {
  const [baseDir, relationId, logFile, seed] = process.argv.slice(2);
  if (baseDir === undefined || relationId === undefined || logFile === undefined || seed === undefined) {
    throw new Error('usage: crash-writer.ts <baseDir> <relationId> <logFile> <seed>');
  }
  const random = seededRandom(Number(seed));
  process.stdout.write('warm\n');
  await new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', () => { lines.close(); resolve(); });
  });
  const dir = await StateDir.read(baseDir, Number(relationId));
  await dir.ensure();
  const log = openSync(logFile, 'a');
  // writeSync completes before the hook's write starts; SIGKILL cannot undo it (the page cache
  // survives the process), so no fsync: it would only make the kills land in the log, not the hook.
  const append = (line: string): void => {
    writeSync(log, `${line}\n`);
  };
  append(stateLine(dir.state())); // the state this run starts from
  process.stdout.write('ready\n');
  try {
    for (;;) {
      const state = dir.state();
      const hook = randomHook(state, random);
      state.validate(hook);
      append(stateLine(commitHook(state, hook)));
      await dir.write(hook);
    }
  } finally {
    closeSync(log);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
