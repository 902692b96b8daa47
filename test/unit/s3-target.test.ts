// Covers: core/s3-target.ts (a recovery into a bucket: rclone's arguments, listings, hash sums,
// verdicts, the source-bucket clash) and the `target.s3` field of core/dr-input.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drInputSchema, describeInputIssues } from '../../core/dr-input.js';
import {
  bucketKey,
  bucketOriginalVerdict,
  overlapsSourceBucket,
  parseEntries,
  parseHashes,
  parseSizes,
  rcloneDeleteArgs,
  rcloneHashArgs,
  rcloneMkdirArgs,
  rcloneRestoreArgs,
  rcloneSizesArgs,
  targetObject,
} from '../../core/s3-target.js';

const place = { endpoint: 'http://minio:9000', bucket: 'restored' };
const keys = { accessKey: { env: 'S3_ACCESS' }, secretKey: { file: '/etc/pb/s3-secret' } };
const target = (storage: Record<string, unknown>) => ({
  target: {
    appDir: '/srv/pb',
    database: { transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox' },
    admin: { username: 'admin', password: { file: '/etc/pb/admin' } },
    ...storage,
  },
});

test('target.s3 replaces target.storageRoot: exactly one of the two, keys as references, the bucket created by default', () => {
  const parsed = drInputSchema.parse(target({ s3: { ...place, ...keys } }));
  assert.deepEqual(parsed.target.s3, { ...place, ...keys, createBucket: true });
  assert.equal(parsed.target.storageRoot, undefined);
  assert.ok(drInputSchema.safeParse(target({ storageRoot: '/srv/pb/storage' })).success, 'a directory input stays valid');
  const issues = (input: unknown) => {
    const result = drInputSchema.safeParse(input);
    return result.success ? [] : describeInputIssues(result.error);
  };
  assert.deepEqual(issues(target({})), ['target.storageRoot: give where the images go: "storageRoot" (a directory) or "s3" (a bucket)']);
  assert.deepEqual(issues(target({ storageRoot: '/srv/s', s3: { ...place, ...keys } })), ['target.s3: give either "storageRoot" or "s3", not both']);
  const inline = issues(target({ s3: { ...place, ...keys, secretKey: 'hunter2hunter2' } }));
  assert.equal(inline.length, 1);
  assert.match(inline[0]!, /^target\.s3\.secretKey: must be \{"env": "NAME"\} or \{"file": "\/absolute\/path"\}/);
  assert.doesNotMatch(inline[0]!, /hunter2/);
  assert.match(issues(target({ s3: { ...place, ...keys, bucket: 'X' } }))[0]!, /^target\.s3\.bucket: must be an S3 bucket name/);
});

test("rclone's arguments against the target carry no key, read no rclone.conf, and put paths after \"--\"", () => {
  const withPrefix = { ...place, prefix: 'images/' };
  for (const args of [rcloneRestoreArgs(withPrefix, '/repo/images/current'), rcloneSizesArgs(withPrefix), rcloneHashArgs(withPrefix), rcloneDeleteArgs(withPrefix), rcloneMkdirArgs(withPrefix)]) {
    assert.ok(args.includes('--config=/dev/null'));
    assert.ok(!args.join(' ').includes('S3_ACCESS'));
  }
  assert.deepEqual(rcloneRestoreArgs(withPrefix, '/repo/images/current').slice(-3), ['--', '/repo/images/current', 'PBTARGET:restored/images']);
  assert.equal(rcloneRestoreArgs(place, '/m')[0], 'copy', 'objects already in the bucket stay, as with rsync');
  assert.deepEqual(rcloneHashArgs(place).slice(0, 3), ['hashsum', 'sha256', '--download']);
  assert.ok(rcloneSizesArgs(place).includes('--files-from-raw=-'));
  assert.deepEqual(rcloneMkdirArgs(withPrefix).slice(-2), ['--', 'PBTARGET:restored']);
  assert.equal(targetObject(withPrefix, 'ab/cd/x.png'), 'PBTARGET:restored/images/ab/cd/x.png');
});

test("listings and hash sums are read by key; an original is ok only with the row's size and sha256", () => {
  assert.deepEqual(parseSizes('[\n{"Path":"ab/cd/x.png","Name":"x.png","Size":6,"IsDir":false}\n]'), new Map([['ab/cd/x.png', 6]]));
  assert.deepEqual(parseSizes(''), new Map());
  const sha = 'a'.repeat(64);
  assert.deepEqual(parseHashes(`${sha}  ab/cd/x.png\nnot a hash line\n`), new Map([['ab/cd/x.png', sha]]));
  assert.deepEqual(parseEntries('[{"Path":"ab","IsDir":true},{"Path":"keep.txt","IsDir":false}]'), ['ab/', 'keep.txt']);
  const row = { bytes: 6, hash: sha };
  assert.equal(bucketOriginalVerdict({}, row), 'missing');
  assert.equal(bucketOriginalVerdict({ size: 6, sha256: sha }, row), 'ok');
  assert.equal(bucketOriginalVerdict({ size: 7 }, row), 'corrupt');
  assert.equal(bucketOriginalVerdict({ size: 6, sha256: 'b'.repeat(64) }, row), 'corrupt');
});

test('a key that could not be one below the target root is refused (it is reported missing)', () => {
  assert.equal(bucketKey('ab/cd/x.png'), 'ab/cd/x.png');
  for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', 'a\nb', './a']) assert.equal(bucketKey(bad), undefined, JSON.stringify(bad));
});

test("the source's own bucket is a clash when one root holds the other", () => {
  const source = { endpoint: 'http://minio:9000/', bucket: 'promptbox' };
  assert.ok(overlapsSourceBucket({ endpoint: 'http://MINIO:9000', bucket: 'promptbox', prefix: 'restored/' }, source));
  assert.ok(overlapsSourceBucket({ endpoint: 'http://minio:9000', bucket: 'promptbox', prefix: 'a' }, { ...source, prefix: 'a/b/' }));
  assert.ok(!overlapsSourceBucket({ endpoint: 'http://minio:9000', bucket: 'promptbox', prefix: 'ab/' }, { ...source, prefix: 'a/' }));
  assert.ok(!overlapsSourceBucket({ endpoint: 'http://minio:9000', bucket: 'restored' }, source));
  assert.ok(!overlapsSourceBucket({ endpoint: 'http://other:9000', bucket: 'promptbox' }, source));
});
