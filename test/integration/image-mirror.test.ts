// Covers: activities/rsync.ts against real backup runs (Temporal dev server, PostgreSQL 16, rsync):
// sparse files stay sparse, the day's increment keeps the repository's modes, and the mirror is
// flushed to disk before the manifest vouches for it; an image run checks the mirror in its image
// step; name/hash mismatches are counted, not listed whole; an empty source over a filled mirror
// is refused (core/empty-source.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, recordHistory, rootFailure, runBackup, repositoryModeViolations } from '../helpers.js';
import { NAMES_IN_PAYLOAD } from '../../core/bounded-names.js';

const services = useServices();

test('a sparse file in the storage is mirrored with about as many blocks as the source, not expanded', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'sparse mirror', { encrypted: false });
  const sparse = join(fixture.storageRoot, 'sparse.bin');
  await execa('truncate', ['-s', '1G', sparse]);
  await appendFile(sparse, 'data after the hole');
  const source = await stat(sparse);
  assert.ok(source.blocks * 512 < 1024 * 1024, `the source is sparse (${source.blocks} blocks)`);

  const result = assertSucceeded(await runBackup(services, setup));
  const mirrored = await stat(join(setup.config.repository.root, result.images!.mirror, 'sparse.bin'));
  assert.equal(mirrored.size, source.size);
  // A few blocks of slack: file systems may allocate the tail differently. Expanded, it would be 2 Mi blocks.
  assert.ok(mirrored.blocks <= source.blocks + 64, `mirror ${mirrored.blocks} blocks of 512 bytes, source ${source.blocks}`);
});

test("the day's increment a run moves files into is 0700, like every directory of the repository", async () => {
  const fixture = await makeFixture(services, 4);
  const setup = await makeConfig(services, fixture, 'increment modes', { encrypted: false });
  const root = setup.config.repository.root;
  assertSucceeded(await runBackup(services, setup));
  const [modified, deleted] = fixture.images.filter((i) => !i.deleted);
  assert.ok(modified && deleted);
  await appendFile(join(fixture.storageRoot, modified.storagePath), 'changed');
  await unlink(join(fixture.storageRoot, deleted.storagePath));
  await new Promise((r) => setTimeout(r, 1100)); // backup ids have one-second resolution
  const second = assertSucceeded(await runBackup(services, setup));
  assert.equal(second.images!.movedToIncrement, 2);

  assert.deepEqual(await repositoryModeViolations(root), []);
  assert.equal((await stat(join(root, second.images!.increment))).mode & 0o777, 0o700);
});

// What this proves: within the image step, after rsync started (the activity awaits its end
// first), the worker ran `sync --file-system` (syncfs) on the mirror and the increment, it
// succeeded (a failure fails the step), and the manifest was written after it. It cannot prove
// the data survives a power cut: that needs a crash of the machine, not of a process.
test('the image mirror is flushed to disk after rsync and before the manifest is written', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'mirror flush order', { encrypted: false });
  const root = setup.config.repository.root;
  const logStart = (await stat(services.logFile)).size;
  const result = assertSucceeded(await runBackup(services, setup));

  const lines = (await readFile(services.logFile, 'utf8')).slice(logStart).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
  const index = (what: string, match: (l: Record<string, any>) => boolean) => {
    const i = lines.findIndex(match);
    assert.ok(i >= 0, `${what} is in the worker log`);
    return i;
  };
  const mirror = join(root, result.images!.mirror);
  const rsync = index('rsync', (l) => l.msg === 'run' && l.cmd === 'rsync' && l.args?.includes(`${mirror}/`));
  const flush = index('the flush', (l) => l.msg === 'run' && l.cmd === 'sync');
  assert.deepEqual(lines[flush]!.args, ['--file-system', mirror, join(root, result.images!.increment)]);
  const synced = index('the end of the image step', (l) => l.msg === 'images synced' && l.backupId === result.backupId);
  const committed = index('the commit', (l) => l.msg === 'backup committed' && l.backupId === result.backupId);
  assert.ok(rsync < flush && flush < synced && synced < committed, `rsync at line ${rsync}, flush ${flush}, image step done ${synced}, manifest written ${committed}`);
});

test('150 copied files whose content does not match their hash name are all counted in the warning, the result naming only the first ones', async () => {
  const fixture = await makeFixture(services, 2);
  const setup = await makeConfig(services, fixture, 'many hash mismatches', { encrypted: false });
  for (let i = 0; i < 150; i += 1) {
    const name = createHash('sha256').update(`named ${i}`).digest('hex');
    await mkdir(join(fixture.storageRoot, name.slice(0, 2), name.slice(2, 4)), { recursive: true });
    await writeFile(join(fixture.storageRoot, name.slice(0, 2), name.slice(2, 4), `${name}.png`), `other content ${i}`);
  }
  // Image problems are warnings (the source's own state), not a failed backup: the dump stays good.
  const run = await runBackup(services, setup);
  assert.match(assertSucceeded(run).warnings.join('\n'), /images\/current: image mirror: 150 problem\(s\)/);
  // What the image step handed the workflow, as the server recorded it.
  const events = (await run.handle.fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncImages')!;
  const completed = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(scheduled.eventId))!;
  const sync = JSON.parse(Buffer.from(completed.activityTaskCompletedEventAttributes!.result!.payloads![0]!.data!).toString('utf8')) as { nameHashMismatches: string[]; nameHashMismatchCount?: number };
  assert.deepEqual([sync.nameHashMismatches.length, sync.nameHashMismatchCount], [NAMES_IN_PAYLOAD, 150]);
});

test('live images whose original is gone from storage, or has another size than the database says, are named in the warning in storage path order; the backup stays good', async () => {
  const fixture = await makeFixture(services, 6);
  const setup = await makeConfig(services, fixture, 'mirror misses images', { encrypted: false });
  const [gone, , shrunk, , alsoGone] = fixture.images;
  await unlink(join(fixture.storageRoot, gone!.storagePath));
  await unlink(join(fixture.storageRoot, alsoGone!.storagePath));
  await writeFile(join(fixture.storageRoot, shrunk!.storagePath), 'not the image the database describes');
  const warnings = assertSucceeded(await runBackup(services, setup)).warnings.join('\n');
  // The database lists live images by storage path.
  const expected = [
    { path: gone!.storagePath, says: 'missing' },
    { path: shrunk!.storagePath, says: '36 bytes, database says ' },
    { path: alsoGone!.storagePath, says: 'missing' },
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  // The rewritten original also no longer hashes to its name: a fourth problem.
  assert.match(warnings, /images\/current: image mirror: 4 problem\(s\)/);
  const at = expected.map((e) => warnings.indexOf(`${e.path} (${e.says}`));
  assert.ok(at.every((i) => i >= 0) && at[0]! < at[1]! && at[1]! < at[2]!, warnings);
});

test('an image increment checks the mirror against the database in its image step and writes its manifest locally: a live image gone from storage is warned about', async () => {
  const fixture = await makeFixture(services, 4);
  const setup = await makeConfig(services, fixture, 'image run checks its mirror', { encrypted: false });
  const [gone] = fixture.images.filter((i) => !i.deleted);
  await unlink(join(fixture.storageRoot, gone!.storagePath));
  const run = await runBackup(services, setup, 'imageBackup');
  const result = assertSucceeded(run);
  assert.match(result.warnings.join('\n'), new RegExp(`images/current: image mirror: 1 problem\\(s\\): ${gone!.storagePath} \\(missing\\)`));
  // The check is the image step's own, and the manifest is written by a local activity: one step
  // goes through the server.
  const scheduled = ((await run.handle.fetchHistory()).events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  assert.deepEqual(scheduled, ['syncImages']);
  assert.deepEqual(result.timings.map((t) => t.step), ['sync images', 'commit', 'retention']);
  await recordHistory(services, run.handle.workflowId, 'image-backup-checked-in-image-step');
});

test('a full backup whose images did not change still checks the mirror against the database', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'unchanged images still checked', { encrypted: false });
  assertSucceeded(await runBackup(services, setup));
  await new Promise((r) => setTimeout(r, 1100)); // a new backup id
  const secondRun = await runBackup(services, setup);
  const second = assertSucceeded(secondRun);
  assert.equal(second.images!.transferred, 0);
  assert.ok(second.verification.some((c) => c.check === 'image mirror' && c.ok && /live images present/.test(c.detail)), JSON.stringify(second.verification));
  await recordHistory(services, secondRun.handle.workflowId, 'full-backup-mirror-checked-in-image-step');
});

test('a storage directory that is empty after a good backup (a volume that did not mount) is refused naming the field; the mirror is not moved into an increment', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'empty storage root', { encrypted: false });
  const root = setup.config.repository.root;
  const good = assertSucceeded(await runBackup(services, setup, 'imageBackup'));
  const mirrored = (await readdir(join(root, 'images/current'), { recursive: true })).sort();
  // The mount point stays, empty, as it does when the volume behind it is not mounted.
  await rename(fixture.storageRoot, `${fixture.storageRoot}.unmounted`);
  await mkdir(fixture.storageRoot);
  await new Promise((r) => setTimeout(r, 1_100)); // a new backup id

  const run = await runBackup(services, setup, 'imageBackup');
  const cause = rootFailure(run.error);
  assert.equal(cause.type, 'SourceMissing', cause.message);
  assert.match(cause.message ?? '', new RegExp(`^source\\.storage\\.root: directory ${fixture.storageRoot} is empty but the image mirror holds files`));
  assert.deepEqual((await readdir(join(root, 'images/current'), { recursive: true })).sort(), mirrored, 'the mirror is untouched');
  const incremented = (await readdir(join(root, 'images/incremental'), { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory());
  assert.deepEqual(incremented, [], 'nothing was moved into an increment');
  assert.deepEqual(await readdir(join(root, 'manifests')), [`${good.backupId}.json`]);
});
