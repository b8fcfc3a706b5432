import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.js';
import { LoginLimiter } from './login-limiter.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';
import { agentTag, parseAuthTag, presenceKeyOf } from './tags.js';

describe('passwords', () => {
  it('verifies the right password only, with a fresh salt per hash', async () => {
    const h1 = await hashPassword('s3cret');
    const h2 = await hashPassword('s3cret');
    expect(h1).not.toBe(h2);
    expect(h1).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('s3cret', h1)).toBe(true);
    expect(await verifyPassword('s3cret!', h1)).toBe(false);
    expect(await verifyPassword('s3cret', 'garbage')).toBe(false);
    expect(generatePassword()).toHaveLength(24);
  });
});

describe('tags', () => {
  it('parses users, machines (with containers) and units', () => {
    expect(parseAuthTag('user-admin')).toEqual({ kind: 'user', name: 'admin' });
    expect(parseAuthTag('machine-0')).toEqual({ kind: 'machine', id: '0' });
    expect(parseAuthTag('machine-0-lxd-1')).toEqual({ kind: 'machine', id: '0/lxd/1' });
    expect(parseAuthTag('unit-my-app-12')).toEqual({ kind: 'unit', name: 'my-app/12' });
    for (const bad of ['', 'user-', 'machine-x', 'unit-app', 'model-abc', 'unit--1']) expect(parseAuthTag(bad)).toBeUndefined();
  });

  it('round-trips agent tags and gives presence keys', () => {
    expect(agentTag('unit', 'my-app/12')).toBe('unit-my-app-12');
    expect(agentTag('machine', '0/lxd/1')).toBe('machine-0-lxd-1');
    expect(presenceKeyOf({ kind: 'unit', name: 'mysql/0' })).toBe('u#mysql/0');
    expect(presenceKeyOf({ kind: 'machine', id: '3' })).toBe('m#3');
    expect(presenceKeyOf({ kind: 'user', name: 'bob' })).toBeUndefined();
  });
});

describe('LoginLimiter', () => {
  it('locks a key after 5 failures within the window, for the lockout period', () => {
    const clock = new ManualClock(0);
    const l = new LoginLimiter(clock);
    for (let i = 0; i < 4; i++) l.fail(['addr:1.2.3.4']);
    expect(l.isLocked(['addr:1.2.3.4'])).toBe(false);
    l.fail(['addr:1.2.3.4']);
    expect(l.isLocked(['addr:1.2.3.4', 'tag:user-x'])).toBe(true);
    clock.advance(59_999);
    expect(l.isLocked(['addr:1.2.3.4'])).toBe(true);
    clock.advance(1);
    expect(l.isLocked(['addr:1.2.3.4'])).toBe(false);
  });

  it('failures older than the window do not count; success resets a tag', () => {
    const clock = new ManualClock(0);
    const l = new LoginLimiter(clock);
    for (let i = 0; i < 4; i++) l.fail(['tag:user-a']);
    clock.advance(61_000);
    l.fail(['tag:user-a']);
    expect(l.isLocked(['tag:user-a'])).toBe(false);
    for (let i = 0; i < 3; i++) l.fail(['tag:user-a']);
    l.succeed('tag:user-a');
    l.fail(['tag:user-a']);
    expect(l.isLocked(['tag:user-a'])).toBe(false);
  });

  it('bounds the keys it tracks (address spray cannot grow memory)', () => {
    const l = new LoginLimiter(new ManualClock(), { maxTrackedKeys: 10 });
    for (let i = 0; i < 100; i++) l.fail([`addr:${i}`]);
    expect(l.size()).toBe(10);
  });
});
