// Covers: fault tolerance of the backup workflows (repository lock, disk full, a database that
// dies mid-dump, a worker killed mid-dump, a corrupted manifest). Faults come from outside the
// production code: signals, stopped services, a full filesystem, altered bytes, a slowed tool.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { useServices } from '../harness.js';
import { useWorkerProcesses, whileRunning } from '../worker-process.js';
import { assertSucceeded, finalAttempt, makeConfig, makeFixture, rootFailure, runBackup, runWorkflow, scheduledCount, sqlRows, testWorker, type TestSetup } from '../helpers.js';
import { writeStandInDocker } from '../standin-docker.js';
import { makeSandbox } from '../../fixtures/dr-sandbox.js';
import { checklistPassed } from '../../core/checklist.js';
import type { DrProgress, DrReport } from '../../core/dr-report.js';
import { freePort } from '../../local/ports.js';
import { pgCtlArgv, startPostgresCluster } from '../../local/postgres-cluster.js';
import { createPromptBox, type PromptBoxFixture } from '../../fixtures/promptbox.js';
import type { RestoreTestResult } from '../../repository/restore-tests.js';

const services = useServices();
const originalPath = process.env.PATH;
const spawnWorkerProcess = useWorkerProcesses(services);
after(async () => {
  process.env.PATH = originalPath;
});

async function allFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/** A Prompt Box whose dump takes seconds: bulk change-feed rows, read through a throttled docker. */
async function slowDumpSetup(name: string, cluster = services.postgres) {
  const db = `slow_${name.replace(/\W+/g, '_')}`;
  const fixture = await createPromptBox({ dir: join(services.dir, `slow-${db}`), cluster, images: 6, dbName: db, dbUser: db });
  await execa('psql', ['-X', '-q', '-d', db, '-c', "insert into image_events (image_id, kind, payload) select gen_random_uuid(), 'updated', jsonb_build_object('blob', md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text)) from generate_series(1, 30000)"], { env: cluster.env });
  const docker = await writeStandInDocker(join(services.dir, `docker-${name}`), cluster, { dumpBytesPerSecond: 400_000 });
  await writeFile(docker.passwordFile, fixture.database.password);
  const setup = await makeConfig(services, fixture, name, {
    overrides: (raw) => {
      raw.source.database = { transport: 'docker', container: 'promptbox-db-1', user: db, database: db };
      raw.steps = { ...raw.steps, dump: { timeout: '2m', heartbeat: '3s', retry: { maximumAttempts: 3, initialInterval: '1s', maximumInterval: '2s' } } };
    },
  });
  return { fixture, docker, setup };
}

/** A DR sandbox whose new database is reached through a stand-in docker that feeds pg_restore slowly. */
async function slowRestoreSandbox(fixture: PromptBoxFixture, name: string) {
  const sandbox = await makeSandbox(fixture, services.dir, name);
  const target = await writeStandInDocker(join(services.dir, `docker-${name}`), { host: '127.0.0.1', port: sandbox.port }, { restoreBytesPerSecond: 400_000 });
  await writeFile(target.passwordFile, fixture.database.password);
  const input = {
    ...sandbox.input,
    target: { ...sandbox.input.target, database: { transport: 'docker' as const, container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox' } },
  };
  return { sandbox, target, input };
}

test('the same backup triggered three times at once: exactly one runs, the others do nothing', async () => {
  const fixture = await makeFixture(services, 4);
  const setup = await makeConfig(services, fixture, 'three at once');
  const worker = await testWorker(services, setup);
  const outcomes = await worker.runUntil(async () => {
    const handles = await Promise.all(
      [1, 2, 3].map((i) => services.client.workflow.start('fullBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: `three-at-once-${i}`, args: [{}] })),
    );
    return Promise.allSettled(handles.map((h) => h.result()));
  });
  const succeeded = outcomes.filter((o) => o.status === 'fulfilled');
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  assert.equal(succeeded.length, 1);
  assert.deepEqual(refused.map((r) => rootFailure(r.reason).type), ['RepositoryBusy', 'RepositoryBusy']);
  assert.match(rootFailure(refused[0]!.reason).message, /locked by full backup three-at-once-\d/);
  const repo = setup.config.repository.root;
  assert.equal((await readdir(join(repo, 'manifests'))).length, 1);
  const journal = JSON.parse(await readFile(join(repo, 'runs', 'full.json'), 'utf8'));
  assert.equal(journal.outcome, 'succeeded', 'a refused duplicate is not recorded as a failed backup');
  assert.deepEqual(await readdir(repo).then((n) => n.includes('.lock')), false, 'the lock is released');
});

test('a full backup volume fails clearly, deletes nothing earlier, keeps the dump that fitted and skips retention', { skip: process.getuid?.() !== 0 && 'mounting a small tmpfs needs root' }, async () => {
  const volume = join(services.dir, 'small-volume');
  await mkdir(volume, { recursive: true });
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', volume]);
  try {
    const fixture = await makeFixture(services, 3);
    const setup = await makeConfig(services, fixture, 'disk full', {
      encrypted: false,
      overrides: (raw) => {
        raw.repository = { root: join(volume, 'repo') };
      },
    });
    const good = assertSucceeded(await runBackup(services, setup));
    const before = await allFiles(setup.config.repository.root);
    // A 4 MB original arrives: it cannot fit.
    const big = join(fixture.storageRoot, 'ff', 'ff', `${'f'.repeat(64)}.png`);
    await mkdir(join(big, '..'), { recursive: true });
    await writeFile(big, Buffer.alloc(4 * 1024 * 1024, 7));
    await new Promise((r) => setTimeout(r, 1100));
    const full = await runBackup(services, setup);
    const cause = rootFailure(full.error);
    assert.equal(cause.type, 'RepositoryFull', cause.message);
    assert.match(cause.message, /the backup volume is full/);
    const after = await allFiles(setup.config.repository.root);
    for (const f of before.filter((p) => p.startsWith('db/') || p.startsWith('manifests/') || p.startsWith('config/'))) assert.ok(after.includes(f), `${f} still there`);
    // The dump fitted and is kept (the images part is what failed); nothing of the images is recorded.
    const manifests = (await readdir(join(setup.config.repository.root, 'manifests'))).sort();
    assert.equal(manifests[0], `${good.backupId}.json`);
    assert.equal(manifests.length, 2);
    const kept = JSON.parse(await readFile(join(setup.config.repository.root, 'manifests', manifests[1]!), 'utf8')) as { parts: string[] };
    assert.ok(!kept.parts.includes('images'), `the kept backup has no images part: ${kept.parts.join(', ')}`);
    assert.match(cause.message, /the images part failed .* kept and recorded as backup/s);
    const journal = JSON.parse(await readFile(join(setup.config.repository.root, 'runs', 'full.json'), 'utf8'));
    assert.equal(journal.outcome, 'failed');
    const history = (await full.handle.fetchHistory()).events ?? [];
    assert.ok(!history.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes), 'retention did not run');
  } finally {
    await execa('umount', ['-l', volume], { reject: false });
  }
});

test('a corrupted manifest is caught by the integrity check, named and alerted; that backup is no longer trusted, and a corrupted dump is never restored', async () => {
  const alerts: Array<Record<string, any>> = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      alerts.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookPort = (hook.address() as { port: number }).port;
  try {
    const fixture = await makeFixture(services, 3);
    const setup = await makeConfig(services, fixture, 'manifest flip', {
      overrides: async (raw) => {
        const pw = join(services.dir, 'superuser-manifest.pw');
        await writeFile(pw, services.postgres.superPassword);
        raw.restoreTests = { scratchDatabase: { transport: 'direct', host: '127.0.0.1', port: services.postgres.port, user: 'postgres', database: 'postgres', password: { file: pw } } };
        raw.alerts = { webhooks: [{ url: `http://127.0.0.1:${hookPort}/` }] };
      },
    });
    const first = assertSucceeded(await runBackup(services, setup));
    await new Promise((r) => setTimeout(r, 1100));
    const second = assertSucceeded(await runBackup(services, setup));
    const manifest = join(setup.config.repository.root, second.manifest!);
    const text = await readFile(manifest, 'utf8');
    await writeFile(manifest, text.replace(/"kind": "full"/, '"kind": "fulL"'));
    const check = await runWorkflow<RestoreTestResult>(services, setup, 'restoreTest', [{ kind: 'integrity' }]);
    assert.equal(check.result?.passed, false);
    assert.ok(check.result?.failures.some((f) => f.artifact === second.manifest && /manifest unreadable/.test(f.detail)), JSON.stringify(check.result?.failures));
    await new Promise((r) => setTimeout(r, 300));
    const alert = alerts.find((a) => a.event === 'restore_test_failed');
    assert.ok(alert, JSON.stringify(alerts));
    assert.match(alert.text, new RegExp(`${second.manifest!.replace('.', '\\.')}: sha256: manifest unreadable`));
    assert.ok(alert.text.includes(`promptbox-backup ${setup.config.source.name}: `), `the alert names the source: ${alert.text}`);

    // A byte flipped in the first (still trusted) backup's dump: a restore refuses it, it never restores it silently.
    const dump = join(setup.config.repository.root, `db/promptbox_${first.backupId}.dump.gpg`);
    const bytes = await readFile(dump);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0x01;
    await writeFile(dump, bytes);
    const sandbox = await makeSandbox(fixture, services.dir, 'flipped-dump');
    try {
      const worker = await testWorker(services, setup);
      const progress = await worker.runUntil(async () => {
        const handle = await services.client.workflow.start('drRecovery', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'dr-flipped-dump', args: [sandbox.input] });
        for (let i = 0; i < 300; i += 1) {
          const p = (await handle.query('progress')) as DrProgress;
          if (p.waitingFor) {
            await handle.signal('abort', { reason: 'corrupted dump' });
            await handle.result();
            return p;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('the recovery never stopped for a decision');
      });
      const step = progress.steps.find((s) => s.step === 'restoreDatabase');
      assert.equal(step?.status, 'waiting for operator');
      assert.match(step?.error ?? '', /sha256 .* differs from the manifest/);
      // The aborted recovery stopped the target's database: start it again to look inside. The
      // query must succeed, so an unreachable database cannot pass for an empty one.
      const [pgCtl, ...startArgs] = pgCtlArgv({ dir: join(services.dir, 'sandbox-flipped-dump', 'pg'), port: sandbox.port }, 'start');
      await execa(pgCtl as string, startArgs);
      const rows = await execa('psql', ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', String(sandbox.port), '-U', 'postgres', '-d', 'promptbox', '-c', "select count(*) from information_schema.tables where table_schema = 'public'"], { env: { PGPASSWORD: 'sandbox-super' } });
      assert.equal(rows.stdout.trim(), '0', 'nothing of the corrupted dump was restored: the target database is as empty as compose made it');
    } finally {
      await sandbox.stop();
    }
  } finally {
    hook.close();
  }
});

test('PostgreSQL stopped during a dump: retried with backoff, then a clear failure; the earlier backup stays latest; the next run after a restart succeeds', async () => {
  const cluster = await startPostgresCluster({ dir: join(services.dir, 'pg-dies'), port: await freePort(), superPassword: 'dies' });
  try {
    const { setup, docker } = await slowDumpSetup('database dies', cluster);
    process.env.PATH = `${docker.binDir}:${originalPath}`;
    const good = assertSucceeded(await runBackup(services, setup));
    await new Promise((r) => setTimeout(r, 1100));
    const worker = await testWorker(services, setup);
    const failed = await worker.runUntil(async () => {
      const handle = await services.client.workflow.start('fullBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'database-dies', args: [{}] });
      await whileRunning(services, 'database-dies', 'dumpDatabase');
      await new Promise((r) => setTimeout(r, 1000));
      await cluster.stop();
      return handle.result().then(() => undefined, (err: unknown) => err);
    });
    const cause = rootFailure(failed);
    assert.equal(cause.type, 'DatabaseUnreachable', cause.message);
    const history = (await services.client.workflow.getHandle('database-dies').fetchHistory()).events ?? [];
    const dumpAttempt = history.find((e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt === 3);
    assert.ok(dumpAttempt, 'the dump was tried three times');
    assert.deepEqual(await readdir(join(setup.config.repository.root, 'manifests')), [`${good.backupId}.json`]);
    assert.deepEqual(await readdir(join(setup.config.repository.root, '.staging')), []);

    const [cmd, ...args] = pgCtlArgv({ dir: join(services.dir, 'pg-dies'), port: cluster.port }, 'start');
    await execa(cmd as string, args);
    const next = assertSucceeded(await runBackup(services, setup));
    assert.ok(next.backupId > good.backupId);
  } finally {
    process.env.PATH = originalPath;
    const [cmd, ...args] = pgCtlArgv({ dir: join(services.dir, 'pg-dies'), port: cluster.port }, 'stop');
    await execa(cmd as string, args, { reject: false });
  }
});

test('a worker killed with SIGKILL during pg_dump: a new worker finishes the backup, nothing partial is recorded or left, finished steps are not repeated', async () => {
  const { setup, docker } = await slowDumpSetup('worker killed');
  const startWorkerProcess = await spawnWorkerProcess(setup, 'worker-killed', docker.binDir);
  const first = startWorkerProcess();
  const handle = await services.client.workflow.start('fullBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'worker-killed', args: [{}] });
  await whileRunning(services, 'worker-killed', 'dumpDatabase', true);
  const staging = join(setup.config.repository.root, '.staging');
  assert.ok((await allFiles(staging)).some((f) => f.endsWith('.partial')), 'a partial dump is being written');
  first.kill('SIGKILL');
  await first;
  startWorkerProcess();
  const result = (await handle.result()) as { backupId: string; manifest: string };
  const repo = setup.config.repository.root;
  const manifest = JSON.parse(await readFile(join(repo, result.manifest), 'utf8'));
  assert.equal(manifest.verification.passed, true);
  assert.deepEqual((await allFiles(repo)).filter((f) => f.endsWith('.partial') || f.startsWith('.staging')), []);
  const events = (await handle.fetchHistory()).events ?? [];
  assert.equal(scheduledCount(events, 'planBackup'), 1);
  assert.equal(scheduledCount(events, 'dumpDatabase'), 1);
  assert.ok(finalAttempt(events, 'dumpDatabase') >= 2, 'the dump ran again on the new worker');
});

test('a worker killed with SIGKILL during pg_restore in a DR run: a new worker finishes the recovery, earlier steps are not repeated', async () => {
  const { fixture, setup, docker } = await slowDumpSetup('dr worker killed');
  process.env.PATH = `${docker.binDir}:${originalPath}`;
  assertSucceeded(await runBackup(services, setup));
  process.env.PATH = originalPath;
  const { sandbox, target, input: slowInput } = await slowRestoreSandbox(fixture, 'killed-dr');
  const input = { ...slowInput, budgets: { ...slowInput.budgets, restoreDatabase: '10s' } };
  const startWorkerProcess = await spawnWorkerProcess(setup, 'dr-worker-killed', target.binDir);
  try {
    const first = startWorkerProcess();
    const handle = await services.client.workflow.start('drRecovery', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'dr-worker-killed', args: [input] });
    await whileRunning(services, 'dr-worker-killed', 'drRestoreDatabase', true);
    first.kill('SIGKILL');
    await first;
    startWorkerProcess();
    const report = (await handle.result()) as DrReport;
    assert.equal(report.outcome, 'succeeded', JSON.stringify(report.steps));
    assert.ok(checklistPassed(report.checklist), JSON.stringify(report.checklist));
    const events = (await handle.fetchHistory()).events ?? [];
    for (const type of ['drPrepare', 'drStartDatabase', 'drRestoreDatabase']) assert.equal(scheduledCount(events, type), 1, `${type} scheduled once`);
    assert.ok(finalAttempt(events, 'drRestoreDatabase') >= 2, 'the restore ran again, in a fresh transaction');
  } finally {
    await sandbox.stop();
  }
});

test('a worker killed with SIGKILL during the image rsync: a new worker finishes the backup, the mirror equals the source, no temporary file is left', async () => {
  const fixture = await makeFixture(services, 4);
  // A large (sparse) original makes the copy last long enough to interrupt.
  await execa('truncate', ['-s', '1G', join(fixture.storageRoot, 'large.bin')]);
  const setup = await makeConfig(services, fixture, 'rsync worker killed', {
    overrides: (raw) => {
      raw.steps = { ...raw.steps, images: { timeout: '5m', heartbeat: '3s', retry: { maximumAttempts: 3, initialInterval: '1s' } } };
    },
  });
  const startWorkerProcess = await spawnWorkerProcess(setup, 'rsync-worker-killed');
  const first = startWorkerProcess();
  const handle = await services.client.workflow.start('fullBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'rsync-worker-killed', args: [{}] });
  await whileRunning(services, 'rsync-worker-killed', 'syncImages', true);
  first.kill('SIGKILL');
  await first;
  startWorkerProcess();
  const result = (await handle.result()) as { manifest: string };
  const repo = setup.config.repository.root;
  assert.equal(JSON.parse(await readFile(join(repo, result.manifest), 'utf8')).verification.passed, true);
  const mirrored = (await allFiles(join(repo, 'images/current'))).sort();
  assert.deepEqual(mirrored, (await allFiles(fixture.storageRoot)).sort(), 'originals and thumbnails');
  assert.deepEqual((await allFiles(repo)).filter((f) => /(^|\/)\.[^/]*\.[A-Za-z0-9]{6}$|\.partial$|^\.staging\//.test(f)), [], 'no rsync or staging temporary file is left');
  const events = (await handle.fetchHistory()).events ?? [];
  assert.equal(scheduledCount(events, 'dumpDatabase'), 1, 'the dump is not repeated');
});

test('a worker killed with SIGKILL during an integrity check: a new worker finishes it and one result is kept', async () => {
  const fixture = await makeFixture(services, 4);
  const setup = await makeConfig(services, fixture, 'integrity worker killed');
  assertSucceeded(await runBackup(services, setup));
  const repo = setup.config.repository.root;
  // A large (sparse) file in the mirror makes re-hashing last long enough to interrupt.
  await execa('truncate', ['-s', '1G', join(repo, 'images/current/large.bin')]);
  const startWorkerProcess = await spawnWorkerProcess(setup, 'integrity-worker-killed');
  const first = startWorkerProcess();
  const handle = await services.client.workflow.start('restoreTest', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'integrity-worker-killed', args: [{ kind: 'integrity' }] });
  await whileRunning(services, 'integrity-worker-killed', 'integrityCheck', true);
  first.kill('SIGKILL');
  await first;
  startWorkerProcess();
  const result = (await handle.result()) as RestoreTestResult;
  assert.equal(result.passed, true, JSON.stringify(result.failures));
  const events = (await handle.fetchHistory()).events ?? [];
  assert.ok(finalAttempt(events, 'integrityCheck') >= 2, 'the check ran again on the new worker');
  assert.equal((await readdir(join(repo, 'restore-tests'))).filter((n) => n.endsWith('.json')).length, 1);
});

test('the Temporal server stopped and restarted in the middle of a full backup: the backup resumes and finishes', async () => {
  const { setup, docker } = await slowDumpSetup('server restart');
  process.env.PATH = `${docker.binDir}:${originalPath}`;
  try {
    const worker = await testWorker(services, setup);
    const result = await worker.runUntil(async () => {
      const handle = await services.client.workflow.start('fullBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'server-restart', args: [{}] });
      await whileRunning(services, 'server-restart', 'dumpDatabase');
      await services.restartTemporal(2_000);
      return (await handle.result()) as { manifest: string };
    });
    const manifest = JSON.parse(await readFile(join(setup.config.repository.root, result.manifest), 'utf8'));
    assert.equal(manifest.verification.passed, true);
    assert.deepEqual(await readdir(join(setup.config.repository.root, '.staging')), []);
  } finally {
    process.env.PATH = originalPath;
  }
});

test('the Temporal server stopped and restarted in the middle of a DR run: the recovery resumes and finishes', async () => {
  const fixture = await makeFixture(services, 6);
  await sqlRows(services, fixture.database.name, "insert into image_events (image_id, kind, payload) select gen_random_uuid(), 'updated', jsonb_build_object('blob', md5(random()::text) || md5(random()::text) || md5(random()::text)) from generate_series(1, 30000)");
  const setup = await makeConfig(services, fixture, 'dr server restart');
  assertSucceeded(await runBackup(services, setup));
  const { sandbox, target, input } = await slowRestoreSandbox(fixture, 'restart-dr');
  process.env.PATH = `${target.binDir}:${originalPath}`;
  try {
    const worker = await testWorker(services, setup);
    const report = await worker.runUntil(async () => {
      const handle = await services.client.workflow.start('drRecovery', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'dr-server-restart', args: [input] });
      await whileRunning(services, 'dr-server-restart', 'drRestoreDatabase');
      await services.restartTemporal(2_000);
      return (await handle.result()) as DrReport;
    });
    assert.equal(report.outcome, 'succeeded', JSON.stringify(report.steps));
    assert.ok(checklistPassed(report.checklist), JSON.stringify(report.checklist));
  } finally {
    process.env.PATH = originalPath;
    await sandbox.stop();
  }
});
