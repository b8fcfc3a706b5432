// The auth service's metrics: logins counted by outcome, queue and cache gauges read at scrape time,
// summed over the services sharing a registry.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock, NotValidError, nullLogger } from '../../core/index.js';
import { MemoryUserStore } from '../../state/index.js';
import { registrySample } from '../../testing/index.js';
import { createAuthService } from './auth-service.js';

/** Value of a sample in the registry's text exposition, or undefined. */

/** Drives the failure delay's timers as soon as they are armed. */
class FastClock extends ManualClock {
  override setTimeout(fn: () => void, ms: number) {
    const h = super.setTimeout(fn, ms);
    queueMicrotask(() => this.advance(ms));
    return h;
  }
}

describe('auth metrics', () => {
  it('counts logins by outcome and reads the caches and queues at scrape time, summed over services', async () => {
    const registry = new Registry();
    const clock = new FastClock(1_000);
    const users = new MemoryUserStore();
    const a = createAuthService({ clock, logger: nullLogger, users, registry });
    const b = createAuthService({ clock, logger: nullLogger, users, registry }); // a second controller in the process
    await a.admin.addUser({ name: 'root', password: 'root-pw', controllerAccess: 'superuser' });
    const at = { remoteAddress: '127.0.0.1', modelUUID: undefined };
    await a.login({ tag: 'user-root', password: 'root-pw', ...at });
    await b.login({ tag: 'user-root', password: 'root-pw', ...at });
    await expect(a.login({ tag: 'user-root', password: 'wrong', ...at })).rejects.toThrow('invalid entity name or password');
    expect(await registrySample(registry, 'modelwatch_api_auth_logins_total{outcome="ok"}')).toBe(2);
    expect(await registrySample(registry, 'modelwatch_api_auth_logins_total{outcome="bad"}')).toBe(1);
    expect(await registrySample(registry, 'modelwatch_api_auth_verifications_running')).toBe(0);

    const root = { kind: 'user', tag: 'user-root', name: 'root', displayName: '', controllerAccess: 'superuser' } as const;
    await a.modelAccess(root, '00000000-0000-4000-8000-000000000001');
    await b.modelAccess(root, '00000000-0000-4000-8000-000000000001');
    expect(await registrySample(registry, 'modelwatch_api_auth_cached_users')).toBe(2);
    const token = await a.issueToken(root);
    expect(await a.resolveToken(token)).toMatchObject({ name: 'root' });
    expect(await registrySample(registry, 'modelwatch_api_auth_cached_tokens')).toBe(1);
    expect(await registrySample(registry, 'modelwatch_api_auth_tracked_login_keys')).toBeGreaterThanOrEqual(1);

    // A closed service (its controller's auth stopped) leaves the sums; the counter keeps its count.
    b.close();
    b.close();
    expect(await registrySample(registry, 'modelwatch_api_auth_cached_users')).toBe(1);
    expect(await registrySample(registry, 'modelwatch_api_auth_logins_total{outcome="ok"}')).toBe(2);
  });

  it('refuses a registry that is not one', () => {
    expect(() => createAuthService({ clock: new ManualClock(0), logger: nullLogger, users: new MemoryUserStore(), registry: {} as unknown as Registry })).toThrow(NotValidError);
  });
});
