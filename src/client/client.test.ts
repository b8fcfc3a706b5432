// Client behaviour against a scripted in-memory controller (testdata/fake-controller.ts), with a
// ManualClock and seeded jitter: reconnect, resume, resync, auth failure and stop, without sockets.
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryLogger, flushMicrotasks, seededRandom } from '../core/index.js';
import type { Client, ClientEvent } from './client.js';
import { connect } from './client.js';
import { FakeController } from './testdata/fake-controller.js';

const M = '0b7e2c1a-4d5e-4f60-8a9b-1c2d3e4f5a6b';
const unit = (name: string, extra: Record<string, unknown> = {}) => ['unit', 'change', { 'model-uuid': M, name, ...extra }];

async function setup(ctl = new FakeController(), extra: { reconnectWithToken?: boolean } = {}) {
  const clock = new ManualClock(1_000);
  const events: ClientEvent[] = [];
  const logger = new MemoryLogger();
  const client = await connect('http://ctl.test:17070', {
    user: 'admin', password: 'pw', clock, random: seededRandom(7), logger, dial: ctl.dial, onEvent: (e) => events.push(e), ...extra,
  });
  return { ctl, clock, client, events, logger };
}

/** A model watcher past its first batch, with its second next() waiting in Next on the controller. */
async function blockedInNext(client: Client) {
  const w = client.watchModel(M);
  await w.next();
  const pending = w.next();
  await flushMicrotasks();
  return { w, pending };
}

/** Takes the controller down (it refuses redials), drops every socket, then lets `ms` pass. */
async function downFor(ctl: FakeController, clock: ManualClock, ms: number): Promise<void> {
  ctl.up = false;
  ctl.dropAll();
  await clock.advanceAsync(ms);
}

/** The back-off delays of the `retrying` events so far, oldest first. */
function retryDelays(events: readonly ClientEvent[]): number[] {
  return events.flatMap((e) => (e.type === 'retrying' ? [e.delayMs] : []));
}

function watchAllRequests(ctl: FakeController) {
  return ctl.requests.filter((r) => r.request === 'WatchAll').map((r) => r.params);
}

describe('client watchers', () => {
  it('delivers the full state first as a reset batch, then deltas with their revision', async () => {
    const { ctl, client } = await setup();
    ctl.commit(1, unit('a/0'));
    const w = client.watchModel(M);
    const first = await w.next();
    expect(first).toMatchObject({ revision: 1, reset: true });
    expect(first.deltas.map((d) => d.entity.id)).toEqual(['a/0']);
    const pending = w.next();
    ctl.commit(2, unit('a/1'));
    const second = await pending;
    expect(second).toMatchObject({ revision: 2, reset: false });
    expect(second.deltas.map((d) => d.entity.id)).toEqual(['a/1']);
    expect(w.revision()).toBe(2);
    client.close();
  });

  it('a controller restart loses and repeats nothing: the watcher resumes from its last revision', async () => {
    const { ctl, clock, client, events } = await setup();
    ctl.commit(1, unit('a/0'));
    const { pending } = await blockedInNext(client);
    await downFor(ctl, clock, 1_000); // redials fail while down, backing off
    ctl.commit(2, unit('a/1'));
    ctl.commit(3, unit('a/2'));
    ctl.up = true;
    await clock.advanceAsync(30_000);
    const batch = await pending;
    expect(batch.reset).toBe(false);
    expect(batch.deltas.map((d) => d.entity.id)).toEqual(['a/1', 'a/2']);
    expect(batch.revision).toBe(3);
    expect(watchAllRequests(ctl)).toEqual([{}, { 'since-revision': 1 }]);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['disconnected', 'retrying', 'connected', 'resumed']));
    client.close();
  });

  it('an empty resumed batch is not delivered: the consumer sees only new changes', async () => {
    const { ctl, clock, client } = await setup();
    ctl.commit(1, unit('a/0'));
    const { pending } = await blockedInNext(client);
    ctl.dropAll();
    await clock.advanceAsync(5_000);
    expect(watchAllRequests(ctl)).toHaveLength(2); // resumed, got [] at revision 1, polling again
    ctl.commit(2, unit('a/1'));
    const batch = await pending;
    expect(batch.deltas.map((d) => d.entity.id)).toEqual(['a/1']);
    client.close();
  });

  it('resume outside the retained window yields a reset batch with the full state', async () => {
    const { ctl, clock, client, events } = await setup();
    ctl.commit(1, unit('a/0'));
    const { pending } = await blockedInNext(client);
    ctl.dropAll();
    ctl.commit(2, unit('a/1'));
    ctl.oldestResumable = 2; // revision 1 compacted away
    await clock.advanceAsync(5_000);
    const batch = await pending;
    expect(batch.reset).toBe(true);
    expect(batch.deltas.map((d) => d.entity.id)).toEqual(['a/0', 'a/1']);
    expect(events.some((e) => e.type === 'resync-required')).toBe(true);
    client.close();
  });

  it('starts after --since without the full state', async () => {
    const { ctl, client } = await setup();
    ctl.commit(1, unit('a/0'));
    ctl.commit(2, unit('a/1'));
    const w = client.watchModel(M, { since: 1 });
    expect(w.revision()).toBe(1);
    const b = await w.next();
    expect(b).toMatchObject({ reset: false, revision: 2 });
    expect(b.deltas.map((d) => d.entity.id)).toEqual(['a/1']);
    client.close();
  });

  it('stop ends a for-await loop blocked in Next and stops the server watcher', async () => {
    const { ctl, client } = await setup();
    const w = client.watchModel(M);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const b of w) seen.push(b.deltas.length);
    })();
    await flushMicrotasks();
    await w.stop();
    await loop;
    expect(seen).toEqual([0]);
    expect(ctl.requests.some((r) => r.request === 'Stop')).toBe(true);
    await expect(w.next()).rejects.toMatchObject({ code: 'Stopped', message: 'watcher was stopped' });
    client.close();
  });

  it('await using disposes the watcher however the block ends', async () => {
    const { ctl, client } = await setup();
    ctl.commit(1, unit('a/0'));
    {
      await using w = client.watchModel(M);
      await w.next();
    }
    expect(ctl.requests.filter((r) => r.request === 'Stop')).toHaveLength(1);
    client.close();
  });

  it('redials back off exponentially while the controller is down', async () => {
    const { ctl, clock, client, events } = await setup();
    const { pending } = await blockedInNext(client);
    await downFor(ctl, clock, 20_000);
    const delays = retryDelays(events);
    expect(delays.length).toBeGreaterThanOrEqual(5);
    expect(delays.length).toBeLessThan(12); // not a busy loop
    expect(delays[3]!).toBeGreaterThan(delays[0]!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(10_000);
    ctl.up = true;
    await clock.advanceAsync(20_000);
    ctl.commit(5, unit('z/0'));
    expect((await pending).deltas.map((d) => d.entity.id)).toEqual(['z/0']);
    client.close();
  });
  it('a controller that accepts the login and drops the socket at once is redialed with back-off, not in a hot loop', async () => {
    const { ctl, clock, client, events } = await setup();
    ctl.maxDials = 50;
    ctl.dropAfterLogin = true; // e.g. the model was removed: Login succeeds, then the socket closes
    const w = client.watchModel(M);
    const first = w.next();
    await flushMicrotasks();
    expect(ctl.dials).toBeLessThanOrEqual(3); // no time has passed: at most one redial
    await clock.advanceAsync(20_000);
    const delays = retryDelays(events);
    expect(ctl.dials).toBeLessThan(15);
    expect(delays.length).toBeGreaterThanOrEqual(4);
    expect(delays[3]!).toBeGreaterThan(delays[0]!);
    ctl.dropAfterLogin = false;
    await clock.advanceAsync(20_000);
    expect(await first).toMatchObject({ reset: true });
    client.close();
  });

  it('a connection that stayed up for stableAfterMs resets the back-off: its drop is redialed at once', async () => {
    const { ctl, clock, client, events } = await setup();
    const { pending } = await blockedInNext(client);
    await downFor(ctl, clock, 20_000); // several failed redials: the back-off has grown
    ctl.up = true;
    await clock.advanceAsync(20_000); // reconnected within the 10 s ceiling, then up for stableAfterMs (10 s)
    const retriesBefore = retryDelays(events).length;
    const dialsBefore = ctl.dials;
    ctl.dropAll();
    await flushMicrotasks();
    expect(ctl.dials).toBe(dialsBefore + 1);
    expect(retryDelays(events)).toHaveLength(retriesBefore);
    ctl.commit(5, unit('z/0'));
    expect((await pending).deltas.map((d) => d.entity.id)).toEqual(['z/0']);
    client.close();
  });
});

describe('client auth and errors', () => {
  it('a wrong password fails connect with Unauthorized and the exact server text', async () => {
    const ctl = new FakeController();
    ctl.password = 'other';
    await expect(setup(ctl)).rejects.toMatchObject({ code: 'Unauthorized', message: 'invalid entity name or password' });
  });

  it('a controller that is down fails connect at once (no silent wait)', async () => {
    const ctl = new FakeController();
    ctl.up = false;
    await expect(setup(ctl)).rejects.toMatchObject({ code: 'TryAgain' });
  });

  it('a watcher whose redial is refused for bad credentials fails instead of retrying forever', async () => {
    const { ctl, clock, client } = await setup();
    const { pending } = await blockedInNext(client);
    ctl.password = 'changed';
    ctl.dropAll();
    const outcome = pending.then(() => 'delivered', (e: unknown) => e);
    await clock.advanceAsync(5_000);
    expect(await outcome).toMatchObject({ code: 'Unauthorized' });
    client.close();
  });

  it('rejects a model UUID that is not one before dialing', async () => {
    const { client } = await setup();
    expect(() => client.watchModel('nope')).toThrow(/not valid/);
    client.close();
  });
});

describe('client login failures on redial', () => {
  it('a model connection refused at login (unknown model) fails the watcher instead of retrying forever', async () => {
    const { ctl, clock, client } = await setup();
    ctl.password = 'nope'; // the model connection's Login is refused
    const outcome = client.watchModel(M).next().then(() => 'delivered', (e: unknown) => e);
    await clock.advanceAsync(60_000);
    expect(await outcome).toMatchObject({ code: 'Unauthorized' });
    expect(ctl.dials).toBe(2); // the controller connection, then one model dial: no retry loop
    client.close();
  });
});

describe('reconnecting with a token', () => {
  function tokenController(): FakeController {
    const ctl = new FakeController();
    ctl.issueTokens = true;
    return ctl;
  }

  it('a client reconnecting after a controller restart logs in with its token, not its password (no scrypt per client in a reconnect storm)', async () => {
    const { ctl, clock, client } = await setup(tokenController());
    ctl.commit(1, unit('a/0'));
    const { pending } = await blockedInNext(client);
    expect([ctl.passwordLogins, ctl.tokenLogins]).toEqual([2, 0]); // the controller session and the model session
    ctl.dropAll();
    ctl.commit(2, unit('a/1'));
    await clock.advanceAsync(1_000);
    expect((await pending).deltas.map((d) => d.entity.id)).toEqual(['a/1']);
    expect(ctl.passwordLogins).toBe(2);
    expect(ctl.tokenLogins).toBeGreaterThanOrEqual(1);
    const passwords = ctl.requests.filter((r) => r.request === 'Login' && (r.params as Record<string, unknown>).credentials === 'pw');
    expect(passwords.every((r) => (r.params as Record<string, unknown>)['issue-token'] === true)).toBe(true);
    client.close();
  });

  it('a refused token (expired, or revoked by a password change) falls back to the password at once, without a back-off', async () => {
    const { ctl, clock, client, events } = await setup(tokenController());
    ctl.commit(1, unit('a/0'));
    const { pending } = await blockedInNext(client);
    ctl.tokens.clear();
    ctl.dropAll();
    ctl.commit(2, unit('a/1'));
    await clock.advanceAsync(0);
    expect((await pending).deltas.map((d) => d.entity.id)).toEqual(['a/1']);
    expect(ctl.passwordLogins).toBe(3); // the model session again, with its password
    expect(retryDelays(events)).toEqual([]);
    client.close();
  });

  it('reconnectWithToken: false keeps the password; a server that issues no token (Juju) changes nothing', async () => {
    for (const [ctl, extra] of [[tokenController(), { reconnectWithToken: false }], [new FakeController(), {}]] as const) {
      const { clock, client } = await setup(ctl, extra);
      ctl.commit(1, unit('a/0'));
      const { pending } = await blockedInNext(client);
      ctl.dropAll();
      ctl.commit(2, unit('a/1'));
      await clock.advanceAsync(1_000);
      await pending;
      expect(ctl.tokenLogins).toBe(0);
      expect(ctl.tokens.size).toBe(0);
      client.close();
    }
  });

  it('refuses limits that would turn a back-off or the stable-connection guard into no wait', async () => {
    const dial = new FakeController().dial;
    const refused: Array<[unknown, string]> = [
      [{ stableAfterMs: -1 }, 'limits.stableAfterMs -1 not valid: must be a number of ms above 0'],
      [{ initialDelayMs: Number.NaN }, 'limits.initialDelayMs NaN not valid: must be a number of ms above 0'],
      [{ maxDelayMs: 0 }, 'limits.maxDelayMs 0 not valid: must be a number of ms above 0'],
      [{ dialTimeoutMs: '5s' }, 'limits.dialTimeoutMs 5s not valid: must be a number of ms above 0'],
      [{ factor: 0.5 }, 'limits.factor 0.5 not valid: must be a number of at least 1'],
      [7, 'limits not valid: must be an object'],
    ];
    for (const [limits, message] of refused) {
      await expect(connect('http://ctl.test:17070', { user: 'admin', password: 'pw', limits: limits as never, dial })).rejects.toThrow(
        expect.objectContaining({ code: 'NotValid', message }),
      );
    }
  });

  it('refuses a reconnectWithToken that is not a boolean', async () => {
    await expect(connect('http://ctl.test:17070', { user: 'admin', password: 'pw', reconnectWithToken: 'yes' as never, dial: new FakeController().dial }))
      .rejects.toThrow('reconnectWithToken not valid: must be a boolean');
  });
});
