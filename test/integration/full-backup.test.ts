// Covers: workflows/full-backup.ts, workflows/backup-post-commit.ts, core/backup-result.ts,
// activities/{postgres,rsync,config-snapshot,encrypt,verify,commit}.ts against a real Temporal
// dev server and a real PostgreSQL cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, readFile, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { postgresBinDir } from '../../local/postgres-cluster.js';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, recordHistory, runBackup, runWorkflow, sqlRows, repositoryModeViolations } from '../helpers.js';
import type { RetentionReport } from '../../workflows/retention.js';
import { manifestSchema } from '../../core/manifest.js';
import { backupIdFor, backupTime, layout } from '../../repository/layout.js';
import { BACKUP_RPO_SECONDS } from '../../core/search-attributes.js';

const services = useServices();

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

test('a full backup writes a manifest whose checksums match the files on disk, and the dump restores to the same rows', async () => {
  const fixture = await makeFixture(services);
  const setup = await makeConfig(services, fixture, 'full backup manifest');
  const run = await runBackup(services, setup);
  const result = assertSucceeded(run);
  const root = setup.config.repository.root;
  await recordHistory(services, run.handle.workflowId, 'full-backup');

  const manifest = manifestSchema.parse(JSON.parse(await readFile(join(root, result.manifest!), 'utf8')));
  assert.ok(manifest.database);
  assert.deepEqual(manifest.parts, ['database', 'images', 'config']);
  assert.equal(manifest.verification.passed, true);
  assert.equal(manifest.config.length, 2);
  for (const artifact of [manifest.database.artifact, ...manifest.config.map((c) => c.artifact)]) {
    const file = join(root, artifact.path);
    assert.equal(await sha256(file), artifact.sha256, `${artifact.path} sha256`);
    assert.equal((await stat(file)).size, artifact.bytes, `${artifact.path} size`);
    assert.equal((await stat(file)).mode & 0o777, 0o600, `${artifact.path} mode`);
    assert.equal(artifact.encrypted, true);
  }
  assert.match(manifest.database.artifact.path, /^db\/promptbox_\d{8}_\d{6}\.dump\.gpg$/);

  // Repository invariant: every file 0600, every directory 0700, the mirror included.
  assert.deepEqual(await repositoryModeViolations(root), []);

  // The storage root is mirrored as the app lays it out: originals and their thumbnails (the app
  // cannot regenerate a thumbnail).
  const mirrored = await listFiles(join(root, 'images/current'));
  assert.deepEqual(mirrored, await listFiles(fixture.storageRoot));
  assert.deepEqual(mirrored, fixture.images.flatMap((i) => [i.storagePath, i.thumbnailPath]).sort());

  // Restore: decrypt, pg_restore into a fresh database, compare with the source.
  const plain = join(root, 'restored.dump');
  await execa('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-file', setup.passphraseFile!, '--output', plain, '--decrypt', join(root, manifest.database.artifact.path)]);
  await execa('createdb', ['restored_full'], { env: services.postgres.env });
  // The server's own pg_restore: an older one cannot read a newer pg_dump's archive.
  await execa(join(postgresBinDir(services.postgres.major), 'pg_restore'), ['--no-owner', '-d', 'restored_full', plain], { env: services.postgres.env });
  const countsSql = `select 'images', count(*) from images union all select 'image_events', count(*) from image_events union all select 'showcase_images', count(*) from showcase_images union all select 'hashes', count(distinct file_hash) from images order by 1`;
  assert.deepEqual(await sqlRows(services, 'restored_full', countsSql), await sqlRows(services, fixture.database.name, countsSql));
  const hashesSql = 'select file_hash, deleted_at is not null from images order by 1';
  assert.deepEqual(await sqlRows(services, 'restored_full', hashesSql), await sqlRows(services, fixture.database.name, hashesSql));
  assert.equal(manifest.database.tables.images, fixture.images.length);
});

test('a run whose backup id the repository already uses (started in the second an earlier run did, or after the clock was set back) takes the next free second and overwrites nothing', async () => {
  const fixture = await makeFixture(services);
  const setup = await makeConfig(services, fixture, 'backup id in use');
  const root = setup.config.repository.root;
  // Dumps filed under the ids of the seconds around this run's start, as earlier runs of those seconds left them.
  const now = Date.now();
  const taken = [-1, 0, 1, 2, 3, 4].map((s) => backupIdFor(new Date(now + s * 1000)));
  await mkdir(join(root, 'db'), { recursive: true, mode: 0o700 });
  for (const id of taken) await writeFile(join(root, layout.dump(setup.config.source.name, id, true)), `the dump of run ${id}`, { mode: 0o600 });

  const run = await runBackup(services, setup, 'databaseBackup');
  const result = assertSucceeded(run);
  assert.ok(result.backupId > taken.at(-1)!, `${result.backupId} comes after the used ids`);
  for (const id of taken) assert.equal(await readFile(join(root, layout.dump(setup.config.source.name, id, true)), 'utf8'), `the dump of run ${id}`);
  const manifest = manifestSchema.parse(JSON.parse(await readFile(join(root, result.manifest!), 'utf8')));
  assert.equal(manifest.backupId, result.backupId);
  // Not dated after the clock: the catalog trusts it, and the run's search attribute says the id it filed under.
  assert.ok(backupTime(result.backupId).getTime() <= Date.parse(manifest.finishedAt));
  const described = await run.handle.describe();
  assert.deepEqual(described.searchAttributes.BackupId, [result.backupId]);
});

test('a second run moves modified and deleted originals into that day\'s increment and leaves images/current identical to the source', async () => {
  const fixture = await makeFixture(services);
  const setup = await makeConfig(services, fixture, 'incremental images', { encrypted: false });
  const firstRun = await runBackup(services, setup);
  const first = assertSucceeded(firstRun);
  assert.equal((await firstRun.handle.describe()).typedSearchAttributes.get(BACKUP_RPO_SECONDS), undefined, 'a first backup has no RPO figure');
  const root = setup.config.repository.root;

  const [modified, deleted] = fixture.images.filter((i) => !i.deleted);
  assert.ok(modified && deleted);
  const modifiedBefore = await readFile(join(fixture.storageRoot, modified.storagePath));
  const deletedBefore = await readFile(join(fixture.storageRoot, deleted.storagePath));
  await appendFile(join(fixture.storageRoot, modified.storagePath), 'tampered');
  await unlink(join(fixture.storageRoot, deleted.storagePath));
  await sqlRows(services, fixture.database.name, `update images set deleted_at = now() where id = '${deleted.id}'`);
  await new Promise((r) => setTimeout(r, 1100)); // backup ids have one-second resolution

  const secondRun = await runBackup(services, setup);
  const second = assertSucceeded(secondRun);
  assert.ok(second.images);
  // Its RPO figure: how old the first backup was when this one became good.
  const rpo = (await secondRun.handle.describe()).typedSearchAttributes.get(BACKUP_RPO_SECONDS);
  const firstAge = (Date.now() - backupTime(first.backupId).getTime()) / 1000;
  assert.ok(rpo !== undefined && rpo >= 1 && rpo <= firstAge + 1, `BackupRpoSeconds ${rpo}, first backup ${firstAge.toFixed(1)} s old`);
  const increment = join(root, second.images.increment);
  assert.deepEqual(await readFile(join(increment, modified.storagePath)), modifiedBefore);
  assert.deepEqual(await readFile(join(increment, deleted.storagePath)), deletedBefore);
  assert.equal(second.images.movedToIncrement, 2);

  const mirror = join(root, 'images/current');
  const mirroredFiles = await listFiles(mirror);
  assert.deepEqual(mirroredFiles, await listFiles(fixture.storageRoot));
  for (const rel of mirroredFiles) {
    assert.equal(await sha256(join(mirror, rel)), await sha256(join(fixture.storageRoot, rel)), rel);
  }
  // The tampered original no longer hashes to its name: reported, not hidden.
  assert.ok(second.warnings.some((w) => w.includes(modified.storagePath)), JSON.stringify(second.warnings));
});

test('an unchanged config produces no new snapshot; a changed one does', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'config snapshots');
  const root = setup.config.repository.root;
  const first = assertSucceeded(await runBackup(services, setup));
  assert.deepEqual(first.configChanged.sort(), ['.env', 'docker-compose.yml']);

  await new Promise((r) => setTimeout(r, 1100)); // backup ids have one-second resolution
  const second = assertSucceeded(await runBackup(services, setup));
  assert.deepEqual(second.configChanged, []);
  assert.equal((await readdir(join(root, 'config'))).length, 2);

  await writeFile(fixture.composeFile, `${await readFile(fixture.composeFile, 'utf8')}# changed\n`);
  await new Promise((r) => setTimeout(r, 1100));
  const third = assertSucceeded(await runBackup(services, setup));
  assert.deepEqual(third.configChanged, ['docker-compose.yml']);
  const snapshots = (await readdir(join(root, 'config'))).sort();
  assert.equal(snapshots.length, 3);
  assert.equal(snapshots.filter((n) => n.startsWith('docker-compose.yml.')).length, 2);
});

test('after a backup, GFS retention prunes a fabricated 40-day history, manifest first, keeping shared config snapshots and the expected dumps', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'gfs retention', {
    encrypted: false,
    overrides: (raw) => {
      raw.retention = { daily: 3, weekly: 2, monthly: 2 };
      raw.schedules = { timezone: 'UTC' };
    },
  });
  const root = setup.config.repository.root;
  const first = assertSucceeded(await runBackup(services, setup));
  const real = manifestSchema.parse(JSON.parse(await readFile(join(root, first.manifest!), 'utf8')));
  assert.ok(real.database);

  // Fabricate one backup a day at 02:00 UTC for the 40 days before today, each with its own dump
  // and pointing at the real config snapshot, as unchanged config does.
  const today = new Date(`${first.backupId.slice(0, 4)}-${first.backupId.slice(4, 6)}-${first.backupId.slice(6, 8)}T02:00:00Z`);
  const fabricated: string[] = [];
  for (let daysAgo = 1; daysAgo <= 40; daysAgo += 1) {
    const id = backupIdFor(new Date(today.getTime() - daysAgo * 86_400_000));
    const dumpPath = `db/promptbox_${id}.dump`;
    await copyFile(join(root, real.database.artifact.path), join(root, dumpPath));
    const m = {
      ...real,
      backupId: id,
      database: { ...real.database, artifact: { ...real.database.artifact, path: dumpPath } },
      config: real.config.map((c) => ({ ...c, changed: false })),
    };
    await writeFile(join(root, 'manifests', `${id}.json`), JSON.stringify(m));
    fabricated.push(id);
  }

  // A dry run deletes nothing and says, for each survivor, which rule keeps it.
  const before = (await readdir(join(root, 'manifests'))).length;
  const dry = await runWorkflow<RetentionReport>(services, setup, 'applyRetention', [{ dryRun: true }]);
  assert.ifError(dry.error);
  assert.equal((await readdir(join(root, 'manifests'))).length, before);
  assert.ok(dry.result!.wouldRemove.length > 30);
  assert.ok(dry.result!.keep.every((k) => k.reasons.length > 0));

  await new Promise((r) => setTimeout(r, 1100));
  const second = assertSucceeded(await runBackup(services, setup));
  // Expected from the calendar: daily 3 = today (the newest run), yesterday, the day before;
  // weekly 2 = today's ISO week (same run) and the Sunday that ended last week; monthly 2 = this
  // month (same run) and the last day of last month; plus the first run, which holds the newest
  // config snapshot.
  const todayUtc = Date.parse(`${second.backupId.slice(0, 4)}-${second.backupId.slice(4, 6)}-${second.backupId.slice(6, 8)}T00:00:00Z`);
  const dayId = (ms: number) => `${new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')}_020000`;
  const isoWeekday = new Date(todayUtc).getUTCDay() || 7; // Monday 1 .. Sunday 7
  const firstOfMonth = Date.parse(`${new Date(todayUtc).toISOString().slice(0, 8)}01T00:00:00Z`);
  const expected = new Set([
    second.backupId,
    first.backupId,
    dayId(todayUtc - 86_400_000),
    dayId(todayUtc - 2 * 86_400_000),
    dayId(todayUtc - isoWeekday * 86_400_000),
    dayId(firstOfMonth - 86_400_000),
  ]);
  const kept = (await readdir(join(root, 'manifests'))).map((n) => n.replace('.json', '')).sort();
  assert.deepEqual(kept, [...expected].sort());
  assert.deepEqual([...second.retention.deletedBackups].sort(), fabricated.filter((id) => !expected.has(id)).sort());
  const dumps = await readdir(join(root, 'db'));
  for (const id of fabricated) assert.equal(dumps.includes(`promptbox_${id}.dump`), expected.has(id), id);
  for (const c of real.config) assert.ok((await stat(join(root, c.artifact.path))).isFile(), `${c.artifact.path} is still referenced`);
});
