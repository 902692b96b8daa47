// Walks of a directory tree: what the health check, the status command and the image syncs
// count in the mirror and a directory source, and the files the integrity check hashes.
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

interface Found {
  abs: string;
  rel: string;
}

/**
 * Walks `dir` (nothing when it does not exist), many directories at a time (activities/pool.ts),
 * skipping excluded paths; each directory's regular files go to `onFiles`, awaited.
 */
async function walk(dir: string, excludes: string[], onFiles: (files: Found[]) => Promise<void> | void): Promise<void> {
  if (!(await exists(dir))) return;
  const directories = feedPool<Found>(STAT_PARALLELISM, async ({ abs, rel }) => {
    const files: Found[] = [];
    for (const entry of await readdir(abs, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (isExcluded(childRel, entry.isDirectory(), excludes)) continue;
      if (entry.isDirectory()) directories.add({ abs: join(abs, entry.name), rel: childRel });
      else if (entry.isFile()) files.push({ abs: join(abs, entry.name), rel: childRel });
    }
    await onFiles(files);
  });
  directories.add({ abs: dir, rel: '' });
  await directories.drained();
}

/** Each regular file under `dir` stat'ed, many at a time, its size handed to `onSize`. */
function statEach(dir: string, excludes: string[], onSize: (rel: string, size: number) => void): Promise<void> {
  return walk(dir, excludes, (files) =>
    inPool(files, STAT_PARALLELISM, async ({ abs, rel }) => {
      onSize(rel, (await stat(abs)).size);
    }),
  );
}

/**
 * Files and bytes under a directory (0 when it does not exist), skipping excluded paths, many
 * files stat'ed at a time: one at a time took 0.3 s for a mirror of 4000 files in as many
 * directories, on every bucket image run.
 */
export async function tally(dir: string, excludes: string[], progress = { files: 0 }): Promise<{ files: number; bytes: number }> {
  const total = { files: 0, bytes: 0 };
  await statEach(dir, excludes, (_rel, size) => {
    total.files += 1;
    total.bytes += size;
    progress.files += 1;
  });
  return total;
}

/** Each regular file's size under `dir`, by relative path (empty when it does not exist): one walk for a count and per-file checks. */
export async function fileSizes(dir: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  await statEach(dir, [], (rel, size) => void sizes.set(rel, size));
  return sizes;
}

/** Files and bytes of a walk's sizes. */
export function totalOf(sizes: Map<string, number>): { files: number; bytes: number } {
  let bytes = 0;
  for (const size of sizes.values()) bytes += size;
  return { files: sizes.size, bytes };
}

/**
 * The regular files under `dir`, as sorted relative paths ([] when it does not exist). Node's
 * recursive readdir reads one directory after another: 0.18 s of an integrity check that took
 * 1.3 s over a mirror of 4000 files in as many directories.
 */
export async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  await walk(dir, [], (files) => void found.push(...files.map((f) => f.rel)));
  return found.sort();
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
