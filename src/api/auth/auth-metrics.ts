// The auth service's Prometheus metrics: logins by outcome, and gauges of its queues and caches read
// at scrape time. Several services may share one registry (controllers or tests in one process): the
// counter is shared, and each gauge sums over every service registered on it.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { registeredMetric } from '../../core/index.js';

/** What the gauges read from one auth service at scrape time. */
export interface AuthGauges {
  verificationsRunning: number;
  verificationsQueued: number;
  trackedLoginKeys: number;
  cachedTokens: number;
  cachedUsers: number;
}

/** Login outcomes counted (the `outcome` label). */
export type LoginOutcome = 'ok' | 'denied' | 'bad' | 'locked';

const GAUGES: ReadonlyArray<[name: string, help: string, read: (g: AuthGauges) => number]> = [
  ['modelwatch_api_auth_verifications_running', 'Password verifications (scrypt) running now', (g) => g.verificationsRunning],
  ['modelwatch_api_auth_verifications_queued', 'Password verifications waiting for a slot', (g) => g.verificationsQueued],
  ['modelwatch_api_auth_tracked_login_keys', 'Addresses and tags the failed-login limiter tracks', (g) => g.trackedLoginKeys],
  ['modelwatch_api_auth_cached_tokens', 'Resolved bearer tokens trusted without a query', (g) => g.cachedTokens],
  ['modelwatch_api_auth_cached_users', 'User rows reused by model-access checks', (g) => g.cachedUsers],
];

/** Every service's gauge reader, per registry. */
const readers = new WeakMap<Registry, Set<() => AuthGauges>>();

/**
 * Registers one auth service's gauges on `registry` (the gauges are created once per registry) and
 * returns the shared login counter and the way out of the gauges. `read` is called at every scrape.
 */
export function authMetricsFor(registry: Registry, read: () => AuthGauges): { logins: Counter<'outcome'>; unregister: () => void } {
  let set = readers.get(registry);
  if (set === undefined) readers.set(registry, (set = new Set()));
  set.add(read);
  const all = set;
  for (const [name, help, pick] of GAUGES) {
    registeredMetric(registry, name, () => new Gauge({
      name, help, registers: [registry],
      collect() {
        let sum = 0;
        for (const r of all) sum += pick(r());
        this.set(sum);
      },
    }));
  }
  const logins = registeredMetric(registry, 'modelwatch_api_auth_logins_total', () => new Counter({
    name: 'modelwatch_api_auth_logins_total',
    help: 'Logins (RPC and REST) by outcome: ok, denied (no access to the model), bad (wrong credentials), locked (rate limited)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }));
  // A service that is gone (its controller's auth stopped) must leave the gauges' sums.
  return { logins, unregister: () => void all.delete(read) };
}
