// Covers: running point-in-time recovery in production, on real PostgreSQL 16 and real Temporal:
// the walArchiver across a restarted source and a 20-second outage (no gap; every write recovered),
// the healthCheck's archive checks and their alert (workflows/health-check.ts, activities/health.ts,
// core/health.ts), the lag gauge (worker/metrics.ts), and `schedules apply` starting exactly one
// archiver and the base backup schedule (client/schedules.ts, client/wal-archiver-control.ts).
// Set-up after test/integration/pitr.test.ts: a source cluster of this file's own, which it stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseConfig } from '../../config/load.js';
import type { BaseBackupRecord } from '../../repository/base-backups.js';
import { readWalIndex } from '../../repository/wal-index.js';
import type { PitrResult } from '../../activities/wal-recovery.js';
import { findGaps } from '../../core/wal-segments.js';
import { walArchiverWorkflowId } from '../../core/wal-archiver-id.js';
import { applyArchiver } from '../../client/wal-archiver-control.js';
import { collectPitrStatus, formatPitrStatus } from '../../client/pitr-status.js';
import { gatherLocalHealthFacts } from '../../activities/health.js';
import { evaluateHealth, type HealthReport } from '../../core/health.js';
import { applySchedules, controlSchedule, scheduleId } from '../../client/schedules.js';
import { pgCtlArgv, postgresBinDir, startPostgresCluster, type PostgresCluster } from '../../local/postgres-cluster.js';
import { freePort } from '../../local/ports.js';
import { useServices } from '../harness.js';
import { recordHistory, rootFailure, slug, type TestSetup, webhookReceiver } from '../helpers.js';
import { useWorkerProcesses, whileRunning } from '../worker-process.js';

const services = useServices();
const startWorker = useWorkerProcesses(services);
let source: PostgresCluster;

async function sql(user: string, password: string, database: string, query: string, port = source.port): Promise<string[][]> {
  const { stdout } = await execa(join(postgresBinDir(), 'psql'), ['-X', '-A', '-t', '-F', '\t', '-h', '127.0.0.1', '-p', String(port), '-U', user, `--dbname=${database}`, '-c', query], {
    env: { PGPASSWORD: password },
  });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}
const asSuper = (query: string) => sql('postgres', source.superPassword, 'postgres', query);
const asApp = (query: string) => sql('archiver', 'archiver-pw', 'app', query);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Made by the first test that needs it: a root-level before() would run beside the harness's.
let sourceMade: Promise<void> | undefined;
function makeSource(): Promise<void> {
  sourceMade ??= (async () => {
    source = await startPostgresCluster({ dir: join(services.dir, 'ops-source'), port: await freePort(), superPassword: 'ops-superuser-pw' });
    services.defer(() => source.stop());
    await asSuper("create role archiver login replication password 'archiver-pw'");
    await asSuper('create database app owner archiver');
  })();
  return sourceMade;
}

async function pgCtl(action: 'start' | 'stop'): Promise<void> {
  const [cmd, ...args] = pgCtlArgv({ dir: source.dir, port: source.port }, action);
  await execa(cmd as string, args);
}

/** Each test its own source name: the archiver's workflow id and the schedules' ids derive from it. */
async function opsSetup(name: string, extra: Record<string, unknown> = {}, pitr: Record<string, unknown> = {}): Promise<TestSetup> {
  await makeSource();
  const dir = join(services.dir, slug(name));
  await mkdir(join(dir, 'images'), { recursive: true, mode: 0o700 });
  const passwordFile = join(dir, 'db.password');
  await writeFile(passwordFile, 'archiver-pw\n', { mode: 0o600 });
  const passphraseFile = join(dir, 'passphrase');
  await writeFile(passphraseFile, 'ops-test-passphrase\n', { mode: 0o600 });
  const config = parseConfig(
    {
      source: {
        name: slug(name),
        database: { transport: 'direct', host: '127.0.0.1', port: source.port, user: 'archiver', database: 'app', password: { file: passwordFile } },
        storage: { root: join(dir, 'images') },
      },
      repository: { root: join(dir, 'repo') },
      encryption: { enabled: true, passphraseFile },
      temporal: { address: services.temporal.address, namespace: 'default', taskQueue: slug(name) },
      // Short attempts and heartbeats, retries at most a second apart: outages are seconds long here.
      pitr: { enabled: true, slot: slug(name).replace(/-/g, '_'), streamFor: '20s', heartbeat: '3s', maxRetryInterval: '1s', ...pitr },
      logging: { level: 'debug' },
      ...extra,
    },
    `test config for "${name}"`,
    {},
  );
  return { config, passwordFile, passphraseFile, passphrase: 'ops-test-passphrase' };
}

/** Starts the source's archiver as `schedules apply` does, and waits until it streams. */
async function runArchiver(setup: TestSetup): Promise<string> {
  const started = await applyArchiver(services.client, setup.config);
  assert.equal(started?.action, 'started');
  services.defer(() => services.client.workflow.getHandle(started.workflowId).terminate('test over').catch(() => undefined));
  await whileRunning(services, started.workflowId, 'walStream', true);
  return started.workflowId;
}

/** A table of the test's own, for write(). */
async function writesTable(name: string): Promise<string> {
  await asApp(`create table ${name} (id bigint primary key, at timestamptz not null default clock_timestamp())`);
  return name;
}

/** Inserts `count` rows into `table`, each committed before the next, ids following on from `from`. */
async function write(table: string, from: number, count: number): Promise<number> {
  for (let id = from + 1; id <= from + count; id += 1) {
    await asApp(`insert into ${table} (id) values (${id})`);
    if (id % 5 === 0) await asSuper('select pg_switch_wal()');
  }
  return from + count;
}

/** The archived file names, once `segment` is among them. */
async function archivedThrough(root: string, segment: string, timeoutMs: number): Promise<string[]> {
  for (const until = Date.now() + timeoutMs; ; await sleep(250)) {
    const names = [...(await readWalIndex(root)).records.keys()];
    if (names.includes(segment)) return names;
    if (Date.now() > until) throw new Error(`${segment} was not archived within ${timeoutMs / 1000} s; archived: ${names.join(' ')}`);
  }
}

test('the archiver survives a restarted source and a 20-second outage with no gap: recovery to "latest" has every write', { timeout: 600_000 }, async (t) => {
  const setup = await opsSetup('ops outage');
  const table = await writesTable('writes_outage');
  const root = setup.config.repository.root;
  (await startWorker(setup, 'ops-outage'))();
  const archiverId = await runArchiver(setup);
  const base = await services.client.workflow.execute<() => Promise<BaseBackupRecord>>('baseBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: `${archiverId}-base` });

  let written = await write(table, 0, 10);
  // A restart: the stream breaks, the next attempts meet a source that is coming back.
  await pgCtl('stop');
  await pgCtl('start');
  written = await write(table, written, 10);
  // An outage: every attempt fails for 20 s, retried at most a second apart.
  await pgCtl('stop');
  await sleep(20_000);
  const during = await services.client.workflow.getHandle(archiverId).describe();
  const stream = during.raw.pendingActivities?.find((a) => a.activityType?.name === 'walStream');
  assert.ok((stream?.attempt ?? 1) > 1, `attempts of walStream failed while the source was away (attempt ${stream?.attempt})`);
  await pgCtl('start');
  written = await write(table, written, 12);
  const [[last]] = (await asSuper('select pg_walfile_name(pg_current_wal_lsn())')) as [[string]];
  await asSuper('select pg_switch_wal()');

  const archived = await archivedThrough(root, last, 120_000);
  assert.deepEqual(findGaps(archived, base.firstSegment), [], 'no segment is missing from the base backup on');
  assert.equal((await services.client.workflow.getHandle(archiverId).describe()).status.name, 'RUNNING', 'the archiver never gave up');

  const dir = join(services.dir, 'ops-outage-recovered');
  t.after(async () => {
    const [cmd, ...args] = pgCtlArgv({ dir, port: 0 }, 'stop');
    await execa(cmd as string, args, { reject: false });
  });
  const port = await freePort();
  await services.client.workflow
    .execute<(i: unknown) => Promise<PitrResult>>('pointInTimeRecovery', {
      taskQueue: setup.config.temporal.taskQueue,
      workflowId: `${archiverId}-recovered`,
      args: [{ pointInTime: 'latest', dataDir: join(dir, 'data'), port }],
    })
    .catch((err) => {
      throw new Error(`recovery: ${rootFailure(err).message}`);
    });
  const ids = (await sql('archiver', 'archiver-pw', 'app', `select id from ${table} order by id`, port)).map(([id]) => Number(id));
  assert.deepEqual(ids, Array.from({ length: written }, (_, i) => i + 1), 'every write before, between and after the outages');
  await services.client.workflow.getHandle(archiverId).terminate('test over');
});

test('the health check finds the archive late and the archiver stopped while writes go on, alerts it, and passes both once the archiver runs', { timeout: 300_000 }, async () => {
  const hook = await webhookReceiver(services);
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const setup = await opsSetup('ops health', { alerts: { webhooks: [{ url: hook.url }] }, metrics: { address: metricsAddress, refreshInterval: '1s' } }, { maxLag: '5s' });
  const table = await writesTable('writes_health');
  (await startWorker(setup, 'ops-health'))();
  const archiverId = await runArchiver(setup);
  let runs = 0;
  const healthCheck = async () => {
    runs += 1;
    const report = await services.client.workflow.execute<() => Promise<HealthReport>>('healthCheck', { taskQueue: setup.config.temporal.taskQueue, workflowId: `${archiverId}-health-${runs}` });
    const check = (name: string) => report.checks.find((c) => c.name === name) ?? assert.fail(`no "${name}" check in ${report.summary}`);
    return { lag: check('WAL archive lag'), archiver: check('WAL archiver'), workflowId: `${archiverId}-health-${runs}` };
  };
  const lagGauge = async () => {
    const text = await fetch(`http://${metricsAddress}/metrics`).then((r) => r.text(), () => '');
    const m = /^promptbox_wal_archive_lag_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text);
    return m ? Number(m[1]) : undefined;
  };

  let written = await write(table, 0, 5);
  await sleep(2_000);
  const running = await healthCheck();
  assert.equal(running.lag.status, 'ok', running.lag.detail);
  assert.equal(running.archiver.status, 'ok', running.archiver.detail);
  let gauge: number | undefined;
  for (let i = 0; i < 100 && (gauge = await lagGauge()) === undefined; i += 1) await sleep(200);
  assert.ok(gauge !== undefined && gauge < 5, `the lag gauge reads ${gauge} s, under the 5 s limit`);

  await services.client.workflow.getHandle(archiverId).cancel();
  for (let i = 0; i < 100 && (await services.client.workflow.getHandle(archiverId).describe()).status.name === 'RUNNING'; i += 1) await sleep(200);
  for (const until = Date.now() + 8_000; Date.now() < until; await sleep(500)) written = await write(table, written, 1);
  const before = hook.alerts.length;
  const stopped = await healthCheck();
  assert.equal(stopped.lag.status, 'critical', stopped.lag.detail);
  assert.match(stopped.lag.detail, /behind \(limit 5 s\), [\d.]+ KiB of WAL not yet archived/);
  assert.equal(stopped.archiver.status, 'critical', stopped.archiver.detail);
  for (let i = 0; i < 50 && hook.alerts.length === before; i += 1) await sleep(100);
  const alert = hook.alerts[before] ?? assert.fail('no alert');
  assert.equal(alert.event, 'health_critical');
  assert.ok((alert.details as string[]).some((d) => /^critical: WAL archive lag: /.test(d)), JSON.stringify(alert.details));
  assert.ok((alert.details as string[]).some((d) => /^critical: WAL archiver: .*is not running/.test(d)), JSON.stringify(alert.details));
  for (let i = 0; i < 25 && ((gauge = await lagGauge()) ?? 0) <= 5; i += 1) await sleep(200);
  assert.ok(gauge !== undefined && gauge > 5, `the lag gauge reads ${gauge} s, over the 5 s limit`);
  // The `health` command, without Temporal: the lag, not the archiver's run.
  const local = evaluateHealth(await gatherLocalHealthFacts(setup.config), setup.config.health);
  assert.equal(local.checks.find((c) => c.name === 'WAL archive lag')?.status, 'critical', local.summary);
  assert.ok(!local.checks.some((c) => c.name === 'WAL archiver'));

  const restarted = await applyArchiver(services.client, setup.config);
  assert.equal(restarted?.action, 'started');
  await whileRunning(services, archiverId, 'walStream', true);
  await write(table, written, 5);
  let again = await healthCheck();
  for (let i = 0; i < 10 && again.lag.status !== 'ok'; i += 1, await sleep(1_000)) again = await healthCheck();
  assert.equal(again.lag.status, 'ok', again.lag.detail);
  assert.equal(again.archiver.status, 'ok', again.archiver.detail);
  const status = await collectPitrStatus(services.client, setup.config);
  assert.equal(status.archiver.running, true);
  assert.ok(status.archiver.attempts, `the archiver answers its status query: ${status.archiver.queryError}`);
  assert.equal(status.archive.verdict, 'ok');
  assert.match(formatPitrStatus(status), new RegExp(`^WAL archiver ${archiverId}: running since [^]*\nArchive lag: \\d+ s \\(limit 5 s\\): OK;[^]*\nNewest base backup: none yet`));
  await services.client.workflow.getHandle(archiverId).terminate('test over');
  await recordHistory(services, stopped.workflowId, 'health-check-wal-archive');
});

/** The runs visibility lists under `workflowId`, once it lists any (and a second, were there one). */
async function runsOf(workflowId: string): Promise<string[]> {
  const list = async () => {
    const found: string[] = [];
    for await (const wf of services.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(`${wf.runId} ${wf.status.name}`);
    return found;
  };
  for (let i = 0; i < 50 && !(await list()).length; i += 1) await sleep(200);
  await sleep(1_000);
  return list();
}

test('schedules apply with pitr on creates the weekly base backup schedule and starts exactly one archiver, however often it runs, on the configured task queue; with pitr off it removes both', { timeout: 120_000 }, async () => {
  const setup = await opsSetup('ops schedules', { schedules: { timezone: 'Europe/Berlin' } });
  const { config } = setup;
  const archiverId = walArchiverWorkflowId(config.source.name);
  services.defer(() => services.client.workflow.getHandle(archiverId).terminate('test over').catch(() => undefined));

  const first = await applySchedules(services.client, config);
  assert.deepEqual(first.archiver && { ...first.archiver, runId: typeof first.archiver.runId }, { workflowId: archiverId, action: 'started', runId: 'string' });
  assert.ok(first.created.includes(scheduleId(config, 'baseBackup')), first.created.join(' '));
  // Two operators at once, and again: neither starts a second archiver.
  const again = await Promise.all([applySchedules(services.client, config), applySchedules(services.client, config)]);
  for (const r of again) {
    assert.deepEqual(r.archiver, { workflowId: archiverId, action: 'already running', runId: first.archiver?.runId });
    assert.ok(r.unchanged.includes(scheduleId(config, 'baseBackup')));
  }
  assert.deepEqual(await runsOf(archiverId), [`${first.archiver?.runId} RUNNING`], 'exactly one archiver run');
  // Two starts racing before any archiver runs (another source): the second finds the first's run.
  const raced = structuredClone(config);
  raced.source.name = 'ops-schedules-race';
  const racedId = walArchiverWorkflowId(raced.source.name);
  services.defer(() => services.client.workflow.getHandle(racedId).terminate('test over').catch(() => undefined));
  const [x, y] = await Promise.all([applyArchiver(services.client, raced), applyArchiver(services.client, raced)]);
  assert.equal(x?.runId, y?.runId, 'both starts name the same run');
  assert.deepEqual(await runsOf(racedId), [`${x?.runId} RUNNING`], 'exactly one archiver run');
  // temporal.taskQueue changed: a run on the old queue would wait there for a worker forever, so it moves.
  const moved = structuredClone(raced);
  moved.temporal.taskQueue = `${raced.temporal.taskQueue}-moved`;
  const m = await applyArchiver(services.client, moved);
  assert.equal(m?.action, 'moved');
  const onNewQueue = await services.client.workflow.getHandle(racedId).describe();
  assert.deepEqual([onNewQueue.runId, onNewQueue.status.name, onNewQueue.taskQueue], [m?.runId, 'RUNNING', moved.temporal.taskQueue]);
  assert.equal((await services.client.workflow.getHandle(racedId, x?.runId).describe()).status.name, 'TERMINATED', 'the run on the old queue is ended');
  assert.equal((await applyArchiver(services.client, moved))?.action, 'already running');

  const weekly = await services.client.schedule.getHandle(scheduleId(config, 'baseBackup')).describe();
  assert.equal(weekly.action.type === 'startWorkflow' && weekly.action.workflowType, 'baseBackup');
  assert.equal(weekly.spec.timezone, 'Europe/Berlin');
  assert.deepEqual(weekly.spec.calendars?.[0]?.dayOfWeek, [{ start: 'SUNDAY', end: 'SUNDAY', step: 1 }]);
  assert.deepEqual(weekly.spec.calendars?.[0]?.hour, [{ start: 2, end: 2, step: 1 }]);

  const off = structuredClone(config);
  off.pitr.enabled = false;
  const removed = await applySchedules(services.client, off);
  assert.deepEqual(removed.deleted, [scheduleId(config, 'baseBackup')]);
  assert.equal(removed.archiver?.action, 'cancelled');
  const history = await services.client.workflow.getHandle(archiverId).fetchHistory();
  assert.ok(history.events?.some((e) => e.workflowExecutionCancelRequestedEventAttributes), 'the archiver was asked to stop');
  for (const kind of ['database', 'images', 'config', 'retention', 'health', 'integrity', 'partialRestore'] as const) await controlSchedule(services.client, config, 'delete', kind);
});
