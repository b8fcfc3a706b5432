// A raw Server-Sent Events client over node:http, as curl would see the stream: it keeps comments
// (heartbeats) and named events, and can stop reading to exercise the server's backpressure.
import { request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { deferred } from '../../../core/index.js';

/** One parsed block of the stream. */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

export class SseClient {
  readonly res: IncomingMessage;
  readonly req: ClientRequest;
  readonly events: SseEvent[] = [];
  ended = false;
  readonly #end = deferred<void>();
  #buffer = '';
  #waiter: (() => void) | undefined;
  #read = 0;

  private constructor(req: ClientRequest, res: IncomingMessage) {
    this.req = req;
    this.res = res;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let i;
      while ((i = this.#buffer.indexOf('\n\n')) >= 0) {
        this.events.push(parseBlock(this.#buffer.slice(0, i)));
        this.#buffer = this.#buffer.slice(i + 2);
      }
      this.#wake();
    });
    res.on('end', () => {
      this.ended = true;
      this.#end.resolve();
      this.#wake();
    });
    res.on('error', () => undefined);
  }

  /** Opens the stream; resolves once the response head arrived (any status). */
  static open(port: number, path: string, headers: Record<string, string>): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (res) => resolve(new SseClient(req, res)));
      req.on('error', reject);
      req.end();
    });
  }

  /** The next unread event (comments and `retry:` blocks included), waiting up to `timeoutMs` of real time. */
  async next(timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.#read >= this.events.length) {
      if (this.ended) throw new Error('stream ended');
      if (Date.now() > deadline) throw new Error('no event within the timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.#waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.events[this.#read++] as SseEvent;
  }

  /** The next data event, parsed (skipping comments and retry blocks). */
  async nextData(timeoutMs?: number): Promise<{ id: string | undefined; event: string | undefined; data: Record<string, unknown> }> {
    for (;;) {
      const e = await this.next(timeoutMs);
      if (e.data !== undefined) return { id: e.id, event: e.event, data: JSON.parse(e.data) as Record<string, unknown> };
    }
  }

  /** Settles when the server has ended the response. */
  whenEnded(): Promise<void> {
    return this.#end.promise;
  }

  close(): void {
    this.req.destroy();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}

function parseBlock(block: string): SseEvent {
  const e: SseEvent = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) e.comment = line.slice(1).trim();
    else {
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'id' || field === 'event' || field === 'data' || field === 'retry') e[field] = value;
    }
  }
  return e;
}
