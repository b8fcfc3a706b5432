// The saved login of `modelwatch login`: the controller URL, the user and a bearer token, in
// `$MODELWATCH_HOME/credentials.json` or `~/.config/modelwatch/credentials.json`, mode 0600.
// Never a password.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ModelwatchError } from '../../core/index.js';
import { parseEndpoint } from '../../client/index.js';

/** One saved login. */
export interface SavedLogin {
  url: string;
  user: string;
  token: string;
}

// The URL is checked here, so a corrupt one is reported as the file's fault, not MODELWATCH_URL's.
const fileSchema = z.object({ url: z.string().refine(isControllerUrl), user: z.string().min(1), token: z.string().min(1) });

function isControllerUrl(url: string): boolean {
  try {
    parseEndpoint(url);
    return true;
  } catch {
    return false;
  }
}

/** Where the credentials file lives. */
export function credentialsPath(env: Readonly<Record<string, string | undefined>>): string {
  const home = env.MODELWATCH_HOME;
  if (home !== undefined && home !== '') return join(home, 'credentials.json');
  return join(env.HOME ?? homedir(), '.config', 'modelwatch', 'credentials.json');
}

/** The saved login, or undefined when there is none. @throws ModelwatchError NotValid for a corrupt file. */
export async function loadLogin(path: string): Promise<SavedLogin | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ModelwatchError('NotValid', `credentials file ${path} not valid: not JSON (run modelwatch login again)`);
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) throw new ModelwatchError('NotValid', `credentials file ${path} not valid (run modelwatch login again)`);
  return r.data;
}

/** Saves a login with mode 0600 (created so, and re-set in case the file already existed). */
export async function saveLogin(path: string, login: SavedLogin): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** Forgets the saved login. */
export async function removeLogin(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
