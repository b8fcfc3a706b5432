// Where and as whom a command talks to the controller: MODELWATCH_URL (default
// http://127.0.0.1:17070), MODELWATCH_USER/MODELWATCH_PASSWORD, else the saved login; and the model
// a `--model` names (a name or a UUID; default the model named `default`).
import { isModelUUID } from '../../core/index.js';
import type { Logger } from '../../core/index.js';
import { ClientError, RestClient, connect, parseEndpoint } from '../../client/index.js';
import type { Client, ClientEvent, Credentials } from '../../client/index.js';
import type { CliIo } from './cli-io.js';
import { credentialsPath, loadLogin } from './credentials-file.js';

export const DEFAULT_URL = 'http://127.0.0.1:17070';
export const DEFAULT_MODEL = 'default';

/** The controller URL from the environment. @throws NotValidError for a bad URL (exit 2). */
export function controllerUrl(io: CliIo): string {
  const url = io.env.MODELWATCH_URL;
  const chosen = url !== undefined && url !== '' ? url : DEFAULT_URL;
  parseEndpoint(chosen);
  return chosen;
}

/**
 * The credentials to use: the environment's user and password, else the saved login for this URL.
 * @throws ClientError Unauthorized `not logged in: …` when there are none.
 */
export async function resolveCredentials(io: CliIo, url: string): Promise<Credentials> {
  const user = io.env.MODELWATCH_USER;
  const password = io.env.MODELWATCH_PASSWORD;
  if (user !== undefined && user !== '' && password !== undefined && password !== '') return { user, password };
  const saved = await loadLogin(credentialsPath(io.env));
  if (saved !== undefined && sameController(saved.url, url)) return { user: saved.user, token: saved.token };
  throw new ClientError('Unauthorized', `not logged in to ${url}: set MODELWATCH_USER and MODELWATCH_PASSWORD, or run modelwatch login`);
}

function sameController(a: string, b: string): boolean {
  const ea = parseEndpoint(a);
  const eb = parseEndpoint(b);
  return ea.http === eb.http;
}

/** A REST client for the configured controller. */
export async function restClient(io: CliIo): Promise<RestClient> {
  const url = controllerUrl(io);
  return new RestClient({ baseUrl: parseEndpoint(url).http, credentials: await resolveCredentials(io, url), ca: caOf(io) });
}

/**
 * An RPC client for the configured controller; `onEvent` sees reconnects. Only a long-running
 * command (`watch`, `status --watch`) asks for a reconnect token: a one-shot command would leave an
 * unused token in the controller's database on every run.
 */
export async function rpcClient(io: CliIo, logger: Logger, onEvent?: (e: ClientEvent) => void, opts: { longRunning?: boolean } = {}): Promise<Client> {
  const url = controllerUrl(io);
  const credentials = await resolveCredentials(io, url);
  const ca = caOf(io);
  return connect(url, {
    ...credentials, clock: io.clock, logger, reconnectWithToken: opts.longRunning === true,
    ...(ca !== undefined ? { ca } : {}), ...(onEvent !== undefined ? { onEvent } : {}),
  });
}

/** MODELWATCH_CA: a PEM CA certificate (the text itself) for a wss:// controller with its own CA. */
function caOf(io: CliIo): string | undefined {
  const ca = io.env.MODELWATCH_CA;
  return ca !== undefined && ca !== '' ? ca : undefined;
}

/**
 * The UUID of the model `nameOrUUID` names (default `default`).
 * @throws ClientError NotFound `model "<name>" not found`.
 */
export async function resolveModel(rest: RestClient, nameOrUUID: string | undefined): Promise<{ uuid: string; name: string }> {
  const wanted = nameOrUUID ?? DEFAULT_MODEL;
  const models = await rest.listModels();
  const found = models.find((m) => (isModelUUID(wanted) ? m.uuid === wanted : m.name === wanted));
  if (found !== undefined) return { uuid: found.uuid, name: found.name };
  if (isModelUUID(wanted)) return { uuid: wanted, name: wanted };
  throw new ClientError('NotFound', `model ${JSON.stringify(wanted)} not found (see modelwatch models ls)`);
}
