// Named peers for the state benchmark, same workloads on other stores: etcd (Debian's etcd-server,
// started here on free ports with a temporary data dir) and NATS JetStream at 127.0.0.1:4222.
// A peer that is not available is skipped with a printed notice.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { connect } from 'nats';
import { freePort } from '../../testing/index.js';

export interface PeerResult {
  peer: string;
  workload: string;
  perSecond: number;
  unit: string;
  note?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function benchEtcd(seconds: number): Promise<PeerResult[]> {
  const bin = '/usr/bin/etcd';
  if (!existsSync(bin)) {
    console.log(`peer etcd: SKIPPED (${bin} not installed)`);
    return [];
  }
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'mw-etcd-'));
  const proc = spawn(bin, [
    '--name', 'bench', '--data-dir', dir,
    '--listen-client-urls', `http://127.0.0.1:${clientPort}`, '--advertise-client-urls', `http://127.0.0.1:${clientPort}`,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `bench=http://127.0.0.1:${peerPort}`, '--log-level', 'error',
  ], { stdio: 'ignore' });
  const client = new Etcd3({ hosts: `http://127.0.0.1:${clientPort}` });
  try {
    for (let i = 0; ; i++) {
      try {
        await client.put('mw/ping').value('1');
        break;
      } catch (err) {
        if (i > 100) throw err;
        await sleep(100);
      }
    }
    const results: PeerResult[] = [];
    // 100 puts per transaction, one transaction at a time (as the SQLite batched workload).
    let puts = 0;
    let end = performance.now() + seconds * 1000;
    for (let t = 0; performance.now() < end; t++) {
      const success = Array.from({ length: 100 }, (_, j) => ({
        request_put: { key: Buffer.from(`mw/machine/${(t * 100 + j) % 100_000}`), value: Buffer.from(JSON.stringify({ v: t, series: 'jammy' })) },
      }));
      await client.kv.txn({ success });
      puts += 100;
    }
    results.push({ peer: 'etcd', workload: '100 puts per txn, 1 client', perSecond: puts / seconds, unit: 'changes/s' });
    // Single-put transactions from 32 concurrent callers (as the PostgreSQL writers).
    let txns = 0;
    end = performance.now() + seconds * 1000;
    await Promise.all(Array.from({ length: 32 }, async (_, w) => {
      for (let n = 0; performance.now() < end; n++) {
        await client.put(`mw/w${w}/${n % 500}`).value(String(n));
        txns++;
      }
    }));
    results.push({ peer: 'etcd', workload: 'single put, 32 concurrent', perSecond: txns / seconds, unit: 'txn/s' });
    return results;
  } catch (err) {
    console.log(`peer etcd: SKIPPED (${err instanceof Error ? err.message : String(err)})`);
    return [];
  } finally {
    client.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchNats(seconds: number): Promise<PeerResult[]> {
  let nc;
  try {
    nc = await connect({ servers: '127.0.0.1:4222', timeout: 2_000 });
  } catch (err) {
    console.log(`peer NATS JetStream: SKIPPED (${err instanceof Error ? err.message : String(err)})`);
    return [];
  }
  const name = `MWBENCH_${process.pid}`;
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name, subjects: [`mwbench.${process.pid}.>`] });
    const js = nc.jetstream();
    const payload = Buffer.from(JSON.stringify({ kind: 'machine', id: '0', data: { series: 'jammy' } }));
    let acked = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(Array.from({ length: 32 }, async (_, w) => {
      while (performance.now() < end) {
        await js.publish(`mwbench.${process.pid}.w${w}`, payload);
        acked++;
      }
    }));
    await jsm.streams.delete(name);
    return [{ peer: 'NATS JetStream', workload: 'acked publish, 32 concurrent', perSecond: acked / seconds, unit: 'msg/s' }];
  } catch (err) {
    console.log(`peer NATS JetStream: SKIPPED (${err instanceof Error ? err.message : String(err)})`);
    return [];
  } finally {
    await nc.close();
  }
}
