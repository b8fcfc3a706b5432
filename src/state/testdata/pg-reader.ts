// Child process of the PostgreSQL hazard test: a backing-fed view, as the multiwatcher keeps one.
// Prints "ready <R>" after getAll; on "until <rev>" waits until it has applied every change up to
// rev, then prints a JSON summary: hash of the delivered (rev, identity) sequence, ordering
// violations, and a hash of its final view.
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { entityKey } from '../../core/index.js';
import type { BackingChange, EntityInfo } from '../../core/index.js';
import { openState } from '../open-state.js';

const [url] = process.argv.slice(2);
if (url === undefined) throw new Error('usage: pg-reader <url>');
const state = await openState(url, { limits: { pollIntervalMs: 500, retryMinMs: 20, retryMaxMs: 200 } });
const backing = state.allWatcherBacking();
const view = new Map<string, EntityInfo>();
const store = {
  update: (e: EntityInfo) => void view.set(entityKey(e), e),
  remove: (id: EntityInfo | BackingChange) => void view.delete(entityKey(id)),
  get: (id: EntityInfo) => view.get(entityKey(id)),
};
const hash = createHash('sha256');
const queue: BackingChange[] = [];
let lastRev = 0;
let count = 0;
let violations = 0;
let applied = 0;
let processing = false;

backing.watch((c) => {
  const rev = c.rev ?? -1;
  if (rev < lastRev || rev > lastRev + 1) violations++; // revisions are dense: each is last or last + 1
  lastRev = rev;
  count++;
  hash.update(`${rev}|${c.kind}|${c.modelUUID}|${c.id}\n`);
  queue.push(c);
  void drain();
});

function busy(): boolean {
  return processing || queue.length > 0;
}

async function drain(): Promise<void> {
  if (processing) return;
  processing = true;
  for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
    await backing.changed(store, c);
    applied = c.rev ?? applied;
  }
  processing = false;
}

const startRev = Number(await backing.getAll(store));
lastRev = startRev;
applied = startRev;
process.stdout.write(`ready ${startRev}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const target = Number(line.split(' ')[1]);
  while (applied < target || busy()) await new Promise((r) => setTimeout(r, 20));
  const viewHash = createHash('sha256');
  for (const key of [...view.keys()].sort()) viewHash.update(`${key}=${JSON.stringify(view.get(key)?.data)}\n`);
  const report = (state as unknown as { report(): Record<string, unknown> }).report();
  process.stdout.write(`${JSON.stringify({ startRev, count, hash: hash.digest('hex'), violations, viewHash: viewHash.digest('hex'), report })}\n`);
  break;
}
await backing.release?.();
await state.close();
