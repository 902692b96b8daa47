// Covers: the S3 image source (activities/s3-sync.ts, core/s3-source.ts) against a real S3 server
// (versitygw) filled by the real Prompt Box in s3 mode, the default deployment's storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { startS3Server, type S3Server } from '../../local/s3-server.js';
import { clusterRows, createRealPromptBox, generatedPng, login, waitUntil, type RealPromptBox } from '../../fixtures/real-promptbox.js';
import { seededRandom } from '../../fixtures/promptbox.js';
import type { ConfigInput } from '../../config/schema.js';
import { useServices } from '../harness.js';
import { useWorkerProcesses } from '../worker-process.js';
import { assertSucceeded, historyText, makeConfig, rootFailure, runBackup, runWorkflow, type TestSetup } from '../helpers.js';
import type { HealthReport } from '../../core/health.js';
import { processAlive } from '../../activities/process-group.js';
import { layout } from '../../repository/layout.js';

const services = useServices();
const spawnWorkerProcess = useWorkerProcesses(services);
const BUCKET = 'promptbox';
const IMAGES = 6;
let s3: S3Server;
let app: RealPromptBox;
const histories: string[] = [];

// Started by the first test that needs them: top-level before hooks run beside the harness's,
// whose directory and database are not there yet.
let started: Promise<void> | undefined;
const ready = () =>
  (started ??= (async () => {
    s3 = await startS3Server(join(services.dir, 's3'));
    services.defer(() => s3.stop());
    await s3.createBucket(BUCKET);
    app = await createRealPromptBox({
      dir: join(services.dir, 'app'),
      cluster: services.postgres,
      images: IMAGES,
      s3: { endpoint: s3.endpoint, bucket: BUCKET, accessKey: s3.accessKey, secretKey: s3.secretKey },
    });
    services.defer(() => app.stop());
  })());

const rclone = (args: string[]) => execa('rclone', ['--config=/dev/null', ...args], { env: s3.rcloneEnv('bucket'), extendEnv: false });
const bucketSize = async () => {
  const { count, bytes } = JSON.parse((await rclone(['size', '--json', `bucket:${BUCKET}`])).stdout) as { count: number; bytes: number };
  return { files: count, bytes };
};
const bucketKeys = async () => (await rclone(['lsf', '-R', '--files-only', `bucket:${BUCKET}`])).stdout.split('\n').filter(Boolean).sort();

/** A config whose images come from the bucket, the keys in files of the worker's. */
async function s3Config(name: string, keys: { accessKey?: string; secretKey?: string; bucket?: string } = {}, tune?: (c: ConfigInput) => void): Promise<TestSetup> {
  return makeConfig(services, app, name, {
    encrypted: false,
    overrides: async (c) => {
      tune?.(c);
      const dir = join(services.dir, `${name.replaceAll(' ', '-')}-keys`);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(join(dir, 'access'), `${keys.accessKey ?? s3.accessKey}\n`, { mode: 0o600 });
      await writeFile(join(dir, 'secret'), `${keys.secretKey ?? s3.secretKey}\n`, { mode: 0o600 });
      c.source.storage = { s3: { endpoint: s3.endpoint, bucket: keys.bucket ?? BUCKET, accessKey: { file: join(dir, 'access') }, secretKey: { file: join(dir, 'secret') } } };
    },
  });
}

async function assertMirrorEqualsBucket(setup: TestSetup): Promise<void> {
  const mirror = join(setup.config.repository.root, 'images/current');
  // Both ways, sizes and MD5 (the objects' ETags): nothing missing, nothing extra, nothing different.
  const check = await rclone(['check', `bucket:${BUCKET}`, mirror]).catch((err: { stderr?: string }) => assert.fail(`mirror differs from the bucket: ${err.stderr}`));
  assert.equal(check.exitCode, 0);
}

async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, rel), { withFileTypes: true }).catch(() => [])) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, path)));
    else out.push(path);
  }
  return out.sort();
}

test('the real Prompt Box in s3 mode stores every original and thumbnail in the bucket, under the content-addressed keys', async () => {
  await ready();
  assert.equal(app.images.length, IMAGES);
  const keys = await bucketKeys();
  for (const image of app.images) {
    assert.match(image.storagePath, /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.png$/);
    assert.ok(keys.includes(image.storagePath), `${image.storagePath} in the bucket`);
    assert.ok(keys.includes(image.thumbnailPath), `${image.thumbnailPath} in the bucket`);
  }
  assert.equal(keys.length, IMAGES * 2);
});

test('a full backup mirrors the bucket (originals and thumbnails); after the app deletes and imports images, the next one keeps what it replaced in the increment', async () => {
  await ready();
  const setup = await s3Config('s3 full backup');
  const firstRun = await runBackup(services, setup);
  const first = assertSucceeded(firstRun);
  histories.push(historyText(await firstRun.handle.fetchHistory()));
  assert.equal(first.images?.files, IMAGES * 2);
  assert.equal(first.images?.bytes, (await bucketSize()).bytes);
  assert.equal(first.images?.transferred, IMAGES * 2);
  assert.deepEqual(first.warnings, [], 'every live image is in the mirror with its size');
  await assertMirrorEqualsBucket(setup);
  const mirror = join(setup.config.repository.root, 'images/current');
  for (const image of app.images) {
    const bytes = await readFile(join(mirror, image.storagePath));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), image.fileHash, `${image.storagePath} has the database's file_hash`);
    assert.equal((await stat(join(mirror, image.storagePath))).mode & 0o777, 0o600);
  }
  assert.equal((await stat(join(mirror, app.images[0]!.storagePath.slice(0, 2)))).mode & 0o777, 0o700);

  // The app deletes two images for good (their objects go) and imports two new ones.
  const cookie = await login(app.appUrl, 'admin', app.secrets.adminPassword);
  const gone = app.images.slice(0, 2);
  for (const image of gone) {
    const res = await fetch(new URL(`/api/images/${image.id}?permanent=true`, app.appUrl), { method: 'DELETE', headers: { cookie } });
    assert.ok(res.ok, `DELETE ${image.id}: ${res.status}`);
  }
  const random = seededRandom(99);
  for (let i = 0; i < 2; i += 1) {
    const partial = join(services.dir, `new-${i}.png`);
    await writeFile(partial, await generatedPng(100 + i, random));
    await rename(partial, join(app.importDir, `new-${i}.png`));
  }
  await waitUntil('two new images imported', 60_000, async () => Number((await clusterRows(services.postgres, 'promptbox', 'select count(*) from images'))[0]?.[0]) === IMAGES);
  await waitUntil('their thumbnails in the bucket', 30_000, async () => (await bucketKeys()).length === IMAGES * 2);

  await new Promise((r) => setTimeout(r, 1_100)); // a new backup id (one per second)
  const second = assertSucceeded(await runBackup(services, setup));
  assert.equal(second.images?.transferred, 4, 'only the new originals and thumbnails were copied');
  assert.equal(second.images?.movedToIncrement, 4, "the deleted images' originals and thumbnails were moved aside");
  await assertMirrorEqualsBucket(setup);
  const { files, bytes } = await bucketSize();
  assert.deepEqual({ files: second.images?.files, bytes: second.images?.bytes }, { files, bytes }, 'the totals count what the mirror holds after the change');
  const increment = join(setup.config.repository.root, second.images!.increment);
  const kept = await filesUnder(increment);
  assert.deepEqual(kept, gone.flatMap((i) => [i.storagePath, i.thumbnailPath]).sort(), 'the increment holds what the run deleted from the mirror');
});

test('wrong keys fail at once, not retried, naming the field', async () => {
  await ready();
  for (const [field, keys] of [
    ['secretKey', { secretKey: 'not-the-secret-key-0000' }],
    ['accessKey', { accessKey: 'AKNOBODY0000' }],
  ] as const) {
    const setup = await s3Config(`s3 wrong ${field}`, keys);
    const run = await runBackup(services, setup, 'imageBackup');
    const cause = rootFailure(run.error);
    assert.equal(cause.type, 'ConfigInvalid', cause.message);
    assert.match(cause.message ?? '', new RegExp(`^source\\.storage\\.s3\\.${field}: `));
    const events = (await run.handle.fetchHistory()).events ?? [];
    const attempts = events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    assert.ok(attempts.every((a) => a === 1), 'no step was retried');
    histories.push(historyText(await run.handle.fetchHistory()));
  }
});

test('a bucket that does not exist fails clearly, not retried', async () => {
  await ready();
  const setup = await s3Config('s3 missing bucket', { bucket: 'no-such-bucket' });
  const run = await runBackup(services, setup, 'imageBackup');
  const cause = rootFailure(run.error);
  assert.equal(cause.type, 'SourceMissing', cause.message);
  assert.match(cause.message ?? '', /^source\.storage\.s3\.bucket: bucket no-such-bucket does not exist/);
});

test('the S3 server stopped: the run fails after the step is retried, naming the endpoint, and nothing is recorded as good', async () => {
  await ready();
  const setup = await s3Config('s3 server down');
  await s3.stop();
  try {
    const run = await runBackup(services, setup, 'imageBackup');
    const cause = rootFailure(run.error);
    assert.equal(cause.type, 'CommandFailed', cause.message);
    assert.match(cause.message ?? '', new RegExp(`^source\\.storage\\.s3\\.endpoint: the S3 server at ${s3.endpoint} did not answer`));
    const events = (await run.handle.fetchHistory()).events ?? [];
    const attempts = events.flatMap((e) => (e.activityTaskFailedEventAttributes ? [] : e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : []));
    assert.ok(attempts.includes(2), 'the image step was retried (maximumAttempts 2 in the test config)');
    const manifests = await readdir(join(setup.config.repository.root, 'manifests')).catch(() => []);
    assert.deepEqual(manifests, [], 'no backup is recorded');
    histories.push(historyText(await run.handle.fetchHistory()));
  } finally {
    await s3.start();
  }
});

test('objects whose content does not match their content-addressed key are counted in the warning; the backup stays good', async () => {
  await ready();
  const setup = await s3Config('s3 hash mismatches');
  const keys: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const name = createHash('sha256').update(`named ${i}`).digest('hex');
    const file = join(services.dir, `mismatch-${i}.png`);
    await writeFile(file, `other content ${i}`);
    keys.push(`${name.slice(0, 2)}/${name.slice(2, 4)}/${name}.png`);
    await rclone(['copyto', file, `bucket:${BUCKET}/${keys.at(-1)}`]);
  }
  try {
    const result = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
    assert.match(result.warnings.join('\n'), /images\/current: image mirror: 3 problem\(s\)/);
  } finally {
    for (const key of keys) await rclone(['deletefile', `bucket:${BUCKET}/${key}`]);
  }
});

test('an original the database lists but the bucket lost is named missing by the mirror check, and the totals leave it out; the backup stays good', async () => {
  await ready();
  const setup = await s3Config('s3 lost object');
  const lost = app.images[2]!;
  const kept = join(services.dir, 'lost-original');
  await rclone(['copyto', `bucket:${BUCKET}/${lost.storagePath}`, kept]);
  await rclone(['deletefile', `bucket:${BUCKET}/${lost.storagePath}`]);
  try {
    const result = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
    assert.match(result.warnings.join('\n'), new RegExp(`images/current: image mirror: 1 problem\\(s\\): ${lost.storagePath} \\(missing\\)`));
    const { files, bytes } = await bucketSize();
    assert.deepEqual({ files: result.images?.files, bytes: result.images?.bytes }, { files, bytes });
  } finally {
    await rclone(['copyto', kept, `bucket:${BUCKET}/${lost.storagePath}`]);
  }
});

test("a lost run's pending folder, with folders rclone made in the umask's mode, is settled into its day with the repository's modes", async () => {
  await ready();
  const setup = await s3Config('s3 pending leftover');
  const root = setup.config.repository.root;
  const lostRun = '20261130_010000';
  const rel = 'originals/zz/yy/lost.png';
  await mkdir(join(root, layout.imagesIncrementsDir), { recursive: true, mode: 0o700 });
  const left = join(root, layout.imagesIncrementPending(lostRun), rel);
  await mkdir(join(left, '..'), { recursive: true, mode: 0o755 });
  await writeFile(left, 'lost', { mode: 0o600 });
  assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  const day = join(root, layout.imagesIncrement(lostRun));
  assert.equal(await readFile(join(day, rel), 'utf8'), 'lost');
  for (const dir of ['originals', 'originals/zz', 'originals/zz/yy']) assert.equal((await stat(join(day, dir))).mode & 0o777, 0o700, dir);
});

/** The same repository and worker config, its images read under another prefix of the bucket. */
function withPrefix(setup: TestSetup, prefix: string): TestSetup {
  const storage = setup.config.source.storage as Extract<TestSetup['config']['source']['storage'], { s3: unknown }>;
  return { ...setup, config: { ...setup.config, source: { ...setup.config.source, storage: { ...storage, s3: { ...storage.s3, prefix } } } } };
}

test('a prefix that lists nothing, after a good backup: refused before the sync naming the field, the mirror and the last backup untouched', async () => {
  await ready();
  const setup = await s3Config('s3 empty listing');
  const good = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  const repo = setup.config.repository.root;
  const before = await filesUnder(join(repo, 'images/current'));
  assert.equal(before.length, IMAGES * 2);

  await new Promise((r) => setTimeout(r, 1_100)); // a new backup id
  const run = await runBackup(services, withPrefix(setup, 'moved-elsewhere/'), 'imageBackup');
  const cause = rootFailure(run.error);
  assert.equal(cause.type, 'SourceMissing', cause.message);
  assert.match(cause.message ?? '', /^source\.storage\.s3\.prefix: prefix moved-elsewhere\/ of bucket promptbox at .* is empty but the image mirror holds files/);
  assert.deepEqual(await filesUnder(join(repo, 'images/current')), before, 'the mirror is untouched');
  assert.deepEqual(await filesUnder(join(repo, 'images/incremental')), [], 'nothing was moved into an increment');
  assert.deepEqual(await readdir(join(repo, 'manifests')), [`${good.backupId}.json`], 'the refused run is not recorded');
});

test("the worker's health check counts the bucket through the S3 API: the mirror matches it after a backup, and an object added since is flagged", async () => {
  await ready();
  const setup = await s3Config('s3 health');
  assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  const mirrorCheck = async () => {
    const { result, error } = await runWorkflow<HealthReport>(services, setup, 'healthCheck');
    assert.ok(result, error?.message);
    const check = result.checks.find((c) => c.name === 'image mirror');
    assert.ok(check, `no image mirror check in ${JSON.stringify(result.checks)}`);
    return check;
  };
  const matching = await mirrorCheck();
  assert.equal(matching.status, 'ok', matching.detail);
  assert.match(matching.detail, new RegExp(`mirror ${IMAGES * 2} files / \\d+ bytes, source ${IMAGES * 2} files`));

  const extra = join(services.dir, 'extra.bin');
  await writeFile(extra, 'added after the backup');
  await rclone(['copyto', extra, `bucket:${BUCKET}/extra/added.bin`]);
  try {
    const behind = await mirrorCheck();
    assert.equal(behind.status, 'warning');
    assert.match(behind.detail, new RegExp(`source ${IMAGES * 2 + 1} files`));
  } finally {
    await rclone(['deletefile', `bucket:${BUCKET}/extra/added.bin`]);
  }
});

const LARGE_KEY = 'large/blob.bin';
const LARGE_BYTES = 768 * 1024 * 1024;

/** A large object in the bucket (zeros: the server stores and serves every byte) makes one copy last long enough to interrupt. */
async function withLargeObject<T>(work: () => Promise<T>): Promise<T> {
  const file = join(services.dir, 'large.bin');
  await execa('truncate', ['-s', String(LARGE_BYTES), file]);
  await rclone(['copyto', file, `bucket:${BUCKET}/${LARGE_KEY}`]);
  try {
    return await work();
  } finally {
    await rclone(['deletefile', `bucket:${BUCKET}/${LARGE_KEY}`]);
  }
}

/** Resolves once `file` exists, partly written; polled tightly, as the copy of it lasts about a second. */
async function partlyWritten(file: string, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const size = (await stat(file).catch(() => undefined))?.size ?? 0;
    if (size > 0 && size < LARGE_BYTES) return size;
    assert.ok(size < LARGE_BYTES, `${file} was copied whole before it could be interrupted`);
    assert.ok(Date.now() < deadline, `${file} never appeared`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** rclone processes writing into `repo`, by their command lines. */
async function rclonesInto(repo: string): Promise<number[]> {
  const found = await execa('pgrep', ['-f', `rclone sync .*${repo}/images/current`], { reject: false });
  return found.stdout.split('\n').filter(Boolean).map(Number);
}

test('a worker killed mid-copy while the server hangs: the next attempt ends the rclone it left, and the half-written file never reaches the increment', async () => {
  await ready();
  const setup = await s3Config('s3 copy interrupted', {}, (c) => {
    c.steps = { ...c.steps, images: { timeout: '5m', heartbeat: '3s', retry: { maximumAttempts: 3, initialInterval: '1s' } } };
  });
  const repo = setup.config.repository.root;
  await withLargeObject(async () => {
    const startWorker = await spawnWorkerProcess(setup, 's3-copy-interrupted');
    const first = startWorker();
    const handle = await services.client.workflow.start('imageBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 's3-copy-interrupted', args: [{ reason: 'test' }] });
    await partlyWritten(join(repo, 'images/current', LARGE_KEY));
    s3.freeze();
    let orphans: number[] = [];
    try {
      first.kill('SIGKILL');
      await first;
      orphans = await rclonesInto(repo);
      assert.ok(orphans.length > 0, "the killed worker's rclone outlives it, stalled on the hung server");
      startWorker();
      await waitUntil('the next attempt to end the orphaned rclone', 60_000, async () => !orphans.some(processAlive));
    } finally {
      s3.thaw();
    }
    const result = (await handle.result()) as { images?: { increment: string } };
    await assertMirrorEqualsBucket(setup);
    const incremented = await filesUnder(join(repo, result.images!.increment));
    assert.ok(!incremented.includes(LARGE_KEY), `the half-written copy went into the increment: ${incremented.join(', ')}`);
    assert.deepEqual(await readdir(join(repo, '.staging')), [], 'nothing of the sync is left in staging');
  });
});

test('the S3 server stopped mid-copy: the run fails naming the endpoint and records nothing; once it is back, the next run completes and keeps no half-written file', async () => {
  await ready();
  const setup = await s3Config('s3 server dies mid-copy');
  const repo = setup.config.repository.root;
  await withLargeObject(async () => {
    const running = runBackup(services, setup, 'imageBackup');
    await partlyWritten(join(repo, 'images/current', LARGE_KEY));
    await s3.stop();
    let run: Awaited<typeof running>;
    try {
      run = await running;
    } finally {
      await s3.start();
    }
    const cause = rootFailure(run.error);
    assert.equal(cause.type, 'CommandFailed', cause.message);
    assert.match(cause.message ?? '', /^source\.storage\.s3\.endpoint: the S3 server at .* did not answer/);
    assert.deepEqual(await readdir(join(repo, 'manifests')).catch(() => []), [], 'no backup is recorded');

    await new Promise((r) => setTimeout(r, 1_100)); // a new backup id
    const next = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
    await assertMirrorEqualsBucket(setup);
    for (const day of await readdir(join(repo, 'images/incremental'))) {
      assert.ok(!(await filesUnder(join(repo, 'images/incremental', day))).includes(LARGE_KEY), `the half-written copy was kept in increment ${day}`);
    }
    assert.equal(next.images?.files, IMAGES * 2 + 1);
  });
});

test('an object replaced while it is being copied: the run copies one whole version, and the next run takes the new one and keeps the old whole in its increment', async () => {
  await ready();
  const setup = await s3Config('s3 object changes mid-copy');
  const repo = setup.config.repository.root;
  await withLargeObject(async () => {
    const running = runBackup(services, setup, 'imageBackup');
    await partlyWritten(join(repo, 'images/current', LARGE_KEY));
    const replacement = join(services.dir, 'replacement.bin');
    await writeFile(replacement, 'a new version of the object, written while the old one was being read');
    await rclone(['copyto', replacement, `bucket:${BUCKET}/${LARGE_KEY}`]);
    const first = await running;
    const copied = (await stat(join(repo, 'images/current', LARGE_KEY)).catch(() => undefined))?.size;
    if (first.error) {
      // rclone saw the object change under it: the run fails and records nothing; no half file stays.
      assert.deepEqual(await readdir(join(repo, 'manifests')).catch(() => []), []);
    } else {
      assert.ok(copied === LARGE_BYTES || copied === (await stat(replacement)).size, `the mirror holds one whole version, not ${copied} bytes`);
    }
    await new Promise((r) => setTimeout(r, 1_100)); // a new backup id
    const next = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
    await assertMirrorEqualsBucket(setup);
    if (copied === LARGE_BYTES) {
      const kept = await stat(join(repo, next.images!.increment, LARGE_KEY));
      assert.equal(kept.size, LARGE_BYTES, 'the old version is kept whole in the increment');
    }
  });
});

test('the S3 secret key is in no workflow history and no worker log line', async () => {
  await ready();
  assert.ok(histories.length >= 3);
  for (const history of histories) assert.ok(!history.includes(s3.secretKey), 'secret key in a workflow history');
  services.logger.flush();
  const log = await readFile(services.logFile, 'utf8');
  assert.ok(log.length > 0);
  assert.ok(!log.includes(s3.secretKey), 'secret key in the worker log');
});
