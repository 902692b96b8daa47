// Which backup id a run may take. An id is the second its run started (layout.ts), so two runs of
// one repository can start in the same one (a dump triggered right after a full backup, a run
// after the clock was set back), and the second would find the first one's artifacts under its
// own names. The lock holder asks here before it writes anything.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from './fs-durable.js';
import { backupIdFor, backupTime, layout } from './layout.js';

async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * The first id from `candidate` on, a second at a time, that nothing in the repository is filed
 * under (manifest, dump, config snapshot, image version or pending folder); undefined when every
 * id up to `notAfter` is used.
 */
export async function firstFreeBackupId(root: string, candidate: string, notAfter: Date): Promise<string | undefined> {
  // Dumps are `<source>_<id>.dump[.gpg]` and snapshots `<file>.<id>[.gpg]`: a name holding the id is that run's.
  const artifactNames = [...(await namesIn(join(root, layout.dbDir))), ...(await namesIn(join(root, layout.configDir)))];
  for (let t = backupTime(candidate); t <= notAfter; t = new Date(t.getTime() + 1000)) {
    const id = backupIdFor(t);
    const filed = [layout.manifest(id), layout.imagesIncrementVersion(id), layout.imagesIncrementPending(id)];
    if (artifactNames.some((name) => name.includes(id))) continue;
    if ((await Promise.all(filed.map((path) => exists(join(root, path))))).some(Boolean)) continue;
    return id;
  }
  return undefined;
}
