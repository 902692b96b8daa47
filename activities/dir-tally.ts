// Walks of a directory tree: what the health check, the status command and the image syncs
// count in the mirror and a directory source.
import { opendir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../repository/fs-durable.js';
import { feedPool, inPool, STAT_PARALLELISM } from './pool.js';

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

/**
 * Files and bytes under a directory (0 when it does not exist), skipping excluded paths. Many
 * directories are read, and many files stat'ed, at a time (activities/pool.ts): one at a time took
 * 0.3 s for a mirror of 4000 files in as many directories, on every bucket image run.
 */
export async function tally(dir: string, excludes: string[], progress = { files: 0 }): Promise<{ files: number; bytes: number }> {
  const total = { files: 0, bytes: 0 };
  if (!(await exists(dir))) return total;
  const directories = feedPool<{ abs: string; rel: string }>(STAT_PARALLELISM, async ({ abs, rel }) => {
    const files: string[] = [];
    for (const entry of await readdir(abs, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (isExcluded(childRel, entry.isDirectory(), excludes)) continue;
      if (entry.isDirectory()) directories.add({ abs: join(abs, entry.name), rel: childRel });
      else if (entry.isFile()) files.push(join(abs, entry.name));
    }
    await inPool(files, STAT_PARALLELISM, async (file) => {
      const { size } = await stat(file);
      total.files += 1;
      total.bytes += size;
      progress.files += 1;
    });
  });
  directories.add({ abs: dir, rel: '' });
  await directories.drained();
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
