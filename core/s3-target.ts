// Decisions for recovering images into a bucket (DR step 4 with `target.s3`): rclone's arguments
// against the target remote, what its listings and hash sums say, and whether the target is the
// source's own bucket. Pure: activities/s3-target.ts does the I/O.
import { RCLONE_COMMON, remotePath, type S3Place } from './s3-source.js';

/** The rclone remote the target bucket is reached through, defined only in rclone's environment. */
export const TARGET_REMOTE = 'PBTARGET';
/** The input field a failure against the target names. */
export const TARGET_FIELD = 'target.s3';

const target = (s3: S3Place) => remotePath(s3, TARGET_REMOTE);

/**
 * The mirror into the bucket. `copy`, not `sync`: like the directory restore (rsync without
 * --delete), objects already there stay. A rerun after a lost worker uploads only what differs in
 * size or modification time; each upload's MD5 is compared with the server's ETag by rclone.
 */
export function rcloneRestoreArgs(s3: S3Place, mirror: string): string[] {
  return ['copy', ...RCLONE_COMMON, '--', mirror, target(s3)];
}

/** The keys read from stdin (one a line), from the mirror into the bucket: a sample, not the whole mirror. */
export function rcloneUploadKeysArgs(s3: S3Place, mirror: string): string[] {
  return ['copy', ...RCLONE_COMMON, '--files-from-raw=-', '--', mirror, target(s3)];
}

/** The keys read from stdin, from the bucket into a local directory: read back through the API. */
export function rcloneDownloadKeysArgs(s3: S3Place, dir: string): string[] {
  return ['copy', ...RCLONE_COMMON, '--files-from-raw=-', '--', target(s3), dir];
}

/** Deletes every object of the bucket and the bucket itself. */
export function rclonePurgeArgs(s3: S3Place): string[] {
  return ['purge', ...RCLONE_COMMON, '--', `${TARGET_REMOTE}:${s3.bucket}`];
}

/** Creates the bucket itself (the prefix needs nothing: S3 has no directories). */
export function rcloneMkdirArgs(s3: S3Place): string[] {
  return ['mkdir', ...RCLONE_COMMON, '--', `${TARGET_REMOTE}:${s3.bucket}`];
}

/** Sizes of the keys read from stdin (one a line); keys that do not exist are left out, not errors. */
export function rcloneSizesArgs(s3: S3Place): string[] {
  return ['lsjson', ...RCLONE_COMMON, '-R', '--files-only', '--no-mimetype', '--no-modtime', '--files-from-raw=-', '--', target(s3)];
}

/**
 * sha256 of the keys read from stdin. S3 keeps no sha256 of an object (its ETag is an MD5, and not
 * even that for multipart uploads), so rclone downloads each one and hashes the stream: one
 * process per batch, downloads in parallel (--checkers), nothing written to disk. `rclone check
 * --download` would compare with the mirror, not with images.file_hash; `rclone cat` would need
 * a process per object.
 */
export function rcloneHashArgs(s3: S3Place): string[] {
  return ['hashsum', 'sha256', '--download', ...RCLONE_COMMON, '--files-from-raw=-', '--', target(s3)];
}

/** One object between the bucket and a local file (a thumbnail rebuilt from its original). */
export function rcloneCopyToArgs(from: string, to: string): string[] {
  return ['copyto', ...RCLONE_COMMON, '--', from, to];
}

/** `PBTARGET:bucket/prefix/key`. */
export function targetObject(s3: S3Place, key: string): string {
  return `${target(s3)}/${key}`;
}

/** Deletes the keys read from stdin; absent ones are no error (the verify probe's objects). */
export function rcloneDeleteArgs(s3: S3Place): string[] {
  return ['delete', ...RCLONE_COMMON, '--files-from-raw=-', '--', target(s3)];
}

/**
 * A storage key from the restored database as a key below the target's root, or undefined when it
 * could not be one: a path that climbs out, is absolute, or holds a line break (the key lists
 * given to rclone are one key a line). The directory restore refuses the same escaping keys.
 */
export function bucketKey(key: string): string | undefined {
  if (!key || key.startsWith('/') || /[\r\n]/.test(key) || key.split('/').some((s) => s === '..' || s === '.' || s === '')) return undefined;
  return key;
}

/** `rclone lsjson` output: size by key. */
export function parseSizes(stdout: string): Map<string, number> {
  const entries = JSON.parse(stdout || '[]') as Array<{ Path: string; Size: number }>;
  return new Map(entries.map((e) => [e.Path, e.Size]));
}

/** `rclone hashsum` output (`<hex>  <key>` a line): sha256 by key. */
export function parseHashes(stdout: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match) hashes.set(match[2]!, match[1]!);
  }
  return hashes;
}

/** An original in the bucket against its row: present, with images.file_size_bytes and images.file_hash. */
export function bucketOriginalVerdict(found: { size?: number; sha256?: string }, row: { bytes: number; hash: string }): 'ok' | 'missing' | 'corrupt' {
  if (found.size === undefined) return 'missing';
  return found.size === row.bytes && found.sha256 === row.hash ? 'ok' : 'corrupt';
}

/** Top-level entries of a listing (`rclone lsjson --max-depth=1`): what makes a bucket "not empty". */
export function parseEntries(stdout: string): string[] {
  return (JSON.parse(stdout || '[]') as Array<{ Path: string; IsDir: boolean }>).map((e) => (e.IsDir ? `${e.Path}/` : e.Path));
}

const normalEndpoint = (endpoint: string) => endpoint.replace(/\/+$/, '').toLowerCase();
const rootOf = (s3: S3Place) => (s3.prefix ?? '').replace(/\/*$/, '/');

/** The target is the source's bucket with one root inside the other: a recovery would write onto what it protects. */
export function overlapsSourceBucket(targetBucket: S3Place, source: S3Place): boolean {
  if (normalEndpoint(targetBucket.endpoint) !== normalEndpoint(source.endpoint) || targetBucket.bucket !== source.bucket) return false;
  const [a, b] = [rootOf(targetBucket), rootOf(source)];
  return a === '/' || b === '/' || a.startsWith(b) || b.startsWith(a);
}
