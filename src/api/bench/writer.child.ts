// Load generator: commits `rate` entity changes per second for `seconds` through the controller's
// REST API (`PUT /v1/models/{uuid}/entities/machine/{id}`, bearer token, keep-alive), round-robin
// over the models. Each body carries `t`, the wall time just before the request is sent: the
// commit → client latency measured from it includes the REST request path (an upper bound).
import { Agent, request } from 'node:http';
import { childChannel } from './ipc.js';
import type { Message } from './ipc.js';
import { Samples, summarize, wallNow } from './stats.js';

const send = childChannel(async (m: Message) => {
  if (m.type === 'write') send({ type: 'written', ...(await write(m)) });
});

interface WriteResult {
  [key: string]: unknown;
}

async function write(m: Message): Promise<WriteResult> {
  const base = new URL(String(m.url));
  const models = m.models as string[];
  const rate = Number(m.rate);
  const seconds = Number(m.seconds);
  const perModel = Number(m.entitiesPerModel);
  const maxInFlight = Number(m.maxInFlight);
  const total = Math.round(rate * seconds);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const headers = { authorization: `Bearer ${String(m.token)}`, 'content-type': 'application/json' };
  const putMs = new Samples();
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
    const body = JSON.stringify({ series: 'jammy', seq, t });
    inFlight++;
    const req = request({ host: base.hostname, port: base.port, method: 'PUT', path: `/v1/models/${uuid}/entities/machine/${id}`, agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        inFlight--;
        putMs.add(wallNow() - t);
        if (res.statusCode === 200) {
          ok++;
          const rev = (JSON.parse(Buffer.concat(chunks).toString()) as { revision?: number }).revision;
          if (typeof rev === 'number' && rev > lastRevision) lastRevision = rev;
        } else {
          failed++;
          firstError ??= `HTTP ${String(res.statusCode)}: ${Buffer.concat(chunks).toString().slice(0, 200)}`;
        }
      });
    });
    req.on('error', (err) => {
      inFlight--;
      failed++;
      firstError ??= err.message;
    });
    req.end(body);
  };

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
  agent.destroy();
  return {
    planned: total, issued, ok, failed, firstError: firstError ?? null, inFlightLeft: inFlight,
    issuingMs, achievedPerSecond: ok / (issuingMs / 1000), putMs: summarize(putMs.toArray()), lastRevision,
  };
}
