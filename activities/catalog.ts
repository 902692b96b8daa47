// Reads and writes the repository's catalog: one manifest per good backup. A manifest that does
// not parse, or has an unknown format version, is never treated as a good backup.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestSchema, type BackupPart, type Manifest } from '../core/manifest.js';
import { isBackupId, layout } from '../core/repository-layout.js';
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
