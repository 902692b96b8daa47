// A recovery's target bucket (`target.s3` of the DR input), reached through the S3 API with rclone
// as the image backup reaches its source (activities/s3-sync.ts): the remote lives only in the
// child's environment, the keys are resolved here on the worker, failures name the input field.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DrPlanInput } from '../core/dr-input.js';
import { rcloneProbeArgs } from '../core/s3-source.js';
import {
  parseEntries,
  parseHashes,
  parseSizes,
  rcloneCopyToArgs,
  rcloneDeleteArgs,
  rcloneDownloadKeysArgs,
  rcloneHashArgs,
  rcloneMkdirArgs,
  rclonePurgeArgs,
  rcloneRestoreArgs,
  rcloneSizesArgs,
  rcloneUploadKeysArgs,
  TARGET_FIELD,
  TARGET_REMOTE,
  targetObject,
} from '../core/s3-target.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { bucketEnv, rcloneStep } from './s3-sync.js';

export type TargetBucketInput = NonNullable<DrPlanInput['target']['s3']>;
export type TargetBucket = Awaited<ReturnType<typeof openTargetBucket>>;

/** A bucket to fill: a recovery's target, or a restore test's scratch bucket (`field`: the setting a failure names). */
export async function openTargetBucket(deps: Pick<ActivityDeps, 'commands' | 'secrets'>, s3: TargetBucketInput, field = TARGET_FIELD) {
  const env = await bucketEnv(deps.secrets, s3, field, TARGET_REMOTE);
  const rclone = (args: string[], input?: string) => rcloneStep(s3, () => deps.commands.run('rclone', args, { env, exactEnv: true, input }), field);
  const keyList = (keys: string[]) => keys.map((k) => `${k}\n`).join('');

  return {
    /**
     * Makes sure the bucket exists (created when missing and `createBucket` allows it) and
     * returns its top-level entries below the prefix: none for an empty target.
     */
    async prepare(): Promise<{ created: boolean; entries: string[] }> {
      try {
        return { created: false, entries: parseEntries((await rclone(rcloneProbeArgs(s3, TARGET_REMOTE))).stdout) };
      } catch (err) {
        if ((err as { type?: string }).type !== 'SourceMissing') throw err;
        if (!s3.createBucket) throw fail('ConfigInvalid', `${field}.bucket: bucket ${s3.bucket} does not exist at ${s3.endpoint}, and ${field}.createBucket is false`);
        await rclone(rcloneMkdirArgs(s3));
        return { created: true, entries: [] };
      }
    },
    /** Fills the bucket from the repository's mirror. */
    async restoreFrom(mirror: string): Promise<void> {
      await rclone(rcloneRestoreArgs(s3, mirror));
    },
    /** Only those keys of the mirror into the bucket. */
    async upload(mirror: string, keys: string[]): Promise<void> {
      if (keys.length) await rclone(rcloneUploadKeysArgs(s3, mirror), keyList(keys));
    },
    /** Those keys that exist, from the bucket into `dir`. */
    async download(keys: string[], dir: string): Promise<void> {
      if (keys.length) await rclone(rcloneDownloadKeysArgs(s3, dir), keyList(keys));
    },
    /** The whole bucket, objects and bucket; one that does not exist is no error. */
    async purge(): Promise<void> {
      await rclone(rclonePurgeArgs(s3)).catch((err: { type?: string }) => {
        if (err.type !== 'SourceMissing') throw err;
      });
    },
    /** Sizes of those keys that exist. */
    async sizes(keys: string[]): Promise<Map<string, number>> {
      return keys.length ? parseSizes((await rclone(rcloneSizesArgs(s3), keyList(keys))).stdout) : new Map();
    },
    /** sha256 of those keys that exist, each object downloaded and hashed as it streams. */
    async hashes(keys: string[]): Promise<Map<string, string>> {
      return keys.length ? parseHashes((await rclone(rcloneHashArgs(s3), keyList(keys))).stdout) : new Map();
    },
    /** Writes `toKey` with what `produce` makes of `fromKey`'s bytes (nothing when it makes nothing), through a private temp dir; true when written. */
    async derive(fromKey: string, toKey: string, produce: (bytes: Buffer) => Promise<Buffer | undefined>): Promise<boolean> {
      const dir = await mkdtemp(join(tmpdir(), 'promptbox-dr-'));
      try {
        await rclone(rcloneCopyToArgs(targetObject(s3, fromKey), join(dir, 'from')));
        const made = await produce(await readFile(join(dir, 'from')));
        if (!made) return false;
        await writeFile(join(dir, 'to'), made, { mode: 0o600 });
        await rclone(rcloneCopyToArgs(join(dir, 'to'), targetObject(s3, toKey)));
        return true;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    /** Deletes the keys; absent ones are no error. */
    async remove(keys: string[]): Promise<void> {
      if (keys.length) await rclone(rcloneDeleteArgs(s3), keyList(keys));
    },
  };
}
