// Covers: workflows/full-backup.ts, activities/{postgres,rsync,config-snapshot,encrypt,verify,commit}.ts
// against a real Temporal dev server and a real PostgreSQL cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, readFile, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, runBackup, sqlRows } from '../helpers.js';
import { manifestSchema } from '../../core/manifest.js';
import { backupIdFor } from '../../core/repository-layout.js';
import { temporalCli } from '../../client/local/temporal-dev-server.js';

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
  if (process.env.RECORD_HISTORIES) {
    // Refreshes the history that test/unit/replay.test.ts replays (after a deliberate workflow change).
    const shown = await execa(temporalCli(), ['workflow', 'show', '--address', services.temporal.address, '--workflow-id', run.handle.workflowId, '--output', 'json']);
    await writeFile(new URL('../histories/full-backup.json', import.meta.url), shown.stdout);
  }

  const manifest = manifestSchema.parse(JSON.parse(await readFile(join(root, result.manifest), 'utf8')));
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

  // Thumbnails are excluded; originals are mirrored byte for byte.
  const mirrored = await listFiles(join(root, 'images/current'));
  const originals = await listFiles(join(fixture.storageRoot, 'original'));
  assert.deepEqual(mirrored, originals.map((p) => `original/${p}`));

  // Restore: decrypt, pg_restore into a fresh database, compare with the source.
  const plain = join(root, 'restored.dump');
  await execa('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-file', setup.passphraseFile!, '--output', plain, '--decrypt', join(root, manifest.database.artifact.path)]);
  await execa('createdb', ['restored_full'], { env: services.postgres.env });
  await execa('pg_restore', ['--no-owner', '-d', 'restored_full', plain], { env: services.postgres.env });
  const countsSql = `select 'images', count(*) from images union all select 'image_events', count(*) from image_events union all select 'showcase_images', count(*) from showcase_images union all select 'hashes', count(distinct file_hash) from images order by 1`;
  assert.deepEqual(await sqlRows(services, 'restored_full', countsSql), await sqlRows(services, fixture.database.name, countsSql));
  const hashesSql = 'select file_hash, deleted_at is not null from images order by 1';
  assert.deepEqual(await sqlRows(services, 'restored_full', hashesSql), await sqlRows(services, fixture.database.name, hashesSql));
  assert.equal(manifest.database.tables.images, fixture.images.length);
});

test('a second run moves modified and deleted originals into that day\'s increment and leaves images/current identical to the source', async () => {
  const fixture = await makeFixture(services);
  const setup = await makeConfig(services, fixture, 'incremental images', { encrypted: false });
  assertSucceeded(await runBackup(services, setup));
  const root = setup.config.repository.root;

  const [modified, deleted] = fixture.images.filter((i) => !i.deleted);
  assert.ok(modified && deleted);
  const modifiedBefore = await readFile(join(fixture.storageRoot, modified.storagePath));
  const deletedBefore = await readFile(join(fixture.storageRoot, deleted.storagePath));
  await appendFile(join(fixture.storageRoot, modified.storagePath), 'tampered');
  await unlink(join(fixture.storageRoot, deleted.storagePath));
  await sqlRows(services, fixture.database.name, `update images set deleted_at = now() where id = '${deleted.id}'`);
  await new Promise((r) => setTimeout(r, 1100)); // backup ids have one-second resolution

  const second = assertSucceeded(await runBackup(services, setup));
  const increment = join(root, second.images.increment);
  assert.deepEqual(await readFile(join(increment, modified.storagePath)), modifiedBefore);
  assert.deepEqual(await readFile(join(increment, deleted.storagePath)), deletedBefore);
  assert.equal(second.images.movedToIncrement, 2);

  const mirror = join(root, 'images/current');
  const source = join(fixture.storageRoot, 'original');
  const mirroredFiles = await listFiles(join(mirror, 'original'));
  assert.deepEqual(mirroredFiles, await listFiles(source));
  for (const rel of mirroredFiles) {
    assert.equal(await sha256(join(mirror, 'original', rel)), await sha256(join(source, rel)), rel);
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

test('dumps older than seven days are pruned manifest first, a shared config snapshot survives, and the newest backup always stays', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'age cleanup', { encrypted: false });
  const root = setup.config.repository.root;
  const first = assertSucceeded(await runBackup(services, setup));
  const real = manifestSchema.parse(JSON.parse(await readFile(join(root, first.manifest), 'utf8')));

  // Fabricate two older backups from the real one: 10 days old (expired) and 3 days old (kept).
  // Both point at the real config snapshot, as unchanged config does.
  const fabricated: string[] = [];
  for (const daysAgo of [10, 3]) {
    const id = backupIdFor(new Date(Date.now() - daysAgo * 86_400_000));
    const dumpPath = `db/promptbox_${id}.dump`;
    await copyFile(join(root, real.database.artifact.path), join(root, dumpPath));
    const m = { ...real, backupId: id, database: { ...real.database, artifact: { ...real.database.artifact, path: dumpPath } } };
    await writeFile(join(root, 'manifests', `${id}.json`), JSON.stringify(m));
    fabricated.push(id);
  }
  const [expiredId, keptId] = fabricated as [string, string];

  await new Promise((r) => setTimeout(r, 1100));
  const second = assertSucceeded(await runBackup(services, setup));
  assert.deepEqual(second.cleanup.deletedBackups, [expiredId]);
  const manifests = (await readdir(join(root, 'manifests'))).sort();
  assert.deepEqual(manifests, [keptId, first.backupId, second.backupId].sort().map((id) => `${id}.json`));
  assert.ok(!(await readdir(join(root, 'db'))).includes(`promptbox_${expiredId}.dump`));
  assert.ok((await readdir(join(root, 'db'))).includes(`promptbox_${keptId}.dump`));
  for (const c of real.config) assert.ok((await stat(join(root, c.artifact.path))).isFile(), `${c.artifact.path} is still referenced`);
});
