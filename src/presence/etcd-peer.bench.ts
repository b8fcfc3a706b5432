// The etcd lease peer of the presence benchmark: one lease per agent with a key attached and the
// client's automatic keepalive (TTL/3), against Debian's etcd-server on free 127.0.0.1 ports.
// Measures grant throughput, steady-state CPU of client and server, server memory, and detection
// of a revoke (clean disconnect) and of a silent stop (keepalive released: the lease expires).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Etcd3 } from 'etcd3';
import type { Lease } from 'etcd3';

export interface EtcdPeerResult {
  version: string;
  leases: number;
  'ttl-s': number;
  'grants-per-s': number;
  'raft-writes-at-start': number;
  'steady-write-txn-per-s': number;
  'keepalives-per-s': number;
  'client-cpu-share': number;
  'server-cpu-share': number;
  'server-rss-mb': number;
  'revoke-latency-ms': { p50: number; p99: number; max: number };
  'expiry-latency-ttls': { p50: number; p99: number; max: number; 'detect-ttl-s': number };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process, in ms (from /proc; Linux only). */
function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ = 100
}

function procRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

function pct(values: number[]): { p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number): number => Math.round((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN) * 1000) / 1000;
  return { p50: at(50), p99: at(99), max: Math.round((s.at(-1) ?? NaN) * 1000) / 1000 };
}

export async function etcdPeer(opts: { dir: string; leases: number; ttlS: number; measureMs: number; quick: boolean }): Promise<EtcdPeerResult> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = spawn('/usr/bin/etcd', [
    '--name', 'bench', '--data-dir', opts.dir, '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `bench=${peer}`,
    '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const pid = proc.pid ?? 0;
  // Health over plain HTTP first: failed client calls during start-up would open the etcd3
  // client's circuit breaker and fail the calls that follow.
  for (let i = 0; ; i++) {
    const ok = await fetch(`${client}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 100) {
      proc.kill('SIGTERM');
      throw new Error(`etcd did not start: ${stderr}`);
    }
    await sleep(100);
  }
  const etcd = new Etcd3({ hosts: client });
  let phase = 'status';
  try {
    const version = (await etcd.maintenance.status()).version;

    // Grant a lease per agent and attach its key: two Raft writes each.
    phase = 'grant';
    const leases: Lease[] = [];
    const g0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      for (let i = next++; i < opts.leases; i = next++) {
        const lease = etcd.lease(opts.ttlS);
        lease.on('lost', () => undefined);
        await lease.put(`agents/${i}`).value('alive');
        leases[i] = lease;
      }
    }));
    const grantMs = performance.now() - g0;
    await sleep(2_000);

    phase = 'steady state';
    // Steady state: keepalives only (handled by the leader, not written through Raft).
    const rev0 = Number((await etcd.maintenance.status()).header?.revision ?? 0);
    const fired = { n: 0 };
    for (const l of leases) l.on('keepaliveSucceeded', () => fired.n++);
    const cpuC0 = process.cpuUsage();
    const cpuS0 = procCpuMs(pid);
    const t0 = performance.now();
    await sleep(opts.measureMs);
    const wallMs = performance.now() - t0;
    const cpuC = process.cpuUsage(cpuC0);
    const cpuS = procCpuMs(pid) - cpuS0;
    const rev1 = Number((await etcd.maintenance.status()).header?.revision ?? 0);
    const rss = procRssMb(pid);

    phase = 'detection';
    // Detection: watch the prefix; revoke a sample (clean), release another with a short TTL (silent).
    const deleted = new Map<string, number>();
    const watcher = await etcd.watch().prefix('agents/').create();
    watcher.on('delete', (kv) => deleted.set(kv.key.toString(), performance.now()));
    const sample = opts.quick ? 20 : 100;
    const revokeAt = new Map<string, number>();
    for (let i = 0; i < sample; i++) {
      revokeAt.set(`agents/${i}`, performance.now());
      await leases[i]?.revoke();
    }
    const detectTtlS = 5;
    const shortLeases: Lease[] = [];
    for (let i = 0; i < sample; i++) {
      const lease = etcd.lease(detectTtlS);
      lease.on('lost', () => undefined);
      await lease.put(`agents/short-${i}`).value('alive');
      shortLeases.push(lease);
    }
    await sleep(2_000);
    const releaseAt = new Map<string, number>();
    for (let i = 0; i < sample; i++) {
      releaseAt.set(`agents/short-${i}`, performance.now());
      shortLeases[i]?.release();
    }
    await sleep(detectTtlS * 1000 * 2 + 2_000);
    await watcher.cancel();
    const revokeMs = [...revokeAt].map(([k, t]) => (deleted.get(k) ?? NaN) - t).filter(Number.isFinite);
    const expiryTtls = [...releaseAt].map(([k, t]) => ((deleted.get(k) ?? NaN) - t) / (detectTtlS * 1000)).filter(Number.isFinite);
    for (const l of leases.slice(sample)) l.release();
    return {
      version, leases: opts.leases, 'ttl-s': opts.ttlS,
      'grants-per-s': Math.round(opts.leases / (grantMs / 1000)),
      'raft-writes-at-start': opts.leases * 2,
      'steady-write-txn-per-s': Math.round(((rev1 - rev0) / (wallMs / 1000)) * 1000) / 1000,
      'keepalives-per-s': Math.round(fired.n / (wallMs / 1000)),
      'client-cpu-share': Math.round(((cpuC.user + cpuC.system) / 1000 / wallMs) * 1e4) / 1e4,
      'server-cpu-share': Math.round((cpuS / wallMs) * 1e4) / 1e4,
      'server-rss-mb': rss,
      'revoke-latency-ms': pct(revokeMs),
      'expiry-latency-ttls': { ...pct(expiryTtls), 'detect-ttl-s': detectTtlS },
    };
  } catch (err) {
    throw new Error(`etcd peer failed in ${phase}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    etcd.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}
