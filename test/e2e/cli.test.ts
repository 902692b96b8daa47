// Covers: client/cli.ts, client/demo.ts, the ./promptbox-backup wrapper: the README's main-job
// command on its embedded default, and the exit codes of core/errors.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const cli = fileURLToPath(new URL('../../promptbox-backup', import.meta.url));

test('an invalid config file exits 3 and names every bad field and the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-cli-'));
  const file = join(dir, 'bad.json');
  await writeFile(file, JSON.stringify({ source: { name: 'Bad Name', database: { transport: 'ssh' }, storage: { root: 'x' } }, repository: {} }));
  const run = await execa(cli, ['backup', '--config', file], { reject: false });
  assert.equal(run.exitCode, 3, run.stderr);
  assert.match(run.stderr, new RegExp(`invalid configuration in ${file}`));
  for (const field of ['source.name', 'source.database.transport', 'source.storage.root', 'repository.root']) {
    assert.ok(run.stderr.includes(`- ${field}:`), `${field} in ${run.stderr}`);
  }
  await rm(dir, { recursive: true, force: true });
});

test('an unknown command exits 2 with the usage', async () => {
  const run = await execa(cli, ['backpu'], { reject: false });
  assert.equal(run.exitCode, 2);
  assert.match(run.stderr, /unknown command: backpu[\s\S]*usage: promptbox-backup/);
});

test('the main job with no config backs up a demo Prompt Box on a local Temporal server, then increments on the next run', async () => {
  const home = await mkdtemp(join(tmpdir(), 'pbb-demo-'));
  await chmod(home, 0o711);
  const env = { PROMPTBOX_BACKUP_HOME: home };
  try {
    const first = await execa(cli, ['run'], { env, reject: false, timeout: 300_000 });
    assert.equal(first.exitCode, 0, first.stderr);
    assert.match(first.stdout, /verified and recorded as good/);
    assert.match(first.stdout, /ok {3}pg_restore --list/);
    assert.match(first.stdout, /new snapshot of \.env, docker-compose\.yml/);
    assert.match(first.stdout, /Web UI +http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/full-backup-promptbox-/);
    assert.equal((await readdir(join(home, 'backups', 'manifests'))).length, 1);

    const second = await execa(cli, ['run'], { env, reject: false, timeout: 300_000 });
    assert.equal(second.exitCode, 0, second.stderr);
    assert.match(second.stdout, /unchanged since the last snapshot/);
    assert.match(second.stdout, /0 copied/);
    assert.equal((await readdir(join(home, 'backups', 'manifests'))).length, 2);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
