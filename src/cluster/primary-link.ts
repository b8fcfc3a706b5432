// A worker's side of `serve --workers`: its rings go to the primary, which sends them to every other
// worker, and theirs come back (SqlitePeers); it tells the primary where it listens, answers the
// primary's stats requests, and asks the primary for the whole cluster's metrics for `/metrics`.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Clock, Logger, TimerHandle } from '../core/index.js';
import { ModelwatchError, errorMessage, registeredMetric } from '../core/index.js';
import type { PeerRing, SqlitePeers } from '../state/index.js';
import { parseClusterMessage } from './messages.js';
import type { ClusterMessage, RegistryMetrics, WorkerStats } from './messages.js';

/** The IPC channel to the primary: `process` in a cluster worker. */
export interface IpcChannel {
  readonly connected: boolean;
  /** Without a callback, a failed write (EPIPE: the primary is gone) is an 'error' event on `process`. */
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export interface PrimaryLinkConfig {
  /** This worker's index (0-based) in the cluster. */
  index: number;
  clock: Clock;
  logger: Logger;
  channel?: IpcChannel;
  /** How long a metrics request may wait for the primary (default 5 s). */
  metricsTimeoutMs?: number;
  /** This worker's registry, which the primary sums into the cluster's /metrics. */
  registry?: Registry;
}

/** See the file comment. close() stops listening; rings published after it are dropped. */
export class PrimaryLink implements SqlitePeers {
  readonly #config: PrimaryLinkConfig;
  readonly #channel: IpcChannel;
  readonly #listeners = new Set<(ring: PeerRing) => void>();
  readonly #pending = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: TimerHandle }>();
  readonly #eld: ReturnType<typeof monitorEventLoopDelay>;
  readonly #onMessage = (m: unknown): void => this.#receive(m);
  #nextId = 0;
  #closed = false;
  #sent = 0;
  #received = 0;
  #refused = 0;
  readonly #counters: { sent: Counter; received: Counter; refused: Counter } | undefined;

  constructor(config: PrimaryLinkConfig) {
    this.#config = config;
    this.#channel = config.channel ?? (process as unknown as IpcChannel);
    if (!this.#channel.connected) throw new ModelwatchError('NotValid', 'primary link not valid: this process has no IPC channel to a primary');
    this.#channel.on('message', this.#onMessage);
    const r = config.registry;
    this.#counters = r === undefined ? undefined : {
      sent: registeredMetric(r, 'modelwatch_cluster_peer_rings_sent_total', () => new Counter({ name: 'modelwatch_cluster_peer_rings_sent_total', help: "Rings this worker sent to the others (commits, presence) through the primary", registers: [r] })),
      received: registeredMetric(r, 'modelwatch_cluster_peer_rings_received_total', () => new Counter({ name: 'modelwatch_cluster_peer_rings_received_total', help: "Rings of other workers this worker received", registers: [r] })),
      refused: registeredMetric(r, 'modelwatch_cluster_messages_refused_total', () => new Counter({ name: 'modelwatch_cluster_messages_refused_total', help: 'Malformed cluster messages this worker dropped', registers: [r] })),
    };
    this.#eld = monitorEventLoopDelay({ resolution: 5 });
    this.#eld.enable();
  }

  publish(ring: PeerRing): void {
    if (this.#send({ type: 'modelwatch:ring', ring })) {
      this.#sent++;
      this.#counters?.sent.inc();
    }
  }

  subscribe(listener: (ring: PeerRing) => void): () => void {
    const entry = (ring: PeerRing): void => listener(ring);
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  /** Tells the primary that this worker's API server listens at `url`. */
  listening(url: string): void {
    this.#send({ type: 'modelwatch:listening', url });
  }

  /** Calls `listener` once when the primary goes away (its IPC channel closes). */
  onDisconnect(listener: () => void): void {
    this.#channel.on('disconnect', listener);
  }

  /**
   * The whole cluster's metrics in Prometheus text, from the primary.
   * @throws ModelwatchError TryAgain when the primary does not answer in time; Stopped after close().
   */
  clusterMetrics(): Promise<string> {
    if (this.#closed) return Promise.reject(new ModelwatchError('Stopped', 'primary link is closed'));
    const id = this.#nextId++;
    return new Promise<string>((resolve, reject) => {
      const timer = this.#config.clock.setTimeout(() => {
        this.#pending.delete(id);
        reject(new ModelwatchError('TryAgain', 'the primary did not answer the metrics request in time'));
      }, this.#config.metricsTimeoutMs ?? 5000);
      this.#pending.set(id, { resolve, reject, timer });
      const failed = (): void => {
        if (!this.#pending.delete(id)) return;
        timer.cancel();
        reject(new ModelwatchError('Stopped', 'no IPC channel to the primary'));
      };
      if (!this.#send({ type: 'modelwatch:metrics-request', id }, failed)) failed();
    });
  }

  report(): Record<string, unknown> {
    return { index: this.#config.index, ringsSent: this.#sent, ringsReceived: this.#received, refused: this.#refused, connected: this.#channel.connected };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.off('message', this.#onMessage);
    this.#eld.disable();
    for (const p of this.#pending.values()) {
      p.timer.cancel();
      p.reject(new ModelwatchError('Stopped', 'primary link is closed'));
    }
    this.#pending.clear();
  }

  #receive(raw: unknown): void {
    if (this.#closed) return;
    const parsed = parseClusterMessage(raw);
    if (!parsed.ok) {
      if (!parsed.foreign) {
        this.#refused++;
        this.#counters?.refused.inc();
        this.#config.logger.warn('cluster message refused', { reason: parsed.reason });
      }
      return;
    }
    const m = parsed.message;
    if (m.type === 'modelwatch:ring') {
      this.#received++;
      this.#counters?.received.inc();
      for (const l of [...this.#listeners]) {
        try {
          l(m.ring);
        } catch (err) {
          this.#config.logger.error('peer ring listener failed', { error: errorMessage(err) });
        }
      }
    } else if (m.type === 'modelwatch:metrics') {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      p.timer.cancel();
      if (m.text !== undefined) p.resolve(m.text);
      else p.reject(new ModelwatchError('TryAgain', `cluster metrics: ${m.error ?? 'no answer'}`));
    } else if (m.type === 'modelwatch:registry-request') {
      const r = this.#config.registry;
      if (r === undefined) this.#send({ type: 'modelwatch:registry', id: m.id, metrics: [] });
      else {
        r.getMetricsAsJSON().then(
          (metrics: RegistryMetrics) => this.#send({ type: 'modelwatch:registry', id: m.id, metrics }),
          (err: unknown) => this.#send({ type: 'modelwatch:registry', id: m.id, error: errorMessage(err) }),
        );
      }
    } else if (m.type === 'modelwatch:stats-request') {
      this.#send({ type: 'modelwatch:stats', id: m.id, stats: this.#stats(m.settle) });
      if (m.resetEventLoop) this.#eld.reset();
    }
  }

  #stats(settle: boolean): WorkerStats {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (settle && gc !== undefined) for (let i = 0; i < 3; i++) gc();
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const ms = (ns: number): number => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
    return {
      index: this.#config.index, pid: process.pid, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, cpuUs: cpu.user + cpu.system,
      eventLoopDelayMs: { p50: ms(this.#eld.percentile(50)), p99: ms(this.#eld.percentile(99)), max: ms(this.#eld.max) },
    };
  }

  /** False when the message cannot go; `onFailed` runs if a write that went fails later. */
  #send(message: ClusterMessage, onFailed?: () => void): boolean {
    if (this.#closed || !this.#channel.connected) return false;
    try {
      // send() returns false for a long backlog of unsent messages, yet queues this one all the same.
      // The callback takes a failed write, which would otherwise throw as an unhandled 'error' event.
      this.#channel.send(message, (err) => {
        if (err !== null) onFailed?.();
      });
      return true;
    } catch {
      return false; // the channel closed under us: the primary is gone, and onDisconnect says so
    }
  }
}
