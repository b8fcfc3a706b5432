// Prometheus metrics of hook senders: hooks delivered by kind, senders that died, and the running
// senders by state (read at scrape time over every running sender registered on the registry).
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { registeredMetric } from '../core/index.js';
import type { HookKind } from './hook.js';

/** What a sender tells its metrics. */
export interface HookMetrics {
  delivered(kind: HookKind): void;
  /** The sender's loop ended (stopped, or died); it leaves the state gauge. */
  ended(died: boolean): void;
}

/** The state of a running sender. */
export type SenderState = 'waiting' | 'delivering';

const STATES: readonly SenderState[] = ['waiting', 'delivering'];
/** Per registry: the running senders' state readers. */
const senders = new WeakMap<Registry, Set<() => SenderState>>();

/** Registers one sender on `registry`; `state` is read at every scrape. */
export function hookMetricsFor(registry: Registry, state: () => SenderState): HookMetrics {
  let set = senders.get(registry);
  if (set === undefined) senders.set(registry, (set = new Set()));
  set.add(state);
  const all = set;
  const delivered = registeredMetric(registry, 'modelwatch_relation_hooks_delivered_total', () => new Counter({
    name: 'modelwatch_relation_hooks_delivered_total',
    help: 'Relation hooks delivered (out resolved, hook popped), by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  }));
  const deaths = registeredMetric(registry, 'modelwatch_relation_hook_sender_deaths_total', () => new Counter({
    name: 'modelwatch_relation_hook_sender_deaths_total',
    help: 'Hook senders that died (a failed hook or a broken change stream)',
    registers: [registry],
  }));
  registeredMetric(registry, 'modelwatch_relation_hook_senders', () => new Gauge({
    name: 'modelwatch_relation_hook_senders',
    help: 'Running hook senders by state: waiting for a hook, or delivering one (out pending)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<SenderState, number>(STATES.map((s) => [s, 0]));
      for (const read of all) {
        const s = read();
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      for (const [s, n] of counts) this.set({ state: s }, n);
    },
  }));
  return {
    delivered: (kind) => delivered.inc({ kind }),
    ended: (died) => {
      all.delete(state);
      if (died) deaths.inc();
    },
  };
}
