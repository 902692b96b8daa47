// Covers: workflows/full-backup.ts when the images part fails beside a good dump. In production
// the worker runs as its own user (deploy/systemd), so an original the app wrote 0600 under
// another user is unreadable to it; here the worker process runs as `nobody` for the same effect.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { useServices } from '../harness.js';
import { makeConfig, makeFixture, rootFailure } from '../helpers.js';

const services = useServices();
const root = fileURLToPath(new URL('../..', import.meta.url));
const spawned: ResultPromise[] = [];
after(async () => {
  for (const p of spawned) p.kill('SIGKILL');
});

test('one image the worker cannot read fails the images part, not the backup: the dump is kept and recorded, and the run says so', { skip: process.getuid?.() !== 0 && 'needs root to run the worker as another user' }, async () => {
  const nobody = { uid: Number(execFileSync('id', ['-u', 'nobody']).toString()), gid: Number(execFileSync('id', ['-g', 'nobody']).toString()) };
  const fixture = await makeFixture(services, 4);
  const setup = await makeConfig(services, fixture, 'unreadable image', { encrypted: false });
  // The worker's own files are the worker user's, as the systemd unit has them.
  const own = async (path: string) => chown(path, nobody.uid, nobody.gid);
  const configDir = join(setup.passwordFile, '..');
  await own(configDir);
  await own(setup.passwordFile);
  await mkdir(setup.config.repository.root, { recursive: true, mode: 0o700 });
  await own(setup.config.repository.root);
  for (const file of [fixture.envFile, fixture.composeFile]) await own(file);
  await execa('chmod', ['-R', 'a+rX', fixture.storageRoot]);
  // One original the app's user wrote for itself alone.
  const victim = fixture.images.find((i) => !i.deleted)!;
  await chmod(join(fixture.storageRoot, victim.storagePath), 0o600);
  const configFile = join(configDir, 'worker.json');
  await writeFile(configFile, JSON.stringify(setup.config), { mode: 0o600 });
  await own(configFile);

  const worker = execa('runuser', ['-u', 'nobody', '--', join(root, 'promptbox-backup'), 'worker', '--config', configFile], { reject: false, all: true, stdin: 'ignore', env: { HOME: '/tmp' } });
  spawned.push(worker);
  const handle = await services.client.workflow.start('fullBackup', {
    taskQueue: setup.config.temporal.taskQueue,
    workflowId: 'unreadable-image-backup',
    args: [{ reason: 'test' }],
    workflowExecutionTimeout: '5 minutes',
  });
  const error = await handle.result().then(() => undefined, (err: Error) => err);
  worker.kill('SIGTERM');
  await worker;
  const cause = rootFailure(error);
  assert.ok(error, 'the run fails: its images were not backed up');
  assert.match(cause.message ?? '', /^the images part failed \(.*Permission denied.*\); the database dump and config snapshot were kept and recorded as backup \d{8}_\d{6} \(parts: database, config\)$/s);

  const manifests = await readdir(join(setup.config.repository.root, 'manifests'));
  assert.equal(manifests.length, 1, 'the dump was recorded');
  const manifest = JSON.parse(await readFile(join(setup.config.repository.root, 'manifests', manifests[0]!), 'utf8')) as { parts: string[]; database: { artifact: { path: string; bytes: number } } };
  assert.deepEqual(manifest.parts, ['database', 'config']);
  assert.equal((await stat(join(setup.config.repository.root, manifest.database.artifact.path))).size, manifest.database.artifact.bytes);
});
