// Walks of a directory tree: what the health check, the status command and the image syncs
// count in the mirror and a directory source.
import { opendir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../repository/fs-durable.js';

/** rsync-style excludes, the subset the config documents: `/dir/` (top level), `dir/`, `*.ext`, `name`. */
export function isExcluded(rel: string, isDir: boolean, patterns: string[]): boolean {
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  return patterns.some((p) => {
    if (p.endsWith('/')) {
      if (!isDir) return false;
      return p.startsWith('/') ? `/${rel}/` === p : name === p.slice(0, -1);
    }
    if (p.startsWith('*')) return name.endsWith(p.slice(1));
    return p.startsWith('/') ? `/${rel}` === p : name === p;
  });
}

/** Files and bytes under a directory (0 when it does not exist), skipping excluded paths. */
export async function tally(dir: string, excludes: string[], progress = { files: 0 }): Promise<{ files: number; bytes: number }> {
  const total = { files: 0, bytes: 0 };
  async function walk(abs: string, rel: string): Promise<void> {
    for (const entry of await readdir(abs, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (isExcluded(childRel, entry.isDirectory(), excludes)) continue;
      if (entry.isDirectory()) await walk(join(abs, entry.name), childRel);
      else if (entry.isFile()) {
        total.files += 1;
        total.bytes += (await stat(join(abs, entry.name))).size;
        progress.files += 1;
      }
    }
  }
  if (await exists(dir)) await walk(dir, '');
  return total;
}

/** True as soon as one regular file is found under `dir` (false when it does not exist). */
export async function hasAnyFile(dir: string): Promise<boolean> {
  const handle = await opendir(dir).catch(() => undefined);
  if (!handle) return false;
  for await (const entry of handle) {
    if (entry.isFile()) return true;
    if (entry.isDirectory() && (await hasAnyFile(join(dir, entry.name)))) return true;
  }
  return false;
}
