// Covers: core/s3-source.ts (rclone's environment, arguments, log events and failure meanings for
// the bucket source) and the `source.storage.s3` config fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { rcloneEvent, rcloneRemoteEnv, rcloneSyncArgs, s3Failure, remotePath } from '../../core/s3-source.js';

const s3 = { endpoint: 'http://minio:9000', bucket: 'promptbox', accessKey: { env: 'S3_ACCESS' }, secretKey: { file: '/etc/pb/s3-secret' } };

test("rclone's environment defines the remote and drops the worker's rclone and AWS variables (AWS_CA_BUNDLE breaks rclone)", () => {
  const env = rcloneRemoteEnv({ PATH: '/bin', AWS_CA_BUNDLE: '/ca.pem', RCLONE_CONFIG_PBSOURCE_ENDPOINT: 'http://evil', RCLONE_CONFIG: '/x' }, s3, { accessKey: 'AK', secretKey: 'SK' });
  assert.deepEqual(env, {
    PATH: '/bin',
    RCLONE_CONFIG_PBSOURCE_TYPE: 's3',
    RCLONE_CONFIG_PBSOURCE_PROVIDER: 'Other',
    RCLONE_CONFIG_PBSOURCE_ENDPOINT: 'http://minio:9000',
    RCLONE_CONFIG_PBSOURCE_ACCESS_KEY_ID: 'AK',
    RCLONE_CONFIG_PBSOURCE_SECRET_ACCESS_KEY: 'SK',
  });
  assert.equal(rcloneRemoteEnv({}, { ...s3, region: 'eu-west-1' }, { accessKey: 'AK', secretKey: 'SK' }).RCLONE_CONFIG_PBSOURCE_REGION, 'eu-west-1');
});

test('the sync arguments carry no key, read no rclone.conf, put paths after "--" and move what they replace into the increment', () => {
  const args = rcloneSyncArgs({ ...s3, prefix: 'images/' }, '/repo/images/current', '/repo/images/incremental/20261130', ['*.tmp'], '/repo/.staging/x/rclone.log');
  assert.equal(args[0], 'sync');
  assert.ok(args.includes('--config=/dev/null'));
  assert.ok(args.includes('--backup-dir=/repo/images/incremental/20261130'));
  assert.ok(args.includes('--exclude=*.tmp'));
  assert.deepEqual(args.slice(-3), ['--', 'PBSOURCE:promptbox/images', '/repo/images/current']);
  assert.equal(remotePath(s3), 'PBSOURCE:promptbox');
});

test("rclone's JSON log: copies and files moved aside are counted, the rest ignored", () => {
  assert.deepEqual(rcloneEvent('{"level":"info","msg":"Copied (new)","object":"ab/cd/x.png","objectType":"*s3.Object"}'), { kind: 'copied', object: 'ab/cd/x.png' });
  assert.deepEqual(rcloneEvent('{"level":"info","msg":"Copied (replaced existing)","object":"ab/cd/x.png","objectType":"*s3.Object"}'), { kind: 'copied', object: 'ab/cd/x.png' });
  // Objects over --multi-thread-cutoff (250 MB) are copied in parallel parts and logged so.
  assert.deepEqual(rcloneEvent('{"level":"info","msg":"Multi-thread Copied (new)","object":"large/blob.bin","objectType":"*s3.Object"}'), { kind: 'copied', object: 'large/blob.bin' });
  assert.deepEqual(rcloneEvent('{"level":"info","msg":"Multi-thread Copied (replaced existing)","object":"large/blob.bin","objectType":"*s3.Object"}'), { kind: 'copied', object: 'large/blob.bin' });
  assert.deepEqual(rcloneEvent('{"level":"info","msg":"Moved (server-side)","object":"thumbnails/ab/cd/x.webp","objectType":"*local.Object"}'), { kind: 'moved', object: 'thumbnails/ab/cd/x.webp' });
  assert.equal(rcloneEvent('{"level":"info","msg":"Moved into backup dir","object":"a","objectType":"*local.Object"}'), undefined);
  assert.equal(rcloneEvent('{"level":"info","msg":"Removing directory","object":"thumbnails","objectType":"string"}'), undefined);
  assert.equal(rcloneEvent('2026/11/30 NOTICE: not json'), undefined);
});

test('an S3 failure names the field to fix; wrong keys and a missing bucket are not retried, an unreachable server is', () => {
  assert.deepEqual(s3Failure('Failed to sync: SignatureDoesNotMatch: The request signature', s3)?.type, 'ConfigInvalid');
  assert.match(s3Failure('SignatureDoesNotMatch', s3)!.message, /^source\.storage\.s3\.secretKey: /);
  assert.match(s3Failure('<Code>InvalidAccessKeyId</Code>', s3)!.message, /^source\.storage\.s3\.accessKey: /);
  assert.match(s3Failure('<Code>XAdminUserNotFound</Code>', s3)!.message, /^source\.storage\.s3\.accessKey: /);
  assert.deepEqual(s3Failure('<Code>NoSuchBucket</Code>', s3), { type: 'SourceMissing', message: 'source.storage.s3.bucket: bucket promptbox does not exist at http://minio:9000' });
  const down = s3Failure('dial tcp 127.0.0.1:9000: connect: connection refused', s3)!;
  assert.equal(down.type, 'CommandFailed');
  assert.match(down.message, /^source\.storage\.s3\.endpoint: the S3 server at http:\/\/minio:9000 did not answer \(connection refused\)$/);
  assert.equal(s3Failure('something else', s3), undefined);
});

const base = { name: 'pb', database: { transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox' } };
const parse = (storage: unknown) => parseConfig({ source: { ...base, storage }, repository: { root: '/backup/pb' } }, 'test', {});
const errorOf = (storage: unknown) => {
  try {
    parse(storage);
    return '';
  } catch (err) {
    return String((err as Error).message);
  }
};

test('source.storage takes a bucket with its keys as references; mistakes are named by field', () => {
  const config = parse({ s3 });
  assert.deepEqual(config.source.storage, { s3, excludes: ['*.tmp'] });
  assert.match(errorOf({ s3: { ...s3, secretKey: 'hunter2hunter2' } }), /source\.storage\.s3\.secretKey: must be \{"env": "NAME"\} or \{"file": "\/absolute\/path"\}/);
  assert.doesNotMatch(errorOf({ s3: { ...s3, secretKey: 'hunter2hunter2' } }), /hunter2/);
  assert.match(errorOf({ s3: { ...s3, bucket: '-Bad' } }), /source\.storage\.s3\.bucket: must be an S3 bucket name/);
  assert.match(errorOf({ s3: { ...s3, endpoint: 'minio:9000' } }), /source\.storage\.s3\.endpoint: must be an http\(s\) URL/);
  assert.match(errorOf({ s3: { ...s3, prefix: '../x' } }), /source\.storage\.s3\.prefix: /);
  assert.match(errorOf({ s3, root: '/srv/storage' }), /source\.storage\.s3: give either "root" or "s3", not both/);
  assert.match(errorOf({}), /source\.storage: give the image storage: "root" \(a directory\) or "s3" \(a bucket\)/);
});
