// Keepalive timing with a ManualClock, and the path → connection target rule.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.js';
import { connectionTarget } from './connection.js';
import { Keepalive } from './keepalive.js';

describe('Keepalive', () => {
  it('declares the peer dead after two missed pongs, and never while it answers', () => {
    const clock = new ManualClock(0);
    let pings = 0;
    let dead = 0;
    const k = new Keepalive({ clock, intervalMs: 1000, ping: () => pings++, onDead: () => dead++ });
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      k.heard(); // a pong after every ping
    }
    expect([pings, dead]).toEqual([10, 0]);
    clock.advance(1000); // ping, missed 1
    clock.advance(1000); // ping, missed 2
    expect(dead).toBe(0);
    clock.advance(1000);
    expect([pings, dead]).toEqual([12, 1]);
    clock.advance(5000);
    expect(dead).toBe(1); // no timer after death
    k.stop();
  });

  it('stop cancels the timer', () => {
    const clock = new ManualClock(0);
    let pings = 0;
    new Keepalive({ clock, intervalMs: 10, ping: () => pings++, onDead: () => undefined }).stop();
    clock.advance(100);
    expect(pings).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('connectionTarget', () => {
  it('parses model and controller paths, keeping a malformed uuid verbatim for Login to refuse', () => {
    expect(connectionTarget('/api')).toEqual({ kind: 'controller', modelUUID: undefined });
    expect(connectionTarget('/model/abc/api?x=1')).toEqual({ kind: 'model', modelUUID: 'abc' });
    expect(connectionTarget('/model//api')).toEqual({ kind: 'model', modelUUID: '' });
    expect(connectionTarget('/model/%E0%A4%A/api')).toEqual({ kind: 'model', modelUUID: '%E0%A4%A' });
  });
});
