// Gathers the facts the health check decides on: good dumps from the catalog (only those whose
// artifacts are in place, with the damaged, future-dated and invalid manifests listed apart), the
// run journal, free space on the backup volume, and file counts and bytes of the image mirror and
// its source. Used by the healthCheck workflow and directly by the CLI.
import { opendir, readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { HealthFacts } from '../core/health.js';
import { layout } from '../core/repository-layout.js';
import { readTrustedCatalog } from './catalog.js';
import type { ActivityDeps } from './deps.js';
import { exists } from './fs-durable.js';
import { withHeartbeat } from './heartbeat.js';
import { readRunJournal } from './run-journal.js';

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

export async function gatherHealthFacts(config: Config, now = new Date()): Promise<HealthFacts> {
  const root = config.repository.root;
  const catalog = await readTrustedCatalog(root, now);
  const fs = await statfs(root).catch(() => undefined);
  const progress = { files: 0 };
  const storage = config.source.storage;
  // A bucket is not counted here: that takes its keys and a listing through the S3 API, and the
  // CLI runs this without a worker. Without a source count the mirror comparison is left out.
  const [mirror, source] = await withHeartbeat(
    () => progress,
    () =>
      Promise.all([
        tally(join(root, layout.imagesCurrent), [], progress),
        'root' in storage ? tally(storage.root, storage.excludes, progress) : undefined,
      ]),
  );
  return {
    now: now.toISOString(),
    dumps: catalog.manifests
      .filter((m) => m.database)
      .map((m) => ({ backupId: m.backupId, finishedAt: m.finishedAt, bytes: m.database!.artifact.bytes })),
    damaged: catalog.damaged,
    futureDated: catalog.futureDated,
    invalidManifests: catalog.invalid.map((i) => `${i.file}: ${i.reason}`),
    runs: await readRunJournal(root),
    freeBytes: fs ? fs.bavail * fs.bsize : 0,
    ...(catalog.manifests.some((m) => m.images) && source ? { mirror, source } : {}),
  };
}

export function createHealthActivities(deps: ActivityDeps) {
  return {
    async gatherHealth(): Promise<{ facts: HealthFacts; thresholds: Config['health']; source: string }> {
      return { facts: await gatherHealthFacts(deps.config), thresholds: deps.config.health, source: deps.config.source.name };
    },
  };
}
