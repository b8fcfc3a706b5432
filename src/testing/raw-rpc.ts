// A minimal raw RPC client for end-to-end tests of a real controller: one WebSocket, request ids,
// and answers matched to them (an error frame rejects with its error text).
import { WebSocket } from 'ws';

export class RawRpc {
  #next = 1;
  readonly #pending = new Map<number, (frame: Record<string, unknown>) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      this.#pending.get(frame['request-id'] as number)?.(frame);
    });
  }

  static async open(url: string): Promise<RawRpc> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new RawRpc(ws);
  }

  call(type: string, version: number, request: string, params: Record<string, unknown> = {}, id?: string): Promise<Record<string, unknown>> {
    const rid = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(rid, (f) => (f.error === undefined ? resolve(f.response as Record<string, unknown>) : reject(new Error(f.error as string))));
      this.ws.send(JSON.stringify({ 'request-id': rid, type, version, request, params, ...(id === undefined ? {} : { id }) }));
    });
  }

  /** Admin.Login v3 as `tag` (e.g. user-admin) with a password. */
  async login(tag: string, password: string): Promise<void> {
    await this.call('Admin', 3, 'Login', { 'auth-tag': tag, credentials: password });
  }

  close(): void {
    this.ws.close();
  }
}
