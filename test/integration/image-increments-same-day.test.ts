// Covers: image increments run several times a day (pitr.enabled makes them every ten minutes):
// activities/image-increments.ts, activities/rsync.ts, workflows/full-backup.ts (unchanged image
// runs, runs waiting for an image run's lock), workflows/lock-wait.ts, against a real Temporal
// server and a real PostgreSQL cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScheduleOverlapPolicy, WorkflowHandle } from '@temporalio/client';
import { desiredSchedules, scheduleId } from '../../client/schedules.js';
import { parseConfig } from '../../config/load.js';
import { selectExpiredIncrements } from '../../core/gfs-retention.js';
import { rootFailure } from '../../core/alerts.js';
import { BACKUP_OUTCOME } from '../../core/search-attributes.js';
import { backupTime, layout } from '../../repository/layout.js';
import { createLock, removeLock } from '../../repository/lock.js';
import { LOCK_POLL_MS } from '../../workflows/lock-wait.js';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, recordHistory, repositoryModeViolations, runBackup, sqlRows, testWorker, type TestSetup } from '../helpers.js';

const services = useServices();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Every kept version of `rel` across the increment folders (days and run version folders), by content hash. */
async function keptVersions(root: string, rel: string): Promise<string[]> {
  const dir = join(root, layout.imagesIncrementsDir);
  const folders = await readdir(dir);
  const found = await Promise.all(folders.map((f) => readFile(join(dir, f, rel)).then(sha256, () => undefined)));
  return found.filter((h): h is string => h !== undefined).sort();
}

async function runJournal(root: string): Promise<{ outcome: string; backupId?: string }> {
  return JSON.parse(await readFile(join(root, 'runs', 'images.json'), 'utf8'));
}

test('three image backups the same day, each after a change, keep every file moved aside and are each recorded good', async () => {
  const fixture = await makeFixture(services, 6);
  const setup = await makeConfig(services, fixture, 'same day increments', { encrypted: false });
  const root = setup.config.repository.root;
  const [a, b, c] = fixture.images.filter((i) => !i.deleted);
  assert.ok(a && b && c);
  const at = (rel: string) => join(fixture.storageRoot, rel);
  const versions = { thumbnail: [await readFile(at(c.thumbnailPath))], original: [await readFile(at(b.storagePath))], deleted: await readFile(at(a.storagePath)) };
  assertSucceeded(await runBackup(services, setup, 'imageBackup'));

  // Run 2: a thumbnail replaced (the app regenerates them under the same name), an original deleted.
  await writeFile(at(c.thumbnailPath), Buffer.concat([versions.thumbnail[0]!, Buffer.from('second rendering')]));
  versions.thumbnail.push(await readFile(at(c.thumbnailPath)));
  await rm(at(a.storagePath));
  await sqlRows(services, fixture.database.name, `update images set deleted_at = now() where id = '${a.id}'`);
  await pause(1100); // backup ids have one-second resolution
  const second = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  assert.equal(second.images?.movedToIncrement, 2);

  // Run 3: the same thumbnail replaced again (before, this overwrote run 2's copy), an original rewritten.
  await writeFile(at(c.thumbnailPath), Buffer.concat([versions.thumbnail[0]!, Buffer.from('third rendering')]));
  await appendFile(at(b.storagePath), 'rewritten once');
  versions.original.push(await readFile(at(b.storagePath)));
  await pause(1100);
  const third = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  assert.equal(third.images?.movedToIncrement, 2);

  // Run 4: the rewritten original rewritten again.
  await appendFile(at(b.storagePath), ', and twice');
  await pause(1100);
  const fourth = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  assert.equal(fourth.images?.movedToIncrement, 1);

  // Every version the mirror ever held and lost is kept: none overwritten by a later run that day.
  assert.deepEqual(await keptVersions(root, c.thumbnailPath), versions.thumbnail.map(sha256).sort());
  assert.deepEqual(await keptVersions(root, b.storagePath), versions.original.map(sha256).sort());
  assert.deepEqual(await keptVersions(root, a.storagePath), [sha256(versions.deleted)]);
  // The day's folder keeps each path's oldest version of the day: what recovery lays over the mirror.
  const day = join(root, second.images!.increment);
  assert.deepEqual(await readFile(join(day, c.thumbnailPath)), versions.thumbnail[0]);
  assert.deepEqual(await readFile(join(day, b.storagePath)), versions.original[0]);

  // Each run is a good backup of its own, and the journal says the latest succeeded.
  for (const run of [second, third, fourth]) {
    const manifest = JSON.parse(await readFile(join(root, layout.manifest(run.backupId)), 'utf8'));
    assert.equal(manifest.verification.passed, true, run.backupId);
    assert.deepEqual(manifest.parts, ['images']);
  }
  assert.deepEqual(await runJournal(root).then((j) => [j.outcome, j.backupId]), ['succeeded', fourth.backupId]);
  const increments = await readdir(join(root, layout.imagesIncrementsDir));
  assert.deepEqual(increments.filter((n) => n.startsWith('.')), [], 'no pending folder is left');
  assert.deepEqual(await repositoryModeViolations(root), []);

  // A run with nothing changed copies and moves nothing, and adds no catalog entry.
  const manifests = await readdir(join(root, layout.manifestsDir));
  await pause(1100);
  const idleRun = await runBackup(services, setup, 'imageBackup');
  const idle = assertSucceeded(idleRun);
  await recordHistory(services, idleRun.handle.workflowId, 'image-backup-unchanged');
  assert.equal(idle.outcome, 'unchanged');
  assert.deepEqual([idle.images?.transferred, idle.images?.movedToIncrement, idle.manifest], [0, 0, undefined]);
  assert.deepEqual(await readdir(join(root, layout.manifestsDir)), manifests);
  assert.deepEqual(await runJournal(root).then((j) => [j.outcome, j.backupId]), ['unchanged', idle.backupId]);
});

test('what a run that died before settling left aside is settled by the next run, never overwritten', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'pending leftovers', { encrypted: false });
  const root = setup.config.repository.root;
  const [a] = fixture.images.filter((i) => !i.deleted);
  assert.ok(a);
  assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  // A run of earlier today died after rsync moved a thumbnail aside, before it settled it.
  const lost = Buffer.from('the thumbnail a dead run moved aside');
  const pending = join(root, layout.imagesIncrementPending('20261130_010000'));
  await mkdir(join(pending, a.thumbnailPath, '..'), { recursive: true, mode: 0o700 });
  await writeFile(join(pending, a.thumbnailPath), lost, { mode: 0o600 });
  // And the next run replaces the same thumbnail once more.
  const before = await readFile(join(fixture.storageRoot, a.thumbnailPath));
  await appendFile(join(fixture.storageRoot, a.thumbnailPath), 'regenerated');
  await pause(1100);
  const next = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  assert.equal(next.images?.movedToIncrement, 1);
  assert.deepEqual(await keptVersions(root, a.thumbnailPath), [sha256(before), sha256(lost)].sort());
  assert.deepEqual(await readFile(join(root, 'images/incremental/20261130', a.thumbnailPath)), lost, 'the dead run settled into its own day');
  assert.deepEqual((await readdir(join(root, layout.imagesIncrementsDir))).filter((n) => n.startsWith('.')), []);
});

test('retention expires a day and its runs\' version folders together, after imageIncrementDays', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const folders = ['20261029', '20261029_101500', '20261030', '20261030_000500', '.pending-20261029_101500', 'junk'];
  assert.deepEqual(selectExpiredIncrements(folders, now, 30), ['20261029', '20261029_101500']);
});

/**
 * Holds the repository lock as a run of `purpose` would: a workflow that is running (on a queue no
 * worker polls, so it never ends by itself) is written down as the lock's owner.
 */
async function holdLock(setup: TestSetup, purpose: string): Promise<{ handle: WorkflowHandle; release: () => Promise<void> }> {
  const handle = await services.client.workflow.start('imageBackup', {
    taskQueue: `${setup.config.temporal.taskQueue}-nobody`,
    workflowId: `${setup.config.temporal.taskQueue}-holder-${purpose.replaceAll(' ', '-')}`,
    args: [{}],
    workflowExecutionTimeout: '10 minutes',
  });
  const owner = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, purpose, acquiredAt: new Date().toISOString() };
  assert.ok(await createLock(setup.config.repository.root, owner), 'the lock was free');
  return {
    handle,
    release: async () => {
      await removeLock(setup.config.repository.root);
      await handle.terminate('test holder done');
    },
  };
}

test('an image backup started while a database backup holds the lock does nothing and is not recorded as a failed backup', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'images while dumping', { encrypted: false });
  const root = setup.config.repository.root;
  assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  const journal = await runJournal(root);
  const holder = await holdLock(setup, 'database backup');
  try {
    const refused = await runBackup(services, setup, 'imageBackup');
    const cause = rootFailure(refused.error);
    assert.equal(cause.type, 'RepositoryBusy', cause.message);
    assert.match(cause.message ?? '', /locked by database backup/);
    assert.equal((await refused.handle.describe()).typedSearchAttributes.get(BACKUP_OUTCOME), 'skipped');
    assert.deepEqual(await runJournal(root), journal, 'the journal still shows the last run that did something');
  } finally {
    await holder.release();
  }
});

// The hourly config snapshot starts at :00, the minute the nightly dump does: whichever takes the lock, the dump is not lost.
for (const [short, name] of [['images', 'an image increment'], ['config', 'a config snapshot']] as const) {
  test(`a database backup started while ${name} holds the lock waits for it, then runs under a backup id of its own`, async () => {
    const fixture = await makeFixture(services, 3);
    const setup = await makeConfig(services, fixture, `dump waits for ${short}`, { encrypted: false });
    const root = setup.config.repository.root;
    const holder = await holdLock(setup, `${short} backup`);
    const worker = await testWorker(services, setup);
    const result = await worker.runUntil(async () => {
      const handle = await services.client.workflow.start('databaseBackup', {
        taskQueue: setup.config.temporal.taskQueue,
        workflowId: `${setup.config.temporal.taskQueue}-dump`,
        args: [{ reason: 'test' }],
        workflowExecutionTimeout: '5 minutes',
      });
      const startedAt = (await handle.describe()).startTime;
      // Still waiting, not refused, after the first look at the lock.
      await pause(3000);
      const waiting = await handle.describe();
      assert.equal(waiting.status.name, 'RUNNING');
      assert.equal(waiting.typedSearchAttributes.get(BACKUP_OUTCOME), 'running');
      await holder.release();
      return { startedAt, result: await handle.result() };
    });
    if (short === 'images') await recordHistory(services, `${setup.config.temporal.taskQueue}-dump`, 'database-backup-waited-for-images');
    assert.equal(result.result.outcome, 'succeeded');
    // Dated when it took the lock, after at least one pause: never the image run's id.
    assert.ok(backupTime(result.result.backupId).getTime() >= result.startedAt.getTime() - 1000 + LOCK_POLL_MS, `${result.result.backupId} after ${result.startedAt.toISOString()}`);
    const manifest = JSON.parse(await readFile(join(root, layout.manifest(result.result.backupId)), 'utf8'));
    assert.deepEqual([manifest.parts, manifest.verification.passed], [['database'], true]);
    assert.deepEqual(await runJournal(root).catch(() => undefined), undefined, 'no image run recorded');
  });
}

test('the daily retention run started while an image increment holds the lock waits for it instead of being refused', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'retention waits for images', { encrypted: false });
  assertSucceeded(await runBackup(services, setup, 'databaseBackup'));
  const holder = await holdLock(setup, 'images backup');
  const worker = await testWorker(services, setup);
  const outcome = await worker.runUntil(async () => {
    const handle = await services.client.workflow.start('applyRetention', {
      taskQueue: setup.config.temporal.taskQueue,
      workflowId: `${setup.config.temporal.taskQueue}-retention`,
      args: [{}],
      workflowExecutionTimeout: '5 minutes',
    });
    await pause(3000);
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'still waiting for the image run, not refused');
    await holder.release();
    return handle.result();
  });
  assert.ok(outcome, 'retention ran once the image run let go of the lock');
});

test('with pitr.enabled the images schedule runs every ten minutes off the full hour, never two at once; a cron the user gives is kept', async () => {
  const fixture = await makeFixture(services, 1);
  const setup = await makeConfig(services, fixture, 'frequent images schedule', { encrypted: false });
  const withPitr = (schedules?: unknown) => parseConfig({ ...setup.config, schedules: schedules ?? { timezone: 'UTC' }, pitr: { enabled: true } }, 'test');
  assert.deepEqual(withPitr().schedules.images, { cron: '5-55/10 * * * *' });
  assert.deepEqual(withPitr({ images: { cron: '0 * * * *' } }).schedules.images, { cron: '0 * * * *' });
  assert.equal(withPitr({ images: null }).schedules.images, null);
  assert.deepEqual(parseConfig({ ...setup.config, schedules: { timezone: 'UTC' } }, 'test').schedules.images, { cron: '30 3 * * *' });

  // The Temporal server reads the expression as meant, and skips a run while the last one goes on.
  const config = withPitr();
  const images = desiredSchedules(config).find((o) => o.scheduleId === scheduleId(config, 'images'));
  assert.ok(images);
  const handle = await services.client.schedule.create({ ...images, state: { ...images.state, paused: true } });
  try {
    const described = await handle.describe();
    assert.equal(described.policies.overlap, ScheduleOverlapPolicy.SKIP);
    const next = described.info.nextActionTimes.slice(0, 3);
    assert.ok(next.length === 3 && next.every((t) => t.getUTCMinutes() % 10 === 5 && t.getUTCSeconds() === 0), next.map((t) => t.toISOString()).join(', '));
    assert.deepEqual([next[1]!.getTime() - next[0]!.getTime(), next[2]!.getTime() - next[1]!.getTime()], [600_000, 600_000]);
  } finally {
    await handle.delete();
  }
});
