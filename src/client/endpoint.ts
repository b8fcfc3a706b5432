// Controller URLs: one base URL (`http(s)://` or `ws(s)://`) gives the WebSocket endpoints
// (`/api`, `/model/<uuid>/api`) and the REST base.
import { NotValidError } from '../core/index.js';

/** The derived URLs of a controller. */
export interface Endpoint {
  /** `ws://host:port` or `wss://host:port` (plus any path prefix). */
  ws: string;
  /** `http://host:port` or `https://host:port` (plus any path prefix). */
  http: string;
}

/**
 * Parses a controller URL. `http`→`ws`, `https`→`wss` and back; a trailing `/api` is dropped.
 * @throws NotValidError `controller URL "<url>" not valid: …`.
 */
export function parseEndpoint(url: string): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new NotValidError(`controller URL ${JSON.stringify(url)} not valid: use e.g. http://127.0.0.1:17070`);
  }
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  if (!secure && u.protocol !== 'http:' && u.protocol !== 'ws:') {
    throw new NotValidError(`controller URL ${JSON.stringify(url)} not valid: scheme must be http, https, ws or wss`);
  }
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return { ws: `${secure ? 'wss' : 'ws'}://${u.host}${path}`, http: `${secure ? 'https' : 'http'}://${u.host}${path}` };
}

/** The controller connection's URL. */
export function controllerApiUrl(e: Endpoint): string {
  return `${e.ws}/api`;
}

/** A model connection's URL. */
export function modelApiUrl(e: Endpoint, modelUUID: string): string {
  return `${e.ws}/model/${encodeURIComponent(modelUUID)}/api`;
}
