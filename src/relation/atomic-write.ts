// Crash-safe file replacement (spec §8.3): a reader sees the previous or the new content, never a
// torn file, and a completed write survives power loss (file and directory are fsynced).
import { randomBytes } from 'node:crypto';
import { open, rename, rm, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TEMP_SUFFIX } from './unit-file.js';

const FILE_MODE = 0o644;

function errnoOf(err: unknown): string | undefined {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
}

/**
 * Flushes a directory's entries (a rename or unlink inside it) to disk. Platforms that refuse to
 * open or fsync a directory (EISDIR, EINVAL, EPERM, EBADF, ENOTSUP) are tolerated.
 */
async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'ENOTSUP'].includes(errnoOf(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `path` with `content`:
 * 1. create `<path>.<random hex>.preparing` beside it (write-only, create, truncate, mode 0644);
 * 2. write the whole content, fsync, close;
 * 3. rename it over `path`;
 * 4. fsync the directory;
 * 5. on failure before the rename, delete the temp file (best effort) and rethrow.
 * Differs from Juju: utils.WriteYaml reused one fixed temp name, never truncated it and never
 * synced the directory.
 */
export async function atomicWriteFile(path: string, content: string): Promise<void> {
  const temp = `${path}.${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'w', FILE_MODE);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    const closing = handle;
    handle = undefined;
    await closing.close();
    await rename(temp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** Deletes `path` (missing is fine) and fsyncs its directory, so the removal is durable. */
export async function removeFileDurably(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
  await fsyncDir(dirname(path));
}

/** The errno code of a Node fs error (`ENOENT`), if any. */
export { errnoOf };
