// Serves the built dashboard: files under one directory only, never outside it.
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Serves `path` from `root` (index.html for `/`); resolves false when there is no such file. */
export async function serveStatic(root: string, path: string, res: ServerResponse): Promise<boolean> {
  const base = resolve(root);
  let rel: string;
  try {
    rel = path === '/' ? 'index.html' : decodeURIComponent(path).replace(/^\/+/, '');
  } catch {
    return false; // a malformed %-escape names no file
  }
  const file = resolve(join(base, normalize(rel)));
  if (file !== base && !file.startsWith(base + sep)) return false; // traversal attempt
  try {
    const st = await stat(file);
    if (!st.isFile()) return false;
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(body);
    return true;
  } catch {
    return false;
  }
}
