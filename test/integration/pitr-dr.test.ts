// Covers: drRecovery with `backup.walTo` (workflows/dr-runbook.ts, activities/dr.ts,
// activities/dr-wal-restore.ts, activities/wal-recovery.ts, core/dr-report.ts): a quarterly-style
// drill of the real Prompt Box recovered to a moment from the WAL archive, on real PostgreSQL 16
// and real Temporal. The app runs on a cluster of its own (the archiver streams a whole cluster),
// its role allowed to replicate; a worker process runs the archiver, the backups and the recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import sharp from 'sharp';
import { useServices } from '../harness.js';
import { makeConfig, recordHistory, rootFailure, type TestSetup } from '../helpers.js';
import { useWorkerProcesses, whileRunning } from '../worker-process.js';
import { pgCtlArgv, startPostgresCluster, type PostgresCluster } from '../../local/postgres-cluster.js';
import { freePort } from '../../local/ports.js';
import { checklistPassed } from '../../core/checklist.js';
import type { DrReport } from '../../core/dr-report.js';
import { makeSandbox } from '../../fixtures/dr-sandbox.js';
import { clusterRows, createRealPromptBox, generatedPng, login, waitUntil, type RealPromptBox } from '../../fixtures/real-promptbox.js';
import { seededRandom } from '../../fixtures/promptbox.js';

const services = useServices();
const startWorker = useWorkerProcesses(services);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The rows a recovery must bring back exactly: every image with what the app's API changes. */
const IMAGE_ROWS = 'select id, file_hash, storage_path, thumbnail_path, rating, deleted_at is not null from images order by id';

async function sandboxRows(port: number, sql: string): Promise<string[][]> {
  const { stdout } = await execa('psql', ['-X', '-A', '-t', '-F', '\t', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'promptbox', '-c', sql], { env: { PGPASSWORD: 'sandbox-super' } });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

/** Drops a new PNG into the app's import folder (written aside, renamed in) and waits until the app has imported it. */
async function importThroughApp(app: RealPromptBox, cluster: PostgresCluster, png: Buffer, name: string): Promise<void> {
  const before = Number((await clusterRows(cluster, app.database.name, 'select count(*) from images'))[0]?.[0]);
  const partial = join(app.appDir, `${name}.partial`);
  await writeFile(partial, png);
  await rename(partial, join(app.importDir, `${name}.png`));
  await waitUntil(`${name} imported by the app`, 120_000, async () => Number((await clusterRows(cluster, app.database.name, 'select count(*) from images'))[0]?.[0]) === before + 1);
}

async function api(app: RealPromptBox, cookie: string, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(new URL(path, app.appUrl), { method, headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  assert.ok(res.ok, `${method} ${path} answered ${res.status}: ${await res.text()}`);
}

test('a drill recovers the real Prompt Box to a moment T from the WAL archive: exactly the rows committed before T, every image they reference, and the checklist passes', { timeout: 900_000 }, async () => {
  const source = await startPostgresCluster({ dir: join(services.dir, 'pitr-dr-source'), port: await freePort(), superPassword: 'pitr-dr-superuser-pw' });
  services.defer(() => source.stop());
  const app = await createRealPromptBox({ dir: join(services.dir, 'pitr-dr-app'), cluster: source, images: 6, softDeleted: 1, seed: 151, dbName: 'pitrapp' });
  services.defer(app.stop);
  // The backup user streams WAL too (activities/wal-prerequisites.ts names this change).
  await clusterRows(source, 'postgres', 'alter role pitrapp replication');
  const setup: TestSetup = await makeConfig(services, app, 'pitr dr drill', {
    overrides: (c) => {
      c.pitr = { enabled: true, slot: 'pitr_dr_drill', streamFor: '30s', heartbeat: '3s', maxRetryInterval: '1s' };
    },
  });
  const queue = setup.config.temporal.taskQueue;
  (await startWorker(setup, 'pitr-dr-drill'))();
  const run = async <R>(type: string, id: string, args: unknown[] = []): Promise<R> =>
    services.client.workflow.execute<(...a: unknown[]) => Promise<R>>(type, { taskQueue: queue, workflowId: `${queue}-${id}`, args, workflowExecutionTimeout: '10 minutes' }).catch((err) => {
      throw new Error(`${type}: ${rootFailure(err).type ?? ''} ${rootFailure(err).message}`);
    });

  const archiverId = `${queue}-archiver`;
  const archiver = await services.client.workflow.start('walArchiver', { taskQueue: queue, workflowId: archiverId });
  services.defer(() => archiver.terminate('test over').catch(() => undefined));
  await whileRunning(services, archiverId, 'walStream', true);
  await run('fullBackup', 'full', [{ reason: 'test' }]); // the dump, the image mirror and the config (.env) the recovery restores
  await run('baseBackup', 'base');

  // Writes through the app before T: a new image imported, a rating changed.
  const random = seededRandom(7);
  const cookie = await login(app.appUrl, app.adminUsername, app.secrets.adminPassword);
  const live = (await clusterRows(source, 'pitrapp', 'select id, storage_path from images where deleted_at is null order by file_hash')).map(([id, path]) => ({ id: id!, path: path! }));
  const [rated, purged] = live as [{ id: string; path: string }, { id: string; path: string }];
  await importThroughApp(app, source, await generatedPng(50, random), 'before-t');
  await api(app, cookie, 'PATCH', `/api/images/${rated.id}`, { rating: 4 });
  const atT = await clusterRows(source, 'pitrapp', IMAGE_ROWS);
  await sleep(500);
  const pointInTime = new Date().toISOString();
  await sleep(500);

  // After T: the rating changed again, an image that existed at T deleted for good (its files
  // leave the storage), another imported; then an image backup, whose mirror no longer has the
  // deleted image's files (they move into the day's increment).
  await api(app, cookie, 'PATCH', `/api/images/${rated.id}`, { rating: 1 });
  await api(app, cookie, 'DELETE', `/api/images/${purged.id}?permanent=true`);
  assert.ok(!existsSync(join(app.storageRoot, purged.path)), 'the permanent delete removed the original from the source storage');
  await importThroughApp(app, source, await generatedPng(51, random), 'after-t');
  await run('imageBackup', 'images-after-t', [{ reason: 'test' }]);
  assert.ok(!existsSync(join(setup.config.repository.root, 'images/current', purged.path)), 'the mirror no longer has the purged original');
  const afterT = await clusterRows(source, 'pitrapp', IMAGE_ROWS);
  assert.notDeepEqual(afterT, atT, 'the writes after T changed the images table');

  // The source is destroyed without warning: a crash, then its data directory gone.
  await app.stop();
  const [pgCtl, ...stopArgs] = pgCtlArgv({ dir: source.dir, port: source.port }, 'stop');
  await execa(pgCtl as string, stopArgs.map((a) => (a === 'fast' ? 'immediate' : a)));
  await rm(join(source.dir, 'data'), { recursive: true, force: true });
  await sleep(3_000); // the archiver's attempt fails and archives what it completed
  await archiver.terminate('source destroyed');

  const sandbox = await makeSandbox(app, services.dir, 'pitr-dr');
  try {
    const input = { ...sandbox.input, backup: { walTo: pointInTime }, budgets: { ...sandbox.input.budgets, restoreDatabase: '3m' } };
    const report = await run<DrReport>('drRecovery', 'dr', [input]);
    assert.equal(report.outcome, 'succeeded', JSON.stringify(report.steps, null, 1));
    assert.ok(checklistPassed(report.checklist), JSON.stringify(report.checklist, null, 1));
    await recordHistory(services, `${queue}-dr`, 'dr-recovery-wal');

    // Exactly the rows committed before T, row by row: the image imported after T absent, the
    // purged one back, the rating as it was at T.
    assert.deepEqual(await sandboxRows(sandbox.port, IMAGE_ROWS), atT, `the images table as it was at ${pointInTime}`);
    const pitr = report.rpo.pointInTime;
    assert.ok(pitr?.databaseReachedAt && pitr.databaseReachedAt < pointInTime, `database reached ${pitr?.databaseReachedAt}, before ${pointInTime}`);
    assert.ok(pitr.databaseRpoMs !== undefined && pitr.databaseRpoMs < 60_000, `database RPO ${pitr.databaseRpoMs} ms`);
    assert.equal(pitr.imagesRpoMs, 0, 'an image backup started after T: the images lose nothing');
    assert.match(report.rpo.verdict, /^RPO met: database recovered to .* before the target .*; images as of the image backup started .*after it: none lost/);
    assert.match(report.checklist.find((c) => c.item === 'database restored')?.evidence ?? '', /in a scratch cluster/);

    // Every image the recovered database references is in the storage, intact and decodable; the
    // purged one came from the increment.
    assert.ok((report.images.increments ?? []).length >= 1, `increments laid over the mirror: ${report.images.increments}`);
    for (const [, fileHash, storagePath, thumbnailPath] of atT) {
      const original = await readFile(join(sandbox.storageRoot, storagePath!));
      assert.equal(createHash('sha256').update(original).digest('hex'), fileHash, storagePath);
      assert.equal((await sharp(original).metadata()).width, app.imageSize, `${storagePath} decodes`);
      assert.equal((await sharp(await readFile(join(sandbox.storageRoot, thumbnailPath!))).metadata()).format, 'webp', thumbnailPath);
    }
    const served = await fetch(new URL(`/storage/${purged.path}`, sandbox.appUrl));
    assert.equal(served.status, 200, 'the app serves the original deleted after T');

    // The scratch cluster is gone: no server, no directory.
    assert.deepEqual((await readdir(tmpdir())).filter((n) => n.startsWith(`promptbox-backup-dr-${queue}`)), []);
  } finally {
    await sandbox.stop();
  }
});
