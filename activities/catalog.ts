// Reads and writes the repository's catalog: one manifest per good backup. A manifest that does
// not parse, or has an unknown format version, is never treated as a good backup. Readers that
// name or count backups (plan, retention, health, status) use the trusted catalog: a manifest is
// data, and one whose artifacts are gone, or that claims a time still to come, must not pass for
// the newest backup.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestArtifacts, manifestSchema, type BackupPart, type Manifest } from '../core/manifest.js';
import { backupTime, isBackupId, layout } from '../core/repository-layout.js';
import { artifactProblem } from './artifact-check.js';
import { writeFileDurable } from './fs-durable.js';

export interface Catalog {
  /** Oldest first. */
  manifests: Manifest[];
  invalid: Array<{ file: string; reason: string }>;
}

export async function readCatalog(root: string): Promise<Catalog> {
  const dir = join(root, layout.manifestsDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { manifests: [], invalid: [] };
    throw err;
  }
  const catalog: Catalog = { manifests: [], invalid: [] };
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = join(dir, name);
    try {
      const parsed = manifestSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (!parsed.success) {
        catalog.invalid.push({ file, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      } else if (`${parsed.data.backupId}.json` !== name || !isBackupId(parsed.data.backupId)) {
        catalog.invalid.push({ file, reason: `backupId ${parsed.data.backupId} does not match the file name` });
      } else {
        catalog.manifests.push(parsed.data);
      }
    } catch (err) {
      catalog.invalid.push({ file, reason: `not JSON: ${(err as Error).message}` });
    }
  }
  return catalog;
}

/** Backups whose artifacts are not all in place as their manifests record them, with why. */
export async function damagedBackups(root: string, catalog: Catalog): Promise<Array<{ backupId: string; problem: string }>> {
  const damaged: Array<{ backupId: string; problem: string }> = [];
  for (const m of catalog.manifests) {
    const problems = (await Promise.all(manifestArtifacts(m).map((a) => artifactProblem(root, a)))).filter((p): p is string => Boolean(p));
    if (problems.length) damaged.push({ backupId: m.backupId, problem: problems.join('; ') });
  }
  return damaged;
}

export interface TrustedCatalog extends Catalog {
  /** Good backups by their manifests whose artifacts are not as recorded. */
  damaged: Array<{ backupId: string; problem: string }>;
  /** Backup ids after `now`: a skewed clock, a restored repository or tampering. */
  futureDated: string[];
}

/** The catalog without damaged and future-dated backups, which are listed apart. */
export async function readTrustedCatalog(root: string, now: Date): Promise<TrustedCatalog> {
  const catalog = await readCatalog(root);
  const damaged = await damagedBackups(root, catalog);
  const futureDated = catalog.manifests.filter((m) => backupTime(m.backupId) > now).map((m) => m.backupId);
  const untrusted = new Set([...damaged.map((d) => d.backupId), ...futureDated]);
  return { manifests: catalog.manifests.filter((m) => !untrusted.has(m.backupId)), invalid: catalog.invalid, damaged, futureDated };
}

/** The newest good backup that took `part` (any backup when no part is given). */
export function latestGood(catalog: Catalog, part?: BackupPart): Manifest | undefined {
  for (let i = catalog.manifests.length - 1; i >= 0; i -= 1) {
    const m = catalog.manifests[i] as Manifest;
    if (!part || m.parts.includes(part)) return m;
  }
  return undefined;
}

export async function writeManifest(root: string, manifest: Manifest): Promise<string> {
  const valid = manifestSchema.parse(manifest);
  const rel = layout.manifest(valid.backupId);
  await writeFileDurable(join(root, rel), `${JSON.stringify(valid, null, 2)}\n`);
  return rel;
}
