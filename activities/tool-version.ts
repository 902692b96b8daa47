// The versions a backup plan records of the tools its run drives, asked once per installed binary
// for the worker's life: asking starts the tool (rsync about 10 ms, rclone about 35 ms), on every
// image increment. An answer is kept with the binary's identity (device, inode, size, change
// time), so a tool upgraded or replaced in place, or found elsewhere on PATH, is asked again.
import { stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Where the tool named `file` would be run from: itself when it is a path, else the first executable on PATH. */
async function located(file: string): Promise<string | undefined> {
  if (file.includes('/')) return file;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, file);
    const found = await stat(path).catch(() => undefined);
    if (found?.isFile() && found.mode & 0o111) return path;
  }
  return undefined;
}

async function identityOf(file: string): Promise<{ path: string; identity: string } | undefined> {
  const path = await located(file);
  const found = path ? await stat(path).catch(() => undefined) : undefined;
  return found ? { path: path!, identity: `${found.dev}:${found.ino}:${found.size}:${found.ctimeMs}` } : undefined;
}

/**
 * `ask` (which runs the tool) behind a cache keyed by the binary's identity. A tool that cannot be
 * located is asked every time, so that asking reports why it is missing.
 */
export function cachedToolVersions(ask: (file: string, args: string[]) => Promise<string>): (file: string, args: string[]) => Promise<string> {
  const known = new Map<string, { identity: string; version: string }>();
  return async (file, args) => {
    const before = await identityOf(file);
    if (!before) return ask(file, args);
    const key = `${before.path}\0${args.join('\0')}`;
    const hit = known.get(key);
    if (hit?.identity === before.identity) return hit.version;
    const version = await ask(file, args);
    // Replaced while it was asked: which binary answered is unknown, so nothing is kept.
    if ((await identityOf(file))?.identity === before.identity) known.set(key, { identity: before.identity, version });
    return version;
  };
}
