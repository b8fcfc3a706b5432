// A scripted in-memory controller for client behaviour tests: a SocketDialer whose sockets answer
// Login, WatchAll/WatchAllModels, Next and Stop from a shared list of committed batches, so tests
// can drop connections and check what a resumed watcher receives. No network, no timers.
import { ConnectionLostError } from '../client-error.js';
import type { RpcSocket, SocketDialer, SocketListeners } from '../socket.js';

/** A batch the fake has "committed": wire deltas at a revision. */
export interface FakeCommit {
  revision: number;
  deltas: unknown[];
}

interface FakeWatcher {
  since: number;
  first: boolean;
  reset: boolean;
  stopped: boolean;
  pending: ((frame: Record<string, unknown>) => void) | undefined;
}

/** See the file comment. */
export class FakeController {
  readonly commits: FakeCommit[] = [];
  /** Every request frame received, in order. */
  readonly requests: Record<string, unknown>[] = [];
  /** When false, dials fail with "connection refused". */
  up = true;
  /** Password accepted for any user. */
  password = 'pw';
  /** Oldest revision still resumable; older since-revisions get resync-required. */
  oldestResumable = 0;
  /** When true, each socket closes right after a successful Login (a removed model, a flapping proxy). */
  dropAfterLogin = false;
  /** Dials past this many are refused: a hot redial loop (all microtasks) then fails a count instead of spinning. */
  maxDials = Infinity;
  /** When true, a password Login with `issue-token` answers a bearer token, and token Logins are accepted (modelwatch's extension). */
  issueTokens = false;
  /** Tokens issued and not revoked. */
  readonly tokens = new Set<string>();
  passwordLogins = 0;
  tokenLogins = 0;
  readonly #sockets = new Set<FakeSocket>();
  dials = 0;

  readonly dial: SocketDialer = (url, listeners) => {
    this.dials++;
    if (!this.up || this.dials > this.maxDials) return Promise.reject(new ConnectionLostError(`cannot connect to ${url}: ECONNREFUSED`));
    const s = new FakeSocket(this, listeners);
    this.#sockets.add(s);
    return Promise.resolve(s);
  };

  /** Appends a commit and wakes blocked Nexts. */
  commit(revision: number, ...deltas: unknown[]): void {
    this.commits.push({ revision, deltas });
    for (const s of this.#sockets) s.wake();
  }

  get head(): number {
    return this.commits.at(-1)?.revision ?? 0;
  }

  /** Drops every open socket, as a controller restart does. */
  dropAll(): void {
    for (const s of [...this.#sockets]) s.drop();
  }

  forget(s: FakeSocket): void {
    this.#sockets.delete(s);
  }
}

class FakeSocket implements RpcSocket {
  readonly #ctl: FakeController;
  readonly #listeners: SocketListeners;
  readonly #watchers = new Map<string, FakeWatcher>();
  #nextWatcher = 1;
  #open = true;

  constructor(ctl: FakeController, listeners: SocketListeners) {
    this.#ctl = ctl;
    this.#listeners = listeners;
  }

  send(text: string): void {
    const req = JSON.parse(text) as Record<string, unknown>;
    this.#ctl.requests.push(req);
    queueMicrotask(() => this.#handle(req));
  }

  close(): void {
    this.drop();
  }

  drop(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#ctl.forget(this);
    queueMicrotask(() => this.#listeners.close('code 1006'));
  }

  wake(): void {
    for (const w of this.#watchers.values()) this.#tryAnswer(w);
  }

  #reply(rid: unknown, body: Record<string, unknown>): void {
    if (this.#open) this.#listeners.message(JSON.stringify({ 'request-id': rid, ...body }));
  }

  #handle(req: Record<string, unknown>): void {
    const rid = req['request-id'];
    const params = (req.params ?? {}) as Record<string, unknown>;
    const method = `${String(req.type)}.${String(req.request)}`;
    if (method === 'Admin.Login') {
      const ctl = this.#ctl;
      const token = typeof params.token === 'string' && params.token !== '' ? params.token : undefined;
      const ok = token !== undefined ? ctl.issueTokens && ctl.tokens.has(token) : params.credentials === ctl.password;
      if (!ok) {
        this.#reply(rid, { error: 'invalid entity name or password', 'error-code': 'unauthorized access', response: {} });
        return;
      }
      if (token !== undefined) ctl.tokenLogins++;
      else ctl.passwordLogins++;
      const issued = token === undefined && ctl.issueTokens && params['issue-token'] === true ? `tok-${ctl.tokens.size + 1}` : undefined;
      if (issued !== undefined) ctl.tokens.add(issued);
      this.#reply(rid, { response: { ...(issued === undefined ? {} : { token: issued }), 'server-version': '3.6.0', facades: [
        { name: 'Client', versions: [8] }, { name: 'AllWatcher', versions: [3] },
        { name: 'Controller', versions: [11] }, { name: 'AllModelWatcher', versions: [4] },
        { name: 'Entities', versions: [1] }, { name: 'Presence', versions: [1] },
      ] } });
      if (this.#ctl.dropAfterLogin) this.drop();
      return;
    }
    if (method === 'Client.WatchAll' || method === 'Controller.WatchAllModels') {
      const since = params['since-revision'];
      const id = String(this.#nextWatcher++);
      const resumable = typeof since === 'number' && since >= this.#ctl.oldestResumable && since <= this.#ctl.head;
      this.#watchers.set(id, { since: resumable ? since : 0, first: true, reset: !resumable, stopped: false, pending: undefined });
      this.#reply(rid, { response: { 'watcher-id': id, ...(typeof since === 'number' && !resumable ? { 'resync-required': true } : {}) } });
      return;
    }
    const w = this.#watchers.get(String(req.id));
    if (w === undefined) {
      this.#reply(rid, { error: 'unknown watcher id', 'error-code': 'not found', response: {} });
      return;
    }
    if (String(req.request) === 'Stop') {
      w.stopped = true;
      w.pending?.({ error: 'watcher was stopped', 'error-code': 'stopped', response: {} });
      w.pending = undefined;
      this.#reply(rid, { response: {} });
      return;
    }
    if (w.stopped) {
      this.#reply(rid, { error: 'watcher was stopped', 'error-code': 'stopped', response: {} });
      return;
    }
    w.pending = (frame) => this.#reply(rid, frame);
    this.#tryAnswer(w);
  }

  #tryAnswer(w: FakeWatcher): void {
    if (w.pending === undefined) return;
    const after = this.#ctl.commits.filter((c) => c.revision > w.since);
    if (after.length === 0 && !w.first) return;
    const deltas = after.flatMap((c) => c.deltas);
    const revision = Math.max(w.since, ...after.map((c) => c.revision));
    const reply = w.pending;
    w.pending = undefined;
    w.since = revision;
    const body: Record<string, unknown> = { revision, deltas };
    if (w.first && w.reset) body.reset = true;
    w.first = false;
    reply({ response: body });
  }
}
