// A controller process for the cross-process presence test: reads JSON commands on stdin, runs a
// pinger (through its own PingBatcher) or a watcher on the shared PostgreSQL state, and reports
// JSON events on stdout. Usage: node --import tsx presence-child.ts <postgres-url>
import { createInterface } from 'node:readline';
import { SystemClock } from '../../../core/index.js';
import { PingBatcher, Pinger, PresenceWatcher } from '../../../presence/index.js';
import { openState } from '../../open-state.js';

type Command =
  | { cmd: 'ping-start'; model: string; key: string }
  | { cmd: 'ping-kill' }
  | { cmd: 'ping-stop' }
  | { cmd: 'watch'; model: string; key: string }
  | { cmd: 'exit' };

const send = (ev: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(ev)}\n`);

async function main(): Promise<void> {
  const url = process.argv[2];
  if (url === undefined) throw new Error('usage: presence-child.ts <postgres-url>');
  const clock = new SystemClock();
  const state = await openState(url, { clock });
  const store = state.presenceStore();
  const batcher = new PingBatcher({ store, flushInterval: 1000, clock });
  let pinger: Pinger | undefined;
  const watchers: PresenceWatcher[] = [];
  send({ ev: 'ready', pid: process.pid });
  for await (const line of createInterface({ input: process.stdin })) {
    const c = JSON.parse(line) as Command;
    switch (c.cmd) {
      case 'ping-start': {
        // Agent login (spec §7): start, write at once, ring every controller's watcher.
        pinger = new Pinger({ store, modelUUID: c.model, key: c.key, clock, recorder: () => batcher });
        await pinger.start();
        await batcher.sync();
        store.ring(c.model);
        send({ ev: 'started', seq: pinger.seq });
        break;
      }
      case 'ping-kill':
        await pinger?.killForTesting();
        send({ ev: 'killed', seq: pinger?.seq });
        break;
      case 'ping-stop':
        await pinger?.stop();
        send({ ev: 'stopped' });
        break;
      case 'watch': {
        const w = new PresenceWatcher({ store, modelUUID: c.model, clock });
        watchers.push(w);
        w.watch(c.key, (ch) => send({ ev: 'change', key: ch.key, alive: ch.alive, pid: process.pid }));
        await w.sync();
        send({ ev: 'watching' });
        break;
      }
      case 'exit':
        await pinger?.stop();
        for (const w of watchers) await w.stop();
        await batcher.stop();
        await state.close();
        send({ ev: 'bye' });
        process.exit(0);
    }
  }
}

main().catch((err: unknown) => {
  send({ ev: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
