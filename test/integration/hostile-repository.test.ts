// Covers the data-loss defects found by hostile input (issue 16, items 1, 2, 3 and 6): retention
// and a manifest from the future (activities/retention.ts, core/gfs-retention.ts), overlapping
// repository and storage roots (config/load.ts, activities/plan.ts), the staging area of a
// terminated run (activities/repository-lock.ts), and health and status checking the artifacts
// they report (activities/health.ts, client/status.ts), against the real Temporal server and
// PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exists } from '../../repository/fs-durable.js';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, rootFailure, runBackup, runCli, runWorkflow, testWorker, type TestSetup } from '../helpers.js';
import { gatherHealthFacts } from '../../activities/health.js';
import { collectStatus, formatStatus } from '../../client/status.js';
import type { BackupResult } from '../../core/backup-result.js';
import { evaluateHealth } from '../../core/health.js';
import { manifestSchema, type Manifest } from '../../core/manifest.js';
import { backupIdFor, backupTime } from '../../repository/layout.js';
import type { RetentionReport } from '../../workflows/retention.js';

const services = useServices();

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readManifest(root: string, rel: string): Promise<Manifest> {
  return manifestSchema.parse(JSON.parse(await readFile(join(root, rel), 'utf8')));
}

/** A manifest like `real` under another backup id, its dump at that id's name (written or not). */
async function writeLookalike(root: string, real: Manifest, id: string, opts: { copyDump: boolean }): Promise<string> {
  const dumpPath = `db/${real.source.name}_${id}.dump`;
  if (opts.copyDump) await copyFile(join(root, real.database!.artifact.path), join(root, dumpPath));
  const m = {
    ...real,
    backupId: id,
    database: { ...real.database!, artifact: { ...real.database!.artifact, path: dumpPath } },
    config: real.config.map((c) => ({ ...c, changed: false })),
  };
  await writeFile(join(root, 'manifests', `${id}.json`), JSON.stringify(m));
  return dumpPath;
}

test('retention counts only backups whose dumps exist: a future-dated manifest without its dump takes no slot, is kept and reported, and the real dumps the policy promises survive', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'future manifest', {
    encrypted: false,
    overrides: (raw) => {
      raw.retention = { daily: 2, weekly: 0, monthly: 0 };
      raw.schedules = { timezone: 'UTC' };
    },
  });
  const root = setup.config.repository.root;
  const first = assertSucceeded(await runBackup(services, setup));
  const real = await readManifest(root, first.manifest!);
  // A real backup two days earlier, with its own dump, as a restored repository holds.
  const older = backupIdFor(new Date(backupTime(first.backupId).getTime() - 2 * 86_400_000));
  await writeLookalike(root, real, older, { copyDump: true });
  // A manifest two hours ahead whose dump was never written (clock skew, tampering).
  const future = backupIdFor(new Date(Date.now() + 2 * 3_600_000));
  await writeLookalike(root, real, future, { copyDump: false });

  await pause(1100);
  const run = await runBackup(services, setup);
  const second = assertSucceeded(run);
  // Daily 2: the newest day (the run just made) and the day before it that has a real dump; the
  // first run also stays, as the one that took the config snapshot.
  const sameDay = first.backupId.slice(0, 8) === second.backupId.slice(0, 8);
  const keptReal = sameDay ? [second.backupId, first.backupId, older] : [second.backupId, first.backupId];
  const manifests = (await readdir(join(root, 'manifests'))).map((n) => n.replace('.json', '')).sort();
  assert.deepEqual(manifests, [...keptReal, future].sort(), 'the real dumps the policy promises survive; the future manifest is left alone');
  const dumps = await readdir(join(root, 'db'));
  for (const id of keptReal) assert.ok(dumps.includes(`promptbox_${id}.dump`), `${id}'s dump survives`);

  const report = await services.client.workflow.getHandle<() => Promise<RetentionReport>>(`${run.handle.workflowId}-retention`).result();
  assert.ok(!report.keep.some((k) => k.backupId === future), 'the future manifest is not counted as kept');
  const ignored = report.ignored.find((i) => i.backupId === future);
  assert.match(ignored?.reason ?? '', /missing.*dated in the future/);
  assert.ok(second.warnings.some((w) => w.includes(future) && w.includes('dated in the future')), second.warnings.join('\n'));
});

test('a repository root inside, equal to or containing the storage root, also through a symlink, is refused naming both fields: by the plan on the worker (ConfigInvalid) and by the CLI at load time (exit 3)', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'overlapping roots', { encrypted: false });
  const storage = fixture.storageRoot;
  const link = join(services.dir, 'storage-link');
  await symlink(storage, link);
  const withRoot = (root: string): TestSetup => ({ ...setup, config: { ...setup.config, repository: { root } } });

  for (const root of [join(storage, 'backup'), storage, join(link, 'backup'), dirname(storage)]) {
    const run = await runBackup(services, withRoot(root));
    const cause = rootFailure(run.error);
    assert.equal(cause.type, 'ConfigInvalid', `${root}: ${cause.type} ${cause.message}`);
    assert.match(cause.message, /repository\.root/, root);
    assert.match(cause.message, /source\.storage\.root/, root);
    // Refused before the repository is laid out: no dump, staging area or mirror lands in the storage.
    for (const part of ['db', '.staging', 'images']) assert.ok(!(await exists(join(root, part))), `${root}/${part} was created`);
  }

  const cli = await runCli(services, withRoot(join(link, 'backup')), ['health']);
  assert.equal(cli.exitCode, 3, cli.stderr);
  assert.match(cli.stderr, /repository\.root .* is inside source\.storage\.root/);
});

test('a terminated backup leaves no plaintext dump behind: the next run takes over its lock and removes its staging area', async () => {
  const fixture = await makeFixture(services, 40);
  const setup = await makeConfig(services, fixture, 'terminated staging');
  const root = setup.config.repository.root;
  const taskQueue = setup.config.temporal.taskQueue;
  const worker = await testWorker(services, setup);
  const handle = await services.client.workflow.start('fullBackup', {
    taskQueue,
    workflowId: `${taskQueue}-terminated`,
    args: [{ reason: 'terminated by the operator' }],
    workflowExecutionTimeout: '5 minutes',
  });
  // Terminated once the dump is in staging: the run's own clean-up never runs.
  await worker.runUntil(async () => {
    for (let i = 0; i < 1200; i += 1) {
      const events = (await handle.fetchHistory()).events ?? [];
      const dumpScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'dumpDatabase');
      if (dumpScheduled && events.some((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(dumpScheduled.eventId))) {
        await handle.terminate('stopped by the operator');
        return;
      }
      await pause(25);
    }
    throw new Error('the dump never completed');
  });
  const [left] = await readdir(join(root, '.staging'));
  assert.ok(left && (await readdir(join(root, '.staging', left))).includes('db.dump'), 'the terminated run left its plaintext dump in staging');

  await pause(1100);
  assertSucceeded(await runBackup(services, setup));
  assert.deepEqual(await readdir(join(root, '.staging')), [], 'no staging area is left');
  assert.ok(!(await readdir(root)).includes('.lock'), 'the lock is released');
});

test('health and status trust only artifacts on disk: a deleted newest dump is critical, a dump symlinked to /etc/passwd is never the latest good, invalid manifests are reported', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'trust artifacts', { encrypted: false });
  const root = setup.config.repository.root;
  const first = assertSucceeded(await runBackup(services, setup));
  await pause(1100);
  const newest = assertSucceeded(await runWorkflow<BackupResult>(services, setup, 'databaseBackup', [{ skipRetention: true }]));
  const newestDump = newest.artifacts.find((a) => a.kind === 'dump')!.path;
  const healthy = evaluateHealth(await gatherHealthFacts(setup.config), setup.config.health);
  assert.equal(healthy.status, 'ok', healthy.summary);

  await unlink(join(root, newestDump));
  const cli = await runCli(services, setup, ['health', '--verbose']);
  assert.equal(cli.exitCode, 2, cli.stdout + cli.stderr);
  assert.match(cli.stdout, new RegExp(`^CRITICAL: backup artifacts: ${newest.backupId}: ${newestDump}: missing`, 'm'));

  await writeFile(join(root, 'manifests', '20260101_000000.json'), '{ "formatVersion": 1, "backupId": ');
  await symlink('/etc/passwd', join(root, newestDump));
  const report = evaluateHealth(await gatherHealthFacts(setup.config), setup.config.health);
  assert.equal(report.status, 'critical');
  assert.match(report.summary, new RegExp(`${newestDump}: is a symbolic link`));
  assert.ok(report.checks.some((c) => c.name === 'invalid manifests' && c.status === 'warning' && c.detail.includes('20260101_000000.json')), report.summary);
  assert.ok(report.checks.some((c) => c.name === 'newest dump age' && c.detail.startsWith(first.backupId)), 'the newest trusted dump is the earlier one');

  const status = await collectStatus(services.client, setup.config, 10);
  assert.equal(status.latestGood?.backupId, first.backupId);
  assert.ok(status.untrusted.some((u) => u.backupId === newest.backupId && /symbolic link/.test(u.reason)), JSON.stringify(status.untrusted));
  const text = formatStatus(status);
  assert.match(text, new RegExp(`Latest good backup: ${first.backupId}`));
  assert.match(text, new RegExp(`not trusted ${newest.backupId}: ${newestDump}: is a symbolic link`));
  assert.match(text, /invalid manifest .*20260101_000000\.json/);
});
