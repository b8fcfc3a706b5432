// Load generator: N controller connections (`/api`), each logged in as a superuser,
// `Controller.WatchAllModels` from `since-revision` (so no full snapshot per watcher) and an
// `AllModelWatcher.Next` loop. A delta whose entity carries `marker` and `t` (wall ms) yields one
// sample per watcher for that marker: receipt − t.
import { childChannel } from './ipc.js';
import type { Message } from './ipc.js';
import { boundedAll, openWatching } from './rpc-client.js';
import type { BenchRpcClient } from './rpc-client.js';
import { Samples, wallNow } from './stats.js';

const clients: BenchRpcClient[] = [];
const byMarker = new Map<number, Samples>();

const send = childChannel(async (m: Message) => {
  switch (m.type) {
    case 'connect':
      await connect(m);
      break;
    case 'marker': {
      const s = byMarker.get(Number(m.marker));
      send({ type: 'marker', marker: m.marker, latencies: s?.toArray() ?? [] });
      break;
    }
    case 'close':
      for (const c of clients) c.terminate();
      clients.length = 0;
      send({ type: 'closed' });
      break;
    default:
      break;
  }
});

async function connect(m: Message): Promise<void> {
  const started = wallNow();
  const count = Number(m.count);
  const result = await boundedAll(count, Number(m.concurrency), async () => {
    clients.push(await openWatching({
      url: `${String(m.url)}/api`, user: String(m.user), password: String(m.password), facade: 'AllModelWatcher', version: 4,
      start: (c) => c.call('Controller', 11, 'WatchAllModels', { params: { 'since-revision': Number(m.since) } }),
      onBatch,
    }));
  });
  send({ type: 'connected', ok: clients.length, failed: result.failed, firstError: result.firstError ?? null, ms: wallNow() - started });
}

function onBatch(at: number, ds: Array<[string, string, Record<string, unknown>]>): void {
  for (const d of ds) {
    const { marker, t } = d[2] ?? {};
    if (typeof marker !== 'number' || typeof t !== 'number') continue;
    let s = byMarker.get(marker);
    if (s === undefined) byMarker.set(marker, (s = new Samples()));
    s.add(at - t);
  }
}
