// DR step 4's check of what was restored, one chunk of live rows at a time: each original against
// images.file_hash, and each thumbnail present, or rebuilt from an intact original as the app would
// have made it. In a directory (rsync's copy) or in a bucket (through the S3 API): same verdicts,
// so the step's result and list file do not depend on where the images went.
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { bucketKey, bucketOriginalVerdict } from '../core/s3-target.js';
import type { ThumbnailRule } from '../core/thumbnail-rule.js';
import { exists, writeFileDurable } from '../repository/fs-durable.js';
import { sha256File } from './hash.js';
import { renderThumbnail } from './image-codec.js';
import { FILE_PARALLELISM, inPool } from './pool.js';
import type { TargetBucket } from './s3-target.js';

/** A live row: storage_path, file_hash, thumbnail_path, and file_size_bytes when checking a bucket. */
export type LiveRow = [path: string, hash: string, thumbnailPath: string, bytes?: string];
export interface Verdict {
  original: 'ok' | 'missing' | 'corrupt';
  thumbnail: 'ok' | 'rebuilt' | 'missing';
}

/** The app's thumbnail of an original, or undefined for an original our decoder cannot read (reported, not fatal). */
async function rebuiltThumbnail(original: Buffer, rule: ThumbnailRule): Promise<Buffer | undefined> {
  return renderThumbnail(original, rule).catch(() => undefined);
}

/** A storage key from the restored database as a path inside the storage root, or undefined if it escapes. */
export function storageFile(storageRoot: string, key: string): string | undefined {
  const file = resolve(storageRoot, key);
  return file.startsWith(`${resolve(storageRoot)}/`) ? file : undefined;
}

async function directoryVerdict(storageRoot: string, [key, hash, thumbnailKey]: LiveRow, rule: ThumbnailRule, copied: ReadonlyMap<string, string>): Promise<Verdict> {
  const file = storageFile(storageRoot, key);
  const sha256 = async (path: string) => copied.get(path) ?? (await sha256File(path)).sha256;
  const original = !file || !(await exists(file)) ? 'missing' : (await sha256(file)) !== hash ? 'corrupt' : 'ok';
  const thumbnail = storageFile(storageRoot, thumbnailKey);
  if (!thumbnail) return { original, thumbnail: 'missing' };
  if (await exists(thumbnail)) return { original, thumbnail: 'ok' };
  if (original !== 'ok') return { original, thumbnail: 'missing' };
  const rendered = await rebuiltThumbnail(await readFile(file!), rule);
  if (!rendered) return { original, thumbnail: 'missing' };
  // Modes as the restored files have them (rsync --chmod=D0755,F0644): the app may run as another user.
  await mkdir(dirname(thumbnail), { recursive: true, mode: 0o755 });
  await writeFileDurable(thumbnail, rendered);
  await chmod(thumbnail, 0o644);
  return { original, thumbnail: 'rebuilt' };
}

/**
 * The chunk's verdicts against a storage directory, files in parallel. `copied` holds the sha256
 * of originals hashed as they were copied (by absolute path): those are not read again.
 */
export async function directoryVerdicts(storageRoot: string, chunk: LiveRow[], rule: ThumbnailRule, copied: ReadonlyMap<string, string> = new Map()): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  await inPool(chunk, FILE_PARALLELISM, async (row, i) => {
    verdicts[i] = await directoryVerdict(storageRoot, row, rule, copied);
  });
  return verdicts;
}

/**
 * The chunk's verdicts against a bucket: one listing for the sizes of its originals and
 * thumbnails, one download-and-hash of the originals present with the right size, then a rebuild
 * for each missing thumbnail whose original is intact.
 */
export async function bucketVerdicts(bucket: TargetBucket, chunk: LiveRow[], rule: ThumbnailRule): Promise<Verdict[]> {
  const keys = chunk.flatMap(([key, , thumbnailKey]) => [bucketKey(key), bucketKey(thumbnailKey)].filter((k): k is string => k !== undefined));
  const sizes = await bucket.sizes(keys);
  const hashes = await bucket.hashes(chunk.filter(([key, , , bytes]) => sizes.get(key) === Number(bytes)).map(([key]) => key));
  const verdicts: Verdict[] = [];
  await inPool(chunk, FILE_PARALLELISM, async ([key, hash, thumbnailKey, bytes], i) => {
    const original = bucketKey(key) ? bucketOriginalVerdict({ size: sizes.get(key), sha256: hashes.get(key) }, { bytes: Number(bytes), hash }) : 'missing';
    if (!bucketKey(thumbnailKey)) verdicts[i] = { original, thumbnail: 'missing' };
    else if (sizes.has(thumbnailKey)) verdicts[i] = { original, thumbnail: 'ok' };
    else if (original !== 'ok') verdicts[i] = { original, thumbnail: 'missing' };
    else verdicts[i] = { original, thumbnail: (await bucket.derive(key, thumbnailKey, (bytes) => rebuiltThumbnail(bytes, rule))) ? 'rebuilt' : 'missing' };
  });
  return verdicts;
}
