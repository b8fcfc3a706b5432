// Load generator: commits `rate` entity changes per second for `seconds`, round-robin over the
// models, one change per transaction, through one of the controller's two write paths:
// - `rpc`: `Entities.Update` on one WebSocket connection per model (`/model/<uuid>/api`), the way
//   agents write their own entities;
// - `rest`: `PUT /v1/models/{uuid}/entities/machine/{id}` with a bearer token over keep-alive HTTP.
// Each change carries `t`, the wall time just before its request is sent: the commit → client
// latency measured from it includes the write request's path (an upper bound).
import { Agent, request } from 'node:http';
import { childChannel } from './ipc.js';
import type { Message } from './ipc.js';
import { BenchRpcClient, boundedAll } from './rpc-client.js';
import { Samples, cpuMsSince, summarize, wallNow } from './stats.js';

let prepared: { transport: Transport; via: 'rpc' | 'rest' } | undefined;

const send = childChannel(async (m: Message) => {
  if (m.type === 'prepare') {
    const via = m.via === 'rest' ? 'rest' : 'rpc';
    const started = wallNow();
    prepared = { via, transport: via === 'rest' ? restTransport(m) : await rpcTransport(m, m.models as string[]) };
    send({ type: 'prepared', ms: wallNow() - started });
  }
  if (m.type === 'write') send({ type: 'written', ...(await write(m)) });
});

interface WriteResult {
  [key: string]: unknown;
}

/** One committed change: resolves with the revision, rejects with what went wrong. */
type Commit = (uuid: string, id: string, body: { series: string; seq: number; t: number }) => Promise<number | undefined>;

interface Transport {
  commit: Commit;
  close(): void;
}

/** REST PUTs over `maxSockets` keep-alive connections. */
function restTransport(m: Message): Transport {
  const base = new URL(String(m.url));
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const auth = `Bearer ${String(m.token)}`;
  const commit: Commit = (uuid, id, body) => new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request({
      host: base.hostname, port: base.port, method: 'PUT', path: `/v1/models/${uuid}/entities/machine/${id}`, agent,
      headers: { authorization: auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const answer = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`HTTP ${String(res.statusCode)}: ${answer.slice(0, 200)}`));
        else resolve((JSON.parse(answer) as { revision?: number }).revision);
      });
    });
    req.on('error', reject);
    req.end(text);
  });
  return { commit, close: () => agent.destroy() };
}

/** Entities.Update over one logged-in model connection per model. */
async function rpcTransport(m: Message, models: string[]): Promise<Transport> {
  const conns = new Map<string, BenchRpcClient>();
  const opened = await boundedAll(models.length, 64, async (i) => {
    const uuid = models[i] ?? '';
    const c = await BenchRpcClient.open(`${String(m.wsUrl)}/model/${uuid}/api`, 60_000);
    await c.login(String(m.user), String(m.password));
    conns.set(uuid, c);
  });
  if (opened.failed > 0) throw new Error(`writer: ${opened.failed} model connections failed: ${String(opened.firstError)}`);
  const commit: Commit = async (uuid, id, body) => {
    const c = conns.get(uuid);
    if (c === undefined) throw new Error(`writer: no connection to model ${uuid}`);
    const r = await c.call('Entities', 1, 'Update', { params: { entities: [{ kind: 'machine', entity: { 'model-uuid': uuid, id, ...body } }] } });
    return typeof r.revision === 'number' ? r.revision : undefined;
  };
  return { commit, close: () => conns.forEach((c) => c.terminate()) };
}

async function write(m: Message): Promise<WriteResult> {
  const models = m.models as string[];
  const rate = Number(m.rate);
  const seconds = Number(m.seconds);
  const perModel = Number(m.entitiesPerModel);
  const maxInFlight = Number(m.maxInFlight);
  const total = Math.round(rate * seconds);
  if (prepared === undefined) throw new Error('writer: write before prepare');
  const { transport, via } = prepared;
  const writeMs = new Samples();
  let issued = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  let lastRevision = 0;

  const put = (seq: number): void => {
    const uuid = models[seq % models.length] ?? '';
    const id = String(Math.floor(seq / models.length) % perModel);
    const t = wallNow();
    inFlight++;
    transport.commit(uuid, id, { series: 'jammy', seq, t }).then((rev) => {
      inFlight--;
      ok++;
      writeMs.add(wallNow() - t);
      if (typeof rev === 'number' && rev > lastRevision) lastRevision = rev;
    }, (err: unknown) => {
      inFlight--;
      failed++;
      firstError ??= err instanceof Error ? err.message : String(err);
    });
  };

  const cpu0 = process.cpuUsage();
  const started = wallNow();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = wallNow() - started;
      const due = Math.min(total, Math.floor((elapsed * rate) / 1000));
      while (issued < due && inFlight < maxInFlight) put(issued++);
      if (issued >= total || elapsed > seconds * 1000 + 2000) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  const issuingMs = wallNow() - started;
  const drainDeadline = wallNow() + 15_000;
  while (inFlight > 0 && wallNow() < drainDeadline) await new Promise((r) => setTimeout(r, 10));
  const cpuMs = cpuMsSince(cpu0);
  transport.close();
  return {
    via, planned: total, issued, ok, failed, firstError: firstError ?? null, inFlightLeft: inFlight,
    issuingMs, achievedPerSecond: ok / (issuingMs / 1000), writeMs: summarize(writeMs.toArray()), lastRevision, cpuMs,
  };
}
