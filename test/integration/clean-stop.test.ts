// Stopping and refusing cleanly, against the real server and database: a worker process stopped
// by a signal (idle, or in the middle of a dump), two backups started at once, a cancelled run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { useServices } from '../harness.js';
import { makeConfig, runCli, type TestSetup } from '../helpers.js';
import { writeStandInDocker } from '../standin-docker.js';
import { createPromptBox } from '../../fixtures/promptbox.js';
import { backupIdFor } from '../../repository/layout.js';
import { ERRORS } from '../../core/errors.js';
import type { RunRecord } from '../../core/run-journal.js';

const services = useServices();
const root = fileURLToPath(new URL('../..', import.meta.url));
const originalPath = process.env.PATH;
const spawned: ResultPromise[] = [];
after(async () => {
  for (const p of spawned) p.kill('SIGKILL');
});

async function allFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/** `./promptbox-backup worker` in its own process, as an operator or systemd runs it. */
async function workerProcess(setup: TestSetup, name: string, binDir?: string): Promise<() => ResultPromise> {
  const configFile = join(services.dir, `${name}.json`);
  await writeFile(configFile, JSON.stringify(setup.config), { mode: 0o600 });
  return () => {
    const p = execa(join(root, 'promptbox-backup'), ['worker', '--config', configFile], {
      env: { PATH: binDir ? `${binDir}:${originalPath}` : originalPath },
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    spawned.push(p);
    return p;
  };
}

async function untilOutput(p: ResultPromise, text: string): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    p.all!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    void p.then(() => reject(new Error(`the worker exited before printing "${text}": ${seen}`)));
  });
}

/** Waits until the run's `activity` is executing and has heartbeated. */
async function whileRunning(workflowId: string, activity: string): Promise<void> {
  const handle = services.client.workflow.getHandle(workflowId);
  for (let i = 0; i < 600; i += 1) {
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    // PENDING_ACTIVITY_STATE_STARTED is 2 in the raw protobuf enum.
    if (pending.some((a) => a.activityType?.name === activity && Number(a.state) === 2 && a.heartbeatDetails)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${activity} never started in ${workflowId}`);
}

/** The PIDs of processes whose command line contains `marker` (pgrep never lists itself). */
async function processesMatching(marker: string): Promise<string[]> {
  const { stdout } = await execa('pgrep', ['-a', '-f', marker], { reject: false });
  return stdout.split('\n').filter(Boolean);
}

test('Ctrl-C on an idle worker: it stops and exits 0, without IllegalStateError', async () => {
  const fixture = await createPromptBox({ dir: join(services.dir, 'idle'), cluster: services.postgres, images: 2, dbName: 'idle_stop', dbUser: 'idle_stop' });
  const setup = await makeConfig(services, fixture, 'idle worker stopped');
  const worker = (await workerProcess(setup, 'idle-worker'))();
  await untilOutput(worker, 'worker running');
  worker.kill('SIGINT');
  const done = await worker;
  assert.doesNotMatch(String(done.all), /IllegalStateError/);
  assert.equal(done.exitCode, 0, String(done.all));
});

/**
 * A Prompt Box whose dump takes seconds (bulk change-feed rows read through a throttled stand-in
 * docker), and a way to start worker processes for it. The database name marks its pg_dump among
 * the machine's processes.
 */
async function slowDumpSetup(db: string) {
  const fixture = await createPromptBox({ dir: join(services.dir, db), cluster: services.postgres, images: 4, dbName: db, dbUser: db });
  await execa('psql', ['-X', '-q', '-d', db, '-c', "insert into image_events (image_id, kind, payload) select gen_random_uuid(), 'updated', jsonb_build_object('blob', md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text)) from generate_series(1, 30000)"], { env: services.postgres.env });
  const docker = await writeStandInDocker(join(services.dir, `docker-${db}`), services.postgres, { dumpBytesPerSecond: 400_000 });
  await writeFile(docker.passwordFile, fixture.database.password);
  const setup = await makeConfig(services, fixture, db, {
    overrides: (raw) => {
      raw.source.database = { transport: 'docker', container: 'promptbox-db-1', user: db, database: db };
      raw.steps = { ...raw.steps, dump: { timeout: '2m', heartbeat: '3s', retry: { maximumAttempts: 3, initialInterval: '1s', maximumInterval: '2s' } } };
    },
  });
  return { setup, start: await workerProcess(setup, `${db}-worker`, docker.binDir) };
}

test('SIGTERM during pg_dump: the dump is cancelled, pg_dump ends, its partial file is removed, exit 0; the next worker completes the backup', async () => {
  const db = 'slow_sigterm_marker';
  const { setup, start } = await slowDumpSetup(db);
  const first = start();
  const handle = await services.client.workflow.start('fullBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'sigterm-during-dump', args: [{}] });
  await whileRunning('sigterm-during-dump', 'dumpDatabase');
  const staging = join(setup.config.repository.root, '.staging');
  assert.ok((await allFiles(staging)).some((f) => f.endsWith('.partial')), 'a partial dump is being written');
  assert.notDeepEqual(await processesMatching(`pg_dump.*${db}`), [], 'pg_dump is running');

  first.kill('SIGTERM');
  const stopped = await first;
  assert.equal(stopped.exitCode, 0, String(stopped.all));
  assert.deepEqual(await processesMatching(`pg_dump.*${db}`), [], 'no pg_dump outlives the worker');
  assert.deepEqual(await allFiles(staging), [], 'no partial dump is left in .staging');

  start();
  const result = (await handle.result()) as { backupId: string };
  assert.ok(result.backupId);
});

test('two backups started in the same second: the second is refused with RepositoryBusy (exit 15), not a raw SDK error', async () => {
  const fixture = await createPromptBox({ dir: join(services.dir, 'same-second'), cluster: services.postgres, images: 2, dbName: 'same_second', dbUser: 'same_second' });
  const setup = await makeConfig(services, fixture, 'same second');
  // Whatever second the CLI starts in, a backup with that second's id has started already (no
  // worker polls this queue, so they wait).
  const now = Date.now();
  const earlier = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      services.client.workflow.start('fullBackup', {
        taskQueue: setup.config.temporal.taskQueue,
        workflowId: `full-backup-${setup.config.source.name}-${backupIdFor(new Date(now + i * 1000))}`,
        args: [{}],
      }),
    ),
  );
  try {
    const cli = await runCli(services, setup, ['backup', '--no-wait']);
    assert.equal(cli.exitCode, ERRORS.RepositoryBusy.exitCode, cli.stderr);
    assert.match(cli.stderr, /RepositoryBusy: .*already started/);
    assert.doesNotMatch(cli.stderr, /WorkflowExecutionAlreadyStarted/);
  } finally {
    await Promise.all(earlier.map((h) => h.terminate('test over')));
  }
});

test('a cancelled backup is recorded as failed because it was cancelled, not with an empty reason', async () => {
  const { setup, start } = await slowDumpSetup('slow_cancelled');
  const worker = start();
  try {
    const handle = await services.client.workflow.start('fullBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'cancelled-backup', args: [{}] });
    await whileRunning('cancelled-backup', 'dumpDatabase');
    await handle.cancel();
    await assert.rejects(handle.result());
    const record = JSON.parse(await readFile(join(setup.config.repository.root, 'runs', 'full.json'), 'utf8')) as RunRecord;
    assert.equal(record.workflowId, 'cancelled-backup');
    assert.equal(record.outcome, 'failed');
    assert.equal(record.error?.type, 'Cancelled');
    assert.match(record.error?.message ?? '', /cancel/);
  } finally {
    worker.kill('SIGTERM');
    await worker;
  }
});
