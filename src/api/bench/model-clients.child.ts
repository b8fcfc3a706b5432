// Load generator: N model connections (`/model/<uuid>/api`), each logged in, `Client.WatchAll` and
// an `AllWatcher.Next` loop. While recording, every delta whose entity carries the writer's stamp `t`
// (wall ms) yields one latency sample: receipt − t. Driven by the parent over IPC (ipc.ts).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { childChannel } from './ipc.js';
import type { Message } from './ipc.js';
import { boundedAll, openWatching } from './rpc-client.js';
import type { BenchRpcClient } from './rpc-client.js';
import { Samples, cpuMsSince, wallNow } from './stats.js';

const clients: BenchRpcClient[] = [];
const latencies = new Samples();
let recording = false;
let deltas = 0;
let batches = 0;
let recordStart = 0;
let cpuStart = process.cpuUsage();
const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();

const send = childChannel(async (m: Message) => {
  switch (m.type) {
    case 'connect':
      await connect(m);
      break;
    case 'record':
      latencies.clear();
      deltas = 0;
      batches = 0;
      eld.reset();
      recordStart = wallNow();
      cpuStart = process.cpuUsage();
      recording = true;
      send({ type: 'recording' });
      break;
    case 'stats':
      recording = false;
      send({ type: 'stats', latencies: latencies.toArray(), deltas, batches, windowMs: wallNow() - recordStart, eldP99Ms: eld.percentile(99) / 1e6, cpuMs: cpuMsSince(cpuStart) });
      break;
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
  const base = String(m.url);
  const models = m.models as string[];
  const user = String(m.user);
  const password = String(m.password);
  const started = wallNow();
  const result = await boundedAll(models.length, Number(m.concurrency), async (i) => {
    clients.push(await openWatching({
      url: `${base}/model/${models[i] ?? ''}/api`, user, password, facade: 'AllWatcher', version: 3,
      start: (c) => c.call('Client', 8, 'WatchAll'),
      onBatch,
    }));
  });
  send({ type: 'connected', ok: clients.length, failed: result.failed, firstError: result.firstError ?? null, ms: wallNow() - started });
}

function onBatch(at: number, ds: Array<[string, string, Record<string, unknown>]>): void {
  if (!recording) return;
  batches++;
  for (const d of ds) {
    deltas++;
    const t = d[2]?.t;
    if (typeof t === 'number') latencies.add(at - t);
  }
}
