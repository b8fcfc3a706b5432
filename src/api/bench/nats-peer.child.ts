// The named peer: core NATS (127.0.0.1:4222, `nats` client) fanning out the same load. Mode `sub`:
// N connections, each subscribed to its model's subject `bench.<run>.m.<i>`, latency = receipt − t.
// Mode `pub`: one connection publishing `rate` msgs/s for `seconds`, round-robin over the subjects.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { childChannel } from './ipc.js';
import type { Message } from './ipc.js';
import { boundedAll } from './rpc-client.js';
import { Samples, wallNow } from './stats.js';

const conns: NatsConnection[] = [];
const latencies = new Samples();
let recording = false;
let delivered = 0;
let recordStart = 0;
const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();
const decoder = new TextDecoder();

const send = childChannel(async (m: Message) => {
  switch (m.type) {
    case 'connect':
      await subscribe(m);
      break;
    case 'record':
      latencies.clear();
      delivered = 0;
      eld.reset();
      recordStart = wallNow();
      recording = true;
      send({ type: 'recording' });
      break;
    case 'stats':
      recording = false;
      send({ type: 'stats', latencies: latencies.toArray(), deltas: delivered, windowMs: wallNow() - recordStart, eldP99Ms: eld.percentile(99) / 1e6 });
      break;
    case 'write':
      send({ type: 'written', ...(await publish(m)) });
      break;
    case 'close':
      await Promise.allSettled(conns.map((c) => c.close()));
      conns.length = 0;
      send({ type: 'closed' });
      break;
    default:
      break;
  }
});

async function subscribe(m: Message): Promise<void> {
  const subjects = m.subjects as string[];
  const started = wallNow();
  const r = await boundedAll(subjects.length, Number(m.concurrency), async (i) => {
    const nc = await connect({ servers: String(m.server), timeout: 30_000, reconnect: false, pingInterval: 10 * 60_000 });
    conns.push(nc);
    nc.subscribe(subjects[i] ?? '', {
      callback: (_err, msg) => {
        if (!recording) return;
        const at = wallNow();
        delivered++;
        const t = (JSON.parse(decoder.decode(msg.data)) as { t?: unknown }).t;
        if (typeof t === 'number') latencies.add(at - t);
      },
    });
    await nc.flush();
  });
  send({ type: 'connected', ok: conns.length, failed: r.failed, firstError: r.firstError ?? null, ms: wallNow() - started });
}

async function publish(m: Message): Promise<Record<string, unknown>> {
  const subjects = m.subjects as string[];
  const rate = Number(m.rate);
  const total = Math.round(rate * Number(m.seconds));
  const nc = await connect({ servers: String(m.server), timeout: 30_000, reconnect: false });
  const encoder = new TextEncoder();
  let issued = 0;
  const started = wallNow();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = wallNow() - started;
      const due = Math.min(total, Math.floor((elapsed * rate) / 1000));
      while (issued < due) {
        const seq = issued++;
        nc.publish(subjects[seq % subjects.length] ?? '', encoder.encode(JSON.stringify({ series: 'jammy', seq, t: wallNow() })));
      }
      if (issued >= total || elapsed > Number(m.seconds) * 1000 + 2000) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  const issuingMs = wallNow() - started;
  await nc.flush();
  await nc.close();
  return { planned: total, issued, ok: issued, issuingMs, achievedPerSecond: issued / (issuingMs / 1000) };
}
