// The repository's catalog: one manifest per good backup. A manifest that does not parse, or has
// an unknown format version, is never treated as a good backup. Readers that name or count
// backups (plan, retention, health, status) use the trusted catalog: a manifest is data, and one
// whose artifacts are gone, or that claims a time still to come, must not pass for the newest backup.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestArtifacts, manifestSchema, type BackupPart, type Manifest } from '../core/manifest.js';
import { artifactProblem } from './artifact-file.js';
import { fsyncPath, writeFileDurable } from './fs-durable.js';
import { readJsonRecords, recordText, type InvalidRecord } from './json-records.js';
import { backupTime, isBackupId, layout } from './layout.js';

export interface Catalog {
  /** Oldest first. */
  manifests: Manifest[];
  invalid: InvalidRecord[];
}

export async function readCatalog(root: string): Promise<Catalog> {
  const { records, invalid } = await readJsonRecords(join(root, layout.manifestsDir), manifestSchema);
  const catalog: Catalog = { manifests: [], invalid };
  for (const { name, record } of records) {
    if (`${record.backupId}.json` !== name || !isBackupId(record.backupId)) {
      catalog.invalid.push({ file: join(root, layout.manifestsDir, name), reason: `backupId ${record.backupId} does not match the file name` });
    } else {
      catalog.manifests.push(record);
    }
  }
  // One list in file-name order, whichever check refused them.
  catalog.invalid.sort((a, b) => (a.file < b.file ? -1 : 1));
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

/** Written last, after every artifact it lists is in place (activities/commit.ts). */
export async function writeManifest(root: string, manifest: Manifest): Promise<string> {
  const valid = manifestSchema.parse(manifest);
  const rel = layout.manifest(valid.backupId);
  await writeFileDurable(join(root, rel), recordText(valid));
  return rel;
}

/**
 * Removes a backup's manifest before anything it lists (retention): a crash in between leaves
 * unreferenced files, never a manifest that points at missing ones.
 */
export async function removeManifest(root: string, backupId: string): Promise<void> {
  await rm(join(root, layout.manifest(backupId)), { force: true });
  await fsyncPath(join(root, layout.manifestsDir));
}
