// The floor: the least a Node.js server must do to serve the benchmark's load over the same
// protocol. A bare `ws` server (no state store, no auth, no multiwatcher, no metrics) that answers
// Admin.Login, Client.WatchAll and Controller.WatchAllModels, keeps per watcher a queue of encoded deltas, answers a parked
// AllWatcher.Next as soon as its model changes, and applies Entities.Update in memory. Running the
// same clients and writer against it in the same run measures what any Node implementation pays
// per delivered delta (WebSocket framing, JSON, one write syscall per frame) on this machine.
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { childChannel } from './ipc.js';
import type { Message } from './ipc.js';
import { cpuMsSince } from './stats.js';

interface FloorWatcher {
  readonly ws: WebSocket;
  /** Encoded deltas not yet answered. */
  queue: string[];
  /** The request-id of a parked Next, or 0. */
  parked: number;
  first: boolean;
}

const byModel = new Map<string, Set<FloorWatcher>>();
let revision = 0;
let server: WebSocketServer | undefined;
let cpu0 = process.cpuUsage();

const send = childChannel((m: Message) => {
  if (m.type === 'start') {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 16 << 20 });
    server.on('connection', (ws, req) => serve(ws, /^\/model\/([^/]+)\/api/.exec(req.url ?? '')?.[1] ?? ''));
    server.on('listening', () => {
      const addr = server?.address();
      send({ type: 'started', url: `ws://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}` });
    });
  }
  if (m.type === 'cpu-reset') {
    cpu0 = process.cpuUsage();
    send({ type: 'cpu-reset' });
  }
  if (m.type === 'cpu') {
    send({ type: 'cpu', cpuMs: cpuMsSince(cpu0) });
  }
});

function answer(ws: WebSocket, requestId: number, response: string): void {
  ws.send(`{"request-id":${requestId},"response":${response}}`);
}

function flush(w: FloorWatcher): void {
  if (w.parked === 0 || (w.queue.length === 0 && !w.first)) return;
  const id = w.parked;
  w.parked = 0;
  w.first = false;
  answer(w.ws, id, `{"revision":${revision},"deltas":[${w.queue.join(',')}]}`);
  w.queue = [];
}

function serve(ws: WebSocket, model: string): void {
  let watcher: FloorWatcher | undefined;
  ws.on('message', (data: Buffer) => {
    const req = JSON.parse(data.toString('utf8')) as { 'request-id': number; type: string; request: string; params?: { entities?: Array<{ entity: Record<string, unknown> }> } };
    const id = req['request-id'];
    switch (`${req.type}.${req.request}`) {
      case 'Admin.Login':
        answer(ws, id, '{}');
        return;
      case 'Client.WatchAll':
      case 'Controller.WatchAllModels': {
        watcher = { ws, queue: [], parked: 0, first: true };
        let set = byModel.get(model); // '' for a controller connection: every model's changes
        if (set === undefined) byModel.set(model, (set = new Set()));
        set.add(watcher);
        answer(ws, id, '{"watcher-id":"1"}');
        return;
      }
      case 'AllWatcher.Next':
      case 'AllModelWatcher.Next':
        if (watcher === undefined) return;
        watcher.parked = id;
        flush(watcher);
        return;
      case 'Entities.Update': {
        revision++;
        const deltas = (req.params?.entities ?? []).map((e) => JSON.stringify(['machine', 'change', e.entity]));
        for (const w of [...(byModel.get(model) ?? []), ...(byModel.get('') ?? [])]) {
          w.queue.push(...deltas);
          flush(w);
        }
        answer(ws, id, `{"revision":${revision}}`);
        return;
      }
      default:
        ws.send(`{"request-id":${id},"error":"not implemented by the floor server","error-code":"not implemented"}`);
    }
  });
  ws.on('close', () => {
    if (watcher !== undefined) byModel.get(model)?.delete(watcher);
  });
}
