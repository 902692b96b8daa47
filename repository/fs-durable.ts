// Durable file primitives every artifact and record of the repository goes through: write under a
// temporary name, fsync the file, rename into place, fsync the directory. A crash at any point
// leaves either the old state or the new one, never a half-written file under its final name.
import { constants } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Creates a directory (and parents) with mode 0700. */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
}

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A sibling temporary name that a crash leaves recognisable (`.partial`) and never final. */
export function temporaryNameFor(finalPath: string): string {
  return join(dirname(finalPath), `.${randomBytes(4).toString('hex')}.partial`);
}

/** Sets mode 0600, fsyncs `from`, renames it to `to` and fsyncs the target directory. */
export async function commitFile(from: string, to: string): Promise<void> {
  await chmod(from, FILE_MODE); // tools (gpg, cp) create files with their own modes
  await fsyncPath(from);
  await ensureDir(dirname(to));
  await rename(from, to);
  await fsyncPath(dirname(to));
}

/** Writes a whole file atomically with mode 0600. */
export async function writeFileDurable(path: string, data: string | Uint8Array): Promise<void> {
  await ensureDir(dirname(path));
  const tmp = temporaryNameFor(path);
  const handle = await open(tmp, 'w', FILE_MODE);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
  await commitFile(tmp, path);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}
