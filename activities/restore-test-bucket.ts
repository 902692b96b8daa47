// The partial image test when Prompt Box keeps its images in a bucket: the sample goes from the
// mirror into a scratch bucket and is read back through the S3 API, so the test covers the path a
// recovery into a bucket takes (keys, bucket creation, uploads, downloads), not only the mirror.
// The bucket is made for the run and removed by the test's teardown, whatever the outcome.
import type { Config } from '../config/schema.js';
import { scratchBucketFor } from '../core/scratch-name.js';
import type { ActivityDeps } from './deps.js';
import { openTargetBucket, type TargetBucketInput } from './s3-target.js';

/** The setting a scratch bucket failure names. */
const FIELD = 'restoreTests.scratchBucket';

/** The run's scratch bucket on the configured server, else the source's; undefined when the images are a directory. */
export function scratchBucketOf(config: Config, scratch: string): TargetBucketInput | undefined {
  const storage = config.source.storage;
  if (!('s3' in storage)) return undefined;
  const server = config.restoreTests.scratchBucket ?? storage.s3;
  return { endpoint: server.endpoint, region: server.region, accessKey: server.accessKey, secretKey: server.secretKey, bucket: scratchBucketFor(scratch), createBucket: true };
}

/** Uploads `keys` from the mirror into a new scratch bucket and downloads them into `dir`; a key the bucket lost is absent there. */
export async function roundTripThroughBucket(deps: ActivityDeps, place: TargetBucketInput, mirror: string, keys: string[], dir: string): Promise<void> {
  const bucket = await openTargetBucket(deps, place, FIELD);
  // Created when missing; one that exists can only be an earlier attempt's of this run (its name holds the run id).
  await bucket.prepare();
  await bucket.upload(mirror, keys);
  await bucket.download(keys, dir);
}

/** Removes a bucket a restore test made and filled, objects and all (`field`: the setting a failure names). */
export async function removeTestBucket(deps: ActivityDeps, place: TargetBucketInput, field = FIELD): Promise<void> {
  await (await openTargetBucket(deps, place, field)).purge();
}
