// Before a recovery writes anything: is the target safe to fill? A recovery restores into empty
// places only, and never onto the source it protects (equal, inside or around it), unless the
// input says `overwrite`. The database is checked once it runs (step 2); the directories and the
// target bucket (listed by the caller, activities/s3-target.ts) here.
import { readdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/schema.js';
import type { DrPlanInput } from '../core/dr-input.js';
import { overlapsSourceBucket } from '../core/s3-target.js';
import { fail } from './failure.js';

type Target = DrPlanInput['target'];

/** A path with symlinks resolved as far as it exists (the rest appended as written). */
async function canonical(path: string): Promise<string> {
  const missing: string[] = [];
  let existing = resolve(path);
  for (;;) {
    try {
      return join(await realpath(existing), ...missing.reverse());
    } catch {
      if (dirname(existing) === existing) return resolve(path);
      missing.push(existing.slice(dirname(existing).length).replace(/^\//, ''));
      existing = dirname(existing);
    }
  }
}

/** Equal, or one inside the other. */
function overlaps(a: string, b: string): boolean {
  const within = (inner: string, outer: string) => {
    const rel = relative(outer, inner);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
  };
  return within(a, b) || within(b, a);
}

/** Entries of a directory; none when it does not exist yet. */
async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

/**
 * Throws ConfigInvalid naming every reason the target cannot be filled; returns what was checked.
 * `bucketEntries`: the top of the target bucket (`target.s3`) below its prefix.
 */
export async function checkRecoveryTarget(source: Config['source'], target: Target, overwrite: boolean, bucketEntries: string[] = []): Promise<string> {
  if (overwrite) return 'overwrite allowed by the input: target not checked for existing data';
  const problems: string[] = [];
  const sourcePlaces = [
    // A bucket source has no directory a recovery could write onto.
    ...('root' in source.storage ? [{ what: 'the source storage root', path: source.storage.root }] : []),
    ...source.configFiles.map((file) => ({ what: `the source app directory (of ${file})`, path: dirname(file) })),
  ];
  // Filled by the restore, so they must be empty: the app directory and the storage root.
  const filled = [{ field: 'target.appDir', path: target.appDir }, ...(target.storageRoot ? [{ field: 'target.storageRoot', path: target.storageRoot }] : [])];
  const targetPlaces = [...filled, ...(target.importDir ? [{ field: 'target.importDir', path: target.importDir }] : [])];
  const sources = await Promise.all(sourcePlaces.map(async (s) => ({ ...s, real: await canonical(s.path) })));
  for (const t of targetPlaces) {
    const real = await canonical(t.path);
    const clash = sources.find((s) => overlaps(real, s.real));
    if (clash) problems.push(`${t.field} ${t.path} overlaps ${clash.what} ${clash.path}`);
  }
  const listed = (found: string[]) => `${found.slice(0, 3).join(', ')}${found.length > 3 ? ', ...' : ''}`;
  for (const t of filled) {
    const found = await entries(t.path);
    if (found.length) problems.push(`${t.field} ${t.path} is not empty (${listed(found)})`);
  }
  const bucket = target.s3;
  if (bucket && bucketEntries.length) problems.push(`target.s3.bucket ${bucket.bucket}${bucket.prefix ? ` (below ${bucket.prefix})` : ''} is not empty (${listed(bucketEntries)})`);
  if (bucket && 's3' in source.storage && overlapsSourceBucket(bucket, source.storage.s3)) problems.push(`target.s3 is the source bucket ${source.storage.s3.bucket} at ${source.storage.s3.endpoint}`);
  const db = target.database;
  const src = source.database;
  const sameDatabase =
    db.transport === 'direct' && src.transport === 'direct'
      ? db.host === src.host && db.port === src.port && db.database === src.database
      : db.transport === 'docker' && src.transport === 'docker' && db.container === src.container && db.database === src.database;
  if (sameDatabase) problems.push(`target.database is the source database ${src.database}`);
  if (problems.length) {
    throw fail('ConfigInvalid', `the recovery target holds data or is the source: ${problems.join('; ')}. Choose an empty target, or set "overwrite": true in the input to restore over it`);
  }
  const checked = [...targetPlaces.map((t) => t.field), ...(bucket ? ['target.s3.bucket'] : [])];
  return `target checked: ${checked.join(', ')} empty and apart from the source; database not the source's`;
}
