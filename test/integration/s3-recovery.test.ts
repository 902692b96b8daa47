// Covers: recovery into a bucket (issue 14 part 3): `target.s3` of core/dr-input.ts, the bucket
// check before writing (activities/dr-target.ts, activities/s3-target.ts), step 4 through the S3
// API (activities/dr.ts, activities/dr-image-check.ts, core/s3-target.ts), step 5 in s3 mode and
// verify's probe removal from the bucket (activities/dr-verify.ts), fixtures/dr-sandbox.ts's `s3`;
// the restore tests with a bucket: the partial image test's scratch bucket and the full test's
// target bucket teardown (activities/restore-test-bucket.ts, activities/restore-test.ts).
// The real Prompt Box in s3 mode against a real S3 server (versitygw), a fresh PostgreSQL 16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import sharp from 'sharp';
import { startS3Server, type S3Server } from '../../local/s3-server.js';
import { checklistPassed } from '../../core/checklist.js';
import type { DrInput } from '../../core/dr-input.js';
import type { DrReport } from '../../core/dr-report.js';
import { makeSandbox } from '../../fixtures/dr-sandbox.js';
import { createRealPromptBox, type RealPromptBox } from '../../fixtures/real-promptbox.js';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, rootFailure, runBackup, runWorkflow, testWorker, type TestSetup } from '../helpers.js';
import type { RestoreTestResult } from '../../repository/restore-tests.js';

const services = useServices();
const SOURCE_BUCKET = 'promptbox';
const RESTORED_BUCKET = 'restored';
const IMAGES = 8;
let s3: S3Server;
let app: RealPromptBox;
let setup: TestSetup;

// Started by the first test: top-level before hooks run beside the harness's, whose directory and
// database are not there yet.
let started: Promise<void> | undefined;
const ready = () =>
  (started ??= (async () => {
    s3 = await startS3Server(join(services.dir, 's3'));
    services.defer(() => s3.stop());
    await s3.createBucket(SOURCE_BUCKET);
    app = await createRealPromptBox({
      dir: join(services.dir, 'app'),
      cluster: services.postgres,
      images: IMAGES,
      softDeleted: 1,
      s3: { endpoint: s3.endpoint, bucket: SOURCE_BUCKET, accessKey: s3.accessKey, secretKey: s3.secretKey },
    });
    services.defer(() => app.stop());
    setup = await makeConfig(services, app, 's3 recovery', {
      overrides: async (c) => {
        const dir = join(services.dir, 's3-recovery-keys');
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeFile(join(dir, 'access'), s3.accessKey, { mode: 0o600 });
        await writeFile(join(dir, 'secret'), s3.secretKey, { mode: 0o600 });
        c.source.storage = { s3: { endpoint: s3.endpoint, bucket: SOURCE_BUCKET, accessKey: { file: join(dir, 'access') }, secretKey: { file: join(dir, 'secret') } } };
      },
    });
    assertSucceeded(await runBackup(services, setup));
  })());

const bucketKeys = async (bucket: string) =>
  (await execa('rclone', ['--config=/dev/null', 'lsf', '-R', '--files-only', `s3:${bucket}`], { env: s3.rcloneEnv('s3'), extendEnv: false })).stdout.split('\n').filter(Boolean).sort();

async function recover(input: DrInput, id: string): Promise<{ report?: DrReport; error?: Error }> {
  const handle = await services.client.workflow.start('drRecovery', { taskQueue: setup.config.temporal.taskQueue, workflowId: id, args: [input], workflowExecutionTimeout: '5 minutes' });
  return (await testWorker(services, setup)).runUntil(handle.result().then((report: DrReport) => ({ report }), (error: Error) => ({ error })));
}

test('a recovery into a fresh bucket (created by it) on the same S3 server: the real app in s3 mode serves every original and thumbnail, and the checklist passes', async () => {
  await ready();
  const live = app.images.filter((i) => !i.deleted);
  // A thumbnail lost from the backup is rebuilt from its original and uploaded.
  const victim = live[0]!;
  await rm(join(setup.config.repository.root, 'images/current', victim.thumbnailPath));
  assert.ok(!(await execa('rclone', ['--config=/dev/null', 'lsd', 's3:'], { env: s3.rcloneEnv('s3'), extendEnv: false })).stdout.includes(RESTORED_BUCKET), 'the target bucket does not exist yet');

  const sandbox = await makeSandbox(app, services.dir, 's3-full', { s3: { server: s3, bucket: RESTORED_BUCKET } });
  try {
    const { report, error } = await recover(sandbox.input, 'dr-s3-full');
    assert.ok(report, error?.message);
    assert.equal(report.outcome, 'succeeded', JSON.stringify(report.steps));
    assert.ok(checklistPassed(report.checklist), JSON.stringify(report.checklist, null, 1));
    assert.equal(report.images?.checked, live.length);
    assert.deepEqual([report.images?.missingCount, report.images?.corruptCount], [0, 0]);
    assert.deepEqual(report.images?.thumbnailsRebuilt, [victim.thumbnailPath]);

    // Every live original and thumbnail is in the restored bucket, and the verify probe left nothing behind.
    const keys = await bucketKeys(RESTORED_BUCKET);
    for (const image of live) {
      assert.ok(keys.includes(image.storagePath), `${image.storagePath} in the restored bucket`);
      assert.ok(keys.includes(image.thumbnailPath), `${image.thumbnailPath} in the restored bucket`);
    }
    assert.deepEqual(keys, await bucketKeys(SOURCE_BUCKET), 'the restored bucket holds what the source bucket holds');

    // The recovered app (s3 mode, the restored bucket) serves them all.
    for (const image of live) {
      const original = await fetch(new URL(`/storage/${image.storagePath}`, sandbox.appUrl));
      assert.ok(original.ok, `GET /storage/${image.storagePath}: ${original.status}`);
      assert.equal(createHash('sha256').update(Buffer.from(await original.arrayBuffer())).digest('hex'), image.fileHash);
      const thumbnail = await fetch(new URL(`/storage/${image.thumbnailPath}`, sandbox.appUrl));
      assert.ok(thumbnail.ok, `GET /storage/${image.thumbnailPath}: ${thumbnail.status}`);
      const meta = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata();
      assert.equal(meta.format, 'webp');
    }
  } finally {
    await sandbox.stop();
  }
});

test('a bucket holding objects (or the source bucket) is refused before anything is written; with overwrite it is filled', async () => {
  await ready();
  await s3.createBucket('occupied');
  await execa('rclone', ['--config=/dev/null', 'rcat', 's3:occupied/keep.txt'], { env: s3.rcloneEnv('s3'), extendEnv: false, input: 'the operator put this here' });
  const sandbox = await makeSandbox(app, services.dir, 's3-occupied', { s3: { server: s3, bucket: 'occupied' } });
  try {
    const { error } = await recover(sandbox.input, 'dr-s3-occupied');
    const cause = rootFailure(error);
    assert.equal(cause.type, 'ConfigInvalid', cause.message);
    assert.match(cause.message ?? '', /target\.s3\.bucket occupied is not empty \(keep\.txt\)/);
    assert.deepEqual(await bucketKeys('occupied'), ['keep.txt'], 'nothing written into it');

    // The source's own bucket is refused as such.
    const onSource = structuredClone(sandbox.input);
    onSource.target.s3!.bucket = SOURCE_BUCKET;
    const source = rootFailure((await recover(onSource, 'dr-s3-source')).error);
    assert.equal(source.type, 'ConfigInvalid', source.message);
    assert.match(source.message ?? '', /target\.s3 is the source bucket promptbox/);

    // With overwrite, the recovery fills it; what was there stays (a copy, as rsync's into a directory).
    const { report, error: failed } = await recover({ ...sandbox.input, overwrite: true }, 'dr-s3-overwrite');
    assert.ok(report, failed?.message);
    assert.equal(report.outcome, 'succeeded', JSON.stringify(report.steps));
    assert.ok(checklistPassed(report.checklist), JSON.stringify(report.checklist, null, 1));
    assert.deepEqual(await bucketKeys('occupied'), [...(await bucketKeys(SOURCE_BUCKET)), 'keep.txt'].sort());
  } finally {
    await sandbox.stop();
  }
});

const bucketNames = async () => (await execa('rclone', ['--config=/dev/null', 'lsf', '--dirs-only', 's3:'], { env: s3.rcloneEnv('s3'), extendEnv: false })).stdout.split('\n').filter(Boolean).map((d) => d.replace(/\/$/, ''));

test('the monthly partial image test with the images in a bucket: the sample goes into a scratch bucket and is read back through the API, checked, and the scratch bucket is removed', async () => {
  await ready();
  const live = app.images.filter((i) => !i.deleted);
  const { result, error } = await runWorkflow<RestoreTestResult>(services, setup, 'restoreTest', [{ kind: 'partial', partial: 'images' }]);
  assert.ok(result, error?.message);
  assert.equal(result.passed, true, JSON.stringify(result.failures));
  assert.equal(result.checked, live.length, 'the sample is every live original (fewer than imageSample)');
  assert.match(result.checklist[0]!.evidence, new RegExp(`^${live.length} sampled originals restored through scratch bucket pbb-restore-test-[a-z0-9-]+ and read back, ${live.length} decoded, 0 problems$`));
  assert.deepEqual((await bucketNames()).filter((b) => b.startsWith('pbb-restore-test-')), [], 'the scratch bucket is gone');
});

/** The repository's config with a full restore test recovering into `bucket` from a sandbox under `sandboxRoot`. */
async function fullRestoreInto(bucket: string, sandboxRoot: string): Promise<{ config: TestSetup; sandbox: Awaited<ReturnType<typeof makeSandbox>> }> {
  await mkdir(sandboxRoot, { recursive: true });
  const sandbox = await makeSandbox(app, sandboxRoot, 'full', { s3: { server: s3, bucket } });
  const full = { sandboxRoot, recovery: sandbox.input as unknown as Record<string, unknown> };
  return { config: { ...setup, config: { ...setup.config, restoreTests: { ...setup.config.restoreTests, full } } }, sandbox };
}

test('the quarterly full restore test into a bucket passes the checklist with the real app in s3 mode, and removes the bucket it filled', async () => {
  await ready();
  const { config, sandbox } = await fullRestoreInto('full-restore-test', join(services.dir, 'full-restore-bucket'));
  try {
    const { result, error } = await runWorkflow<RestoreTestResult>(services, config, 'restoreTest', [{ kind: 'full' }]);
    assert.ok(result, `${rootFailure(error).type}: ${rootFailure(error).message}`);
    assert.equal(result.passed, true, JSON.stringify(result.checklist, null, 1));
    assert.ok(!(await bucketNames()).includes('full-restore-test'), 'the target bucket is removed with the sandbox');
  } finally {
    await sandbox.stop();
  }
});

test('a full restore test whose target bucket holds objects fails, and its teardown leaves that bucket and its objects alone', async () => {
  await ready();
  await s3.createBucket('someone-elses');
  await execa('rclone', ['--config=/dev/null', 'rcat', 's3:someone-elses/keep.txt'], { env: s3.rcloneEnv('s3'), extendEnv: false, input: 'not the test\'s' });
  const { config, sandbox } = await fullRestoreInto('someone-elses', join(services.dir, 'full-restore-occupied'));
  try {
    const { result, error } = await runWorkflow<RestoreTestResult>(services, config, 'restoreTest', [{ kind: 'full' }]);
    assert.ok(error ?? (result && !result.passed), 'the test does not pass');
    assert.deepEqual(await bucketKeys('someone-elses'), ['keep.txt'], 'the bucket and its object are untouched');
  } finally {
    await sandbox.stop();
  }
});
