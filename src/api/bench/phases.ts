// The benchmark's load phases, each driving children (ipc.ts) against the controller hosted by
// api.bench.ts: model clients + committed changes, controller-wide fan-out, and the NATS peer.
import { fileURLToPath } from 'node:url';
import { spawnChild } from './ipc.js';
import type { Child, Message } from './ipc.js';
import { BenchRpcClient } from './rpc-client.js';
import { settledMemory, sleep } from './setup.js';
import { r2, summarize, wallNow } from './stats.js';
import type { ControllerHost } from './host.js';
import type { Summary } from './stats.js';

const script = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));
const MIN = 60_000;

export interface LoadConfig {
  clients: number;
  watchers: number;
  processes: number;
  rate: number;
  seconds: number;
  entitiesPerModel: number;
  trials: number;
  concurrency: number;
  /** The write path of the committed changes: Entities.Update over RPC, or REST PUT. */
  writeVia: 'rpc' | 'rest';
}

/** Splits n items over k children: child c gets indexes c, c+k, c+2k, … */
function share<T>(n: number, k: number, c: number, item: (j: number) => T): T[] {
  const out: T[] = [];
  for (let j = c; j < n; j += k) out.push(item(j));
  return out;
}

async function connectAll(children: Child[], msgs: Message[]): Promise<{ ok: number; failed: number; firstError: string | null; ms: number }> {
  children.forEach((ch, i) => ch.send(msgs[i] as Message));
  const rs = await Promise.all(children.map((ch) => ch.next('connected', 20 * MIN)));
  const firstError = rs.map((r) => r.firstError).find((e) => typeof e === 'string') as string | undefined;
  return { ok: sum(rs, 'ok'), failed: sum(rs, 'failed'), firstError: firstError ?? null, ms: Math.max(...rs.map((r) => Number(r.ms))) };
}

function sum(ms: Message[], key: string): number {
  return ms.reduce((a, m) => a + Number(m[key] ?? 0), 0);
}

/** Merges recorded latencies and delivery counts of children answering 'stats'. */
async function collectStats(children: Child[], activeMs: number): Promise<{ latency: Summary; delivered: number; perSecond: number; clientEldP99Ms: number; clientCpuMs: number }> {
  children.forEach((ch) => ch.send({ type: 'stats' }));
  const rs = await Promise.all(children.map((ch) => ch.next('stats', 2 * MIN)));
  const all: number[] = [];
  for (const r of rs) for (const x of r.latencies as number[]) all.push(x);
  const delivered = sum(rs, 'deltas');
  return { latency: summarize(all), delivered, perSecond: Math.round(delivered / (activeMs / 1000)), clientEldP99Ms: r2(Math.max(...rs.map((r) => Number(r.eldP99Ms)))), clientCpuMs: r2(sum(rs, 'cpuMs')) };
}

/**
 * Where phase 1 runs: the controller hosted by this process (memory and CPU measured here), or
 * the floor server child (its CPU asked over IPC; no memory figures).
 */
export type Server = { kind: 'controller'; host: ControllerHost } | { kind: 'floor'; child: Child };

const memoryOf = (server: Server) => (server.kind === 'controller' ? server.host.memory() : settledMemory());

async function serverCpu(server: Server, reset: boolean): Promise<number> {
  if (server.kind === 'controller') return server.host.cpuMs();
  server.child.send({ type: reset ? 'cpu-reset' : 'cpu' });
  const m = await server.child.next(reset ? 'cpu-reset' : 'cpu', MIN);
  return Number(m.cpuMs ?? 0);
}

/** Starts the floor server (floor-server.child.ts); resolves with it and its ws:// URL. */
export async function startFloor(): Promise<{ child: Child; wsUrl: string }> {
  const child = spawnChild('floor-server', script('floor-server.child.ts'));
  child.send({ type: 'start' });
  const m = await child.next('started', MIN);
  return { child, wsUrl: String(m.url) };
}

/** Phases 2 and 3: model clients (memory per connection), then committed changes → clients. */
export async function modelClientsPhase(o: {
  url: string; wsUrl: string; token: string; models: string[]; cfg: LoadConfig; bench: { user: string; password: string };
  server: Server;
}): Promise<Record<string, unknown>> {
  const { cfg, models, server } = o;
  const before = await memoryOf(server);
  const children = Array.from({ length: cfg.processes }, (_, c) => spawnChild(`model-clients-${c}`, script('model-clients.child.ts')));
  const writer = spawnChild('writer', script('writer.child.ts'));
  try {
    const conn = await connectAll(children, children.map((_, c) => ({
      type: 'connect', url: o.wsUrl, user: o.bench.user, password: o.bench.password, concurrency: cfg.concurrency,
      models: share(cfg.clients, cfg.processes, c, (j) => models[j % models.length] ?? ''),
    })));
    console.log(`  ${conn.ok} model clients connected, logged in and watching in ${(conn.ms / 1000).toFixed(1)} s (${conn.failed} failed${conn.firstError === null ? '' : `: ${conn.firstError}`})`);
    await sleep(2000);
    const after = await memoryOf(server);
    const n = Math.max(1, conn.ok);
    const memory = {
      connections: conn.ok,
      rssBytesPerConnection: Math.round((after.rss - before.rss) / n),
      heapBytesPerConnection: Math.round((after.heapUsed - before.heapUsed) / n),
      externalBytesPerConnection: Math.round((after.external - before.external) / n),
      rssMiB: r2(after.rss / 2 ** 20),
    };
    if (server.kind === 'controller') console.log(`  controller: ${memory.rssBytesPerConnection} B RSS / connection, ${memory.heapBytesPerConnection} B heap / connection (RSS ${memory.rssMiB} MiB)`);

    const via = server.kind === 'floor' ? 'rpc' : cfg.writeVia;
    writer.send({ type: 'prepare', via, url: o.url, wsUrl: o.wsUrl, token: o.token, user: o.bench.user, password: o.bench.password, models });
    const prepared = await writer.next('prepared', 10 * MIN);
    console.log(`  writer ready (${via === 'rest' ? 'REST PUT, 32 keep-alive sockets' : `Entities.Update, one connection per model`}) in ${(Number(prepared.ms) / 1000).toFixed(1)} s`);
    children.forEach((ch) => ch.send({ type: 'record' }));
    await Promise.all(children.map((ch) => ch.next('recording', MIN)));
    if (server.kind === 'controller') await server.host.resetEventLoop();
    let peakRss = 0;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1000);
    const cpu0 = await serverCpu(server, true);
    writer.send({ type: 'write', models, rate: cfg.rate, seconds: cfg.seconds, entitiesPerModel: cfg.entitiesPerModel, maxInFlight: 256 });
    const written = await writer.next('written', cfg.seconds * 1000 + 2 * MIN);
    await sleep(1000); // let the last deltas arrive
    const serverMs = server.kind === 'controller' ? (await serverCpu(server, false)) - cpu0 : await serverCpu(server, false);
    const eldMs = server.kind === 'controller' ? await server.host.eventLoopDelay() : { p50: 0, p99: 0, max: 0 };
    clearInterval(rssTimer);
    const stats = await collectStats(children, Number(written.issuingMs));
    const load = {
      rateTarget: cfg.rate, seconds: cfg.seconds, committed: written.ok, writeFailed: written.failed, writeFirstError: written.firstError,
      committedPerSecond: Math.round(Number(written.achievedPerSecond)), writeVia: written.via, writeMs: written.writeMs,
      latencyMs: stats.latency, deltasDelivered: stats.delivered, deltasPerSecond: stats.perSecond,
      eventLoopDelayMs: eldMs, clientEventLoopDelayP99Ms: stats.clientEldP99Ms, peakRssMiB: r2(peakRss / 2 ** 20),
      cpu: cpuShares({ controllerMs: serverMs, clientsMs: stats.clientCpuMs, writerMs: Number(written.cpuMs) }, Number(written.ok), stats.delivered),
    };
    return { server: server.kind, connect: { ...conn, clientsPerSecond: Math.round(conn.ok / (conn.ms / 1000)) }, ...(server.kind === 'controller' ? { memory } : {}), load };
  } finally {
    children.forEach((ch) => ch.send({ type: 'close' }));
    await Promise.allSettled(children.map((ch) => ch.next('closed', MIN)));
    await Promise.allSettled([...children, writer].map((ch) => ch.stop()));
  }
}

/**
 * Where the CPU went during the write window (ms, and cores = ms / window): the controller (this
 * process), the model-client processes and the writer, with the controller's cost per commit and
 * per delivered delta when everything it did is charged to one or the other.
 */
function cpuShares(ms: { controllerMs: number; clientsMs: number; writerMs: number }, commits: number, deltas: number): Record<string, number> {
  return {
    controllerMs: r2(ms.controllerMs), clientsMs: r2(ms.clientsMs), writerMs: r2(ms.writerMs),
    controllerUsPerDelta: r2((ms.controllerMs * 1000) / Math.max(1, deltas)),
    controllerUsPerCommit: r2((ms.controllerMs * 1000) / Math.max(1, commits)),
    clientsUsPerDelta: r2((ms.clientsMs * 1000) / Math.max(1, deltas)),
    writerUsPerCommit: r2((ms.writerMs * 1000) / Math.max(1, commits)),
  };
}

/** Phase 4: one change seen by every controller-wide watcher; `trials` changes, 1 s or more apart. */
export async function fanoutPhase(o: { wsUrl: string; marker: string; cfg: LoadConfig; bench: { user: string; password: string }; server: Server }): Promise<Record<string, unknown>> {
  const { cfg } = o;
  // The marker is written through Entities.Update on the marker model's connection (so the same
  // phase runs against the floor server, which has no REST).
  const writer = await BenchRpcClient.open(`${o.wsUrl}/model/${o.marker}/api`, 60_000);
  await writer.login(o.bench.user, o.bench.password);
  const mark = async (fields: { marker: number; t: number }): Promise<number> => {
    const r = await writer.call('Entities', 1, 'Update', { params: { entities: [{ kind: 'machine', entity: { 'model-uuid': o.marker, id: 'marker', ...fields } }] } });
    return Number(r.revision);
  };
  const since = await mark({ marker: 0, t: 0 });
  const before = await memoryOf(o.server);
  const children = Array.from({ length: cfg.processes }, (_, c) => spawnChild(`controller-watchers-${c}`, script('controller-watchers.child.ts')));
  try {
    const conn = await connectAll(children, children.map((_, c) => ({
      type: 'connect', url: o.wsUrl, user: o.bench.user, password: o.bench.password, concurrency: cfg.concurrency, since,
      count: share(cfg.watchers, cfg.processes, c, () => 0).length,
    })));
    console.log(`  ${conn.ok} controller-wide watchers connected in ${(conn.ms / 1000).toFixed(1)} s (${conn.failed} failed${conn.firstError === null ? '' : `: ${conn.firstError}`})`);
    await sleep(2000);
    const after = await memoryOf(o.server);
    const rssBytesPerConnection = o.server.kind === 'controller' ? Math.round((after.rss - before.rss) / Math.max(1, conn.ok)) : null;
    const trials: Array<Summary & { seen: number }> = [];
    const all: number[] = [];
    for (let k = 1; k <= cfg.trials; k++) {
      await mark({ marker: k, t: wallNow() });
      const deadline = Date.now() + 20_000;
      let lat: number[] = [];
      do {
        await sleep(250);
        children.forEach((ch) => ch.send({ type: 'marker', marker: k }));
        const rs = await Promise.all(children.map((ch) => ch.next('marker', MIN)));
        lat = rs.flatMap((r) => r.latencies as number[]);
      } while (lat.length < conn.ok && Date.now() < deadline);
      trials.push({ ...summarize(lat), seen: lat.length });
      all.push(...lat);
      await sleep(750);
    }
    return { server: o.server.kind, watchers: conn.ok, connect: conn, rssBytesPerConnection, trials, latencyMs: summarize(all), allDeliveredMs: trials.map((t) => t.max) };
  } finally {
    writer.terminate();
    children.forEach((ch) => ch.send({ type: 'close' }));
    await Promise.allSettled(children.map((ch) => ch.next('closed', MIN)));
    await Promise.allSettled(children.map((ch) => ch.stop()));
  }
}

/** Phase 5: core NATS fan-out of the same rate to the same number of subscribers. */
export async function natsPhase(o: { server: string; models: number; subscribers: number; cfg: LoadConfig }): Promise<Record<string, unknown>> {
  const { cfg } = o;
  const run = Math.random().toString(36).slice(2, 8);
  const subject = (j: number): string => `bench.${run}.m.${j % o.models}`;
  const subs = Array.from({ length: cfg.processes }, (_, c) => spawnChild(`nats-sub-${c}`, script('nats-peer.child.ts')));
  const pub = spawnChild('nats-pub', script('nats-peer.child.ts'));
  try {
    const conn = await connectAll(subs, subs.map((_, c) => ({ type: 'connect', server: o.server, concurrency: cfg.concurrency, subjects: share(o.subscribers, cfg.processes, c, subject) })));
    console.log(`  ${conn.ok} NATS subscriber connections in ${(conn.ms / 1000).toFixed(1)} s (${conn.failed} failed${conn.firstError === null ? '' : `: ${conn.firstError}`})`);
    subs.forEach((ch) => ch.send({ type: 'record' }));
    await Promise.all(subs.map((ch) => ch.next('recording', MIN)));
    pub.send({ type: 'write', server: o.server, rate: cfg.rate, seconds: cfg.seconds, subjects: Array.from({ length: o.models }, (_, j) => subject(j)) });
    const written = await pub.next('written', cfg.seconds * 1000 + 2 * MIN);
    await sleep(1000);
    const stats = await collectStats(subs, Number(written.issuingMs));
    return {
      subscribers: conn.ok, published: written.ok, publishedPerSecond: Math.round(Number(written.achievedPerSecond)),
      latencyMs: stats.latency, delivered: stats.delivered, deliveredPerSecond: stats.perSecond, clientEventLoopDelayP99Ms: stats.clientEldP99Ms,
    };
  } finally {
    subs.forEach((ch) => ch.send({ type: 'close' }));
    await Promise.allSettled(subs.map((ch) => ch.next('closed', MIN)));
    await Promise.allSettled([...subs, pub].map((ch) => ch.stop()));
  }
}
