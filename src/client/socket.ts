// The one place the client touches a WebSocket: the platform's (browsers, Node ≥ 22) when there is
// one and no custom CA is asked for, else the `ws` package (Node 20, or a `ca` for wss://).
import { ConnectionLostError } from './client-error.js';

/** An open socket carrying text frames. */
export interface RpcSocket {
  send(text: string): void;
  /** Closes the socket; the close listener still runs once. */
  close(): void;
}

/** What a socket reports after it opened. */
export interface SocketListeners {
  message(text: string): void;
  /** Runs once, when the socket closed for any reason. */
  close(detail: string): void;
}

/** Options of a dial. */
export interface DialOptions {
  /** PEM CA certificate(s) trusted for wss:// (Node only; uses `ws`). */
  ca?: string | Uint8Array | undefined;
  /** Aborting closes a socket still opening, rejecting the dial. */
  signal?: AbortSignal | undefined;
}

/** Opens a socket; resolves once it is open. @throws ConnectionLostError when it cannot open. */
export type SocketDialer = (url: string, listeners: SocketListeners, opts: DialOptions) => Promise<RpcSocket>;

/** The subset of the WebSocket API both the platform and `ws` provide. */
interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: { message?: string; error?: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

type WebSocketCtor = new (url: string, opts?: Record<string, unknown>) => WebSocketLike;

async function socketClass(ca: DialOptions['ca']): Promise<{ ctor: WebSocketCtor; nodeOptions: boolean }> {
  const platform = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof platform === 'function' && ca === undefined) return { ctor: platform as WebSocketCtor, nodeOptions: false };
  const mod = await import('ws');
  return { ctor: mod.WebSocket as unknown as WebSocketCtor, nodeOptions: true };
}

/** The default dialer: see the file comment. Binary frames are ignored (the protocol is text only). */
export const dialWebSocket: SocketDialer = async (url, listeners, opts) => {
  const { ctor, nodeOptions } = await socketClass(opts.ca);
  if (opts.signal?.aborted === true) throw new ConnectionLostError(`cannot connect to ${url}: aborted`);
  // Node: no per-message compression (deltas are small and the CPU goes to the controller), CA if given.
  const ws = nodeOptions ? new ctor(url, { perMessageDeflate: false, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) }) : new ctor(url);
  return new Promise<RpcSocket>((resolve, reject) => {
    let open = false;
    let lastError = '';
    const onAbort = (): void => {
      ws.close();
      if (!open) reject(new ConnectionLostError(`cannot connect to ${url}: timed out`));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    ws.onerror = (ev) => {
      lastError = ev.message ?? (ev.error instanceof Error ? ev.error.message : '');
    };
    ws.onopen = () => {
      open = true;
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ send: (text) => ws.send(text), close: () => ws.close(1000) });
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') listeners.message(ev.data);
    };
    ws.onclose = (ev) => {
      opts.signal?.removeEventListener('abort', onAbort);
      const detail = lastError !== '' ? lastError : `code ${ev.code ?? 0}${ev.reason ? ` ${ev.reason}` : ''}`;
      if (!open) reject(new ConnectionLostError(`cannot connect to ${url}: ${detail}`));
      else listeners.close(detail);
    };
  });
};
