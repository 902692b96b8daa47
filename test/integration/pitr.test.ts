// Covers: point-in-time recovery end to end on real PostgreSQL 16 and real Temporal: the
// prerequisite check (activities/wal-prerequisites.ts), the walArchiver workflow across a
// SIGKILLed worker, a base backup, and recovery to "latest" after the source is destroyed and to a
// time between two writes, each counted row by row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseConfig } from '../../config/load.js';
import { createActivities } from '../../activities/index.js';
import { createActivityDeps } from '../../activities/deps.js';
import { readBaseBackups, type BaseBackupRecord } from '../../repository/base-backups.js';
import { readWalIndex } from '../../repository/wal-index.js';
import { readReceiverRecord } from '../../repository/wal-receiver.js';
import type { PitrResult } from '../../activities/wal-recovery.js';
import { findGaps } from '../../core/wal-segments.js';
import { pgCtlArgv, postgresBinDir, startPostgresCluster, type PostgresCluster } from '../../local/postgres-cluster.js';
import { freePort } from '../../local/ports.js';
import { useServices } from '../harness.js';
import { recordHistory, rootFailure, slug, type TestSetup, webhookReceiver } from '../helpers.js';
import { useWorkerProcesses, whileRunning } from '../worker-process.js';

const services = useServices();
const startWorker = useWorkerProcesses(services);
const psqlBin = () => join(postgresBinDir(), 'psql');
let source: PostgresCluster;

async function sql(port: number, user: string, password: string, database: string, query: string): Promise<string[][]> {
  const { stdout } = await execa(psqlBin(), ['-X', '-A', '-t', '-F', '\t', '-h', '127.0.0.1', '-p', String(port), '-U', user, `--dbname=${database}`, '-c', query], {
    env: { PGPASSWORD: password },
  });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}
const asSuper = (query: string) => sql(source.port, 'postgres', source.superPassword, 'postgres', query);

// Made by the first test that needs it: a root-level before() here would run beside the
// harness's, before its directory exists.
let sourceMade: Promise<void> | undefined;
function makeSource(): Promise<void> {
  sourceMade ??= (async () => {
    source = await startPostgresCluster({ dir: join(services.dir, 'pitr-source'), port: await freePort(), superPassword: 'pitr-superuser-pw' });
    services.defer(() => source.stop());
    await asSuper("create role archiver login replication password 'archiver-pw'");
    await asSuper("create role norepl login password 'norepl-pw'");
    await asSuper('create database app owner archiver');
    await sql(source.port, 'archiver', 'archiver-pw', 'app', 'create table writes (id bigint primary key, at timestamptz not null default clock_timestamp())');
  })();
  return sourceMade;
}

/** Waits until a later attempt of the archiver's stream (a new worker's) runs and has heartbeated. */
/** Running, not a zombie waiting for its new parent to reap it. */
const alive = (pid: number) => {
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return stat !== '' && !/^\d+ \(.*\) Z/s.test(stat);
};

async function takenOver(workflowId: string): Promise<void> {
  const handle = services.client.workflow.getHandle(workflowId);
  for (let i = 0; i < 1200; i += 1) {
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    // PENDING_ACTIVITY_STATE_STARTED is 2 in the raw protobuf enum.
    const stream = pending.find((a) => a.activityType?.name === 'walStream' && Number(a.state) === 2 && (a.attempt ?? 1) > 1);
    if (stream?.lastHeartbeatTime && Number(stream.lastHeartbeatTime.seconds) * 1000 > Number(stream.lastStartedTime?.seconds ?? 0) * 1000) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no new attempt of walStream took over');
}

async function pitrSetup(name: string, user: string, password: string, webhook?: string): Promise<TestSetup> {
  await makeSource();
  const dir = join(services.dir, slug(name));
  await mkdir(join(dir, 'images'), { recursive: true, mode: 0o700 });
  const passwordFile = join(dir, 'db.password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  const passphraseFile = join(dir, 'passphrase');
  await writeFile(passphraseFile, 'pitr-test-passphrase\n', { mode: 0o600 });
  const config = parseConfig(
    {
      source: {
        name: 'promptbox',
        database: { transport: 'direct', host: '127.0.0.1', port: source.port, user, database: 'app', password: { file: passwordFile } },
        storage: { root: join(dir, 'images') },
      },
      repository: { root: join(dir, 'repo') },
      encryption: { enabled: true, passphraseFile },
      temporal: { address: services.temporal.address, namespace: 'default', taskQueue: slug(name) },
      // Short attempts and heartbeats: a lost worker is taken over in seconds.
      pitr: { enabled: true, slot: slug(name).replace(/-/g, '_'), streamFor: '20s', heartbeat: '3s', maxRetryInterval: '1s' },
      ...(webhook ? { alerts: { webhooks: [{ url: webhook }] } } : {}),
      logging: { level: 'debug' },
    },
    `test config for "${name}"`,
    {},
  );
  return { config, passwordFile, passphraseFile, passphrase: 'pitr-test-passphrase' };
}

test('the prerequisite check names the SQL that lets the backup user stream WAL, and creates no slot', async () => {
  const setup = await pitrSetup('pitr prerequisites', 'norepl', 'norepl-pw');
  const acts = createActivities(createActivityDeps(setup.config, services.logger, services.secrets));
  await assert.rejects(acts.walCheckPrerequisites(), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'ConfigInvalid');
    assert.match(err.message, /ALTER ROLE "norepl" REPLICATION;/);
    return true;
  });
  assert.deepEqual(await asSuper('select slot_name from pg_replication_slots'), []);
});

test('a dropped replication slot is alerted as a gap in the archive and answered with a new base backup', { timeout: 300_000 }, async () => {
  const hook = await webhookReceiver(services);
  const setup = await pitrSetup('pitr dropped slot', 'archiver', 'archiver-pw', hook.url);
  const slot = setup.config.pitr.slot!;
  const worker = await startWorker(setup, 'pitr-dropped-slot');
  worker();
  const archiverId = `${setup.config.temporal.taskQueue}-archiver`;
  const archiver = await services.client.workflow.start('walArchiver', { taskQueue: setup.config.temporal.taskQueue, workflowId: archiverId });
  services.defer(() => archiver.terminate('test over').catch(() => undefined));
  await whileRunning(services, archiverId, 'walStream', true);
  assert.deepEqual(await readBaseBackups(setup.config.repository.root), { backups: [], invalid: [] });

  // The slot dropped under the archiver, and the WAL it held recycled before the archiver is back.
  await asSuper(`select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = '${slot}' and active_pid is not null`);
  for (let dropped = false; !dropped; ) {
    dropped = await asSuper(`select pg_drop_replication_slot('${slot}')`).then(() => true, () => false);
  }
  await asSuper('select pg_switch_wal(); checkpoint');

  for (let i = 0; i < 600 && !(hook.alerts.length && (await readBaseBackups(setup.config.repository.root)).backups.length); i += 1) await new Promise((r) => setTimeout(r, 200));
  assert.match(hook.alerts[0]?.text ?? '(no alert)', /WAL archive gap: .*new base backup/);
  assert.equal((await readBaseBackups(setup.config.repository.root)).backups.length, 1, 'a base backup was taken after the gap');
  assert.deepEqual(await asSuper(`select slot_type from pg_replication_slots where slot_name = '${slot}'`), [['physical']], 'and the slot is back');
  await archiver.terminate('test over');
  await recordHistory(services, archiverId, 'wal-archiver-gap');
});

test('recovery to "latest" after the source is destroyed keeps every write but the last second, to a time T exactly those before T, and to a time after the archive ends every archived write, across a SIGKILLed archiver worker', { timeout: 600_000 }, async (t) => {
  const setup = await pitrSetup('pitr story', 'archiver', 'archiver-pw');
  const spawnWorker = await startWorker(setup, 'pitr-story');
  const recovered: string[] = [];
  t.after(async () => {
    for (const dir of recovered) {
      const [cmd, ...args] = pgCtlArgv({ dir, port: 0 }, 'stop');
      await execa(cmd as string, args, { reject: false });
    }
  });
  let worker = spawnWorker();
  const archiverId = `${setup.config.temporal.taskQueue}-archiver`;
  const archiver = await services.client.workflow.start('walArchiver', { taskQueue: setup.config.temporal.taskQueue, workflowId: archiverId });
  services.defer(() => archiver.terminate('test over').catch(() => undefined));
  await whileRunning(services, archiverId, 'walStream', true);
  const base = await services.client.workflow.execute<() => Promise<BaseBackupRecord>>('baseBackup', {
    taskQueue: setup.config.temporal.taskQueue,
    workflowId: `${setup.config.temporal.taskQueue}-base`,
  });

  // Each write is acknowledged (committed) before the next; every fifth one completes a segment.
  const acked: Array<{ id: number; at: number }> = [];
  const write = async (count: number) => {
    for (let i = 0; i < count; i += 1) {
      const id = acked.length + 1;
      await sql(source.port, 'archiver', 'archiver-pw', 'app', `insert into writes (id) values (${id})`);
      acked.push({ id, at: Date.now() });
      if (id % 5 === 0) await asSuper('select pg_switch_wal()');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await write(15);
  await new Promise((r) => setTimeout(r, 300));
  const pointInTime = new Date().toISOString();
  const beforeT = acked.length;
  await new Promise((r) => setTimeout(r, 300));
  await write(10);

  const receiverPid = async () => {
    const read = await readReceiverRecord(setup.config.repository.root);
    assert.ok(read && 'record' in read && read.record.pid !== undefined, 'the archiver recorded its pg_receivewal');
    return read.record.pid;
  };
  const orphan = await receiverPid();
  worker.kill('SIGKILL'); // its pg_receivewal lives on, orphaned, until the next attempt ends it
  await write(10);
  assert.ok(alive(orphan), 'the killed worker\'s pg_receivewal outlives it');
  worker = spawnWorker();
  await write(10);
  await takenOver(archiverId);
  await write(10);
  assert.ok(!alive(orphan), 'the new attempt ended the orphaned pg_receivewal');
  assert.ok(alive(await receiverPid()), 'and streams with its own');
  const acts = createActivities(createActivityDeps(setup.config, services.logger, services.secrets));
  const status = await acts.walArchiveStatus({ maxLagMs: 60_000 });
  assert.equal(status.verdict, 'ok', `archive lag ${status.lagMs} ms, ${status.behindBytes} bytes behind`);

  const [pgCtl, ...stopArgs] = pgCtlArgv({ dir: source.dir, port: source.port }, 'stop');
  await execa(pgCtl as string, stopArgs.map((a) => (a === 'fast' ? 'immediate' : a))); // a crash, not a shutdown
  const destroyedAt = Date.now();
  await rm(join(source.dir, 'data'), { recursive: true, force: true });
  await new Promise((r) => setTimeout(r, 3_000)); // the archiver's attempt fails and archives what it completed

  const archived = [...(await readWalIndex(setup.config.repository.root)).records.keys()];
  assert.ok(archived.length >= 10, `segments archived: ${archived.length}`);
  assert.deepEqual(findGaps(archived, base.firstSegment), [], 'no segment is missing from the base backup on');

  const recover = async (pointInTime: string, name: string): Promise<{ result: PitrResult; ids: number[] }> => {
    const dir = join(services.dir, name);
    recovered.push(dir);
    const port = await freePort();
    const result = await services.client.workflow.execute<(i: unknown) => Promise<PitrResult>>('pointInTimeRecovery', {
      taskQueue: setup.config.temporal.taskQueue,
      workflowId: `${setup.config.temporal.taskQueue}-${name}`,
      args: [{ pointInTime, dataDir: join(dir, 'data'), port }],
    }).catch((err) => {
      throw new Error(`${name}: ${rootFailure(err).message}`);
    });
    const rows = await sql(port, 'archiver', 'archiver-pw', 'app', 'select id from writes order by id');
    return { result, ids: rows.map(([id]) => Number(id)) };
  };

  const latest = await recover('latest', 'recovered-latest');
  const everyId = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  assert.deepEqual(latest.ids, everyId(latest.ids.length), 'the recovered writes have no hole');
  const safelyAcked = acked.filter((w) => w.at < destroyedAt - 1_000).length;
  assert.ok(latest.ids.length >= safelyAcked, `recovered ${latest.ids.length} of ${acked.length} writes; ${safelyAcked} were committed over a second before the source died`);
  assert.ok(latest.result.rpoMs !== undefined && latest.result.rpoMs < 60_000, `RPO ${latest.result.rpoMs} ms`);

  const atT = await recover(pointInTime, 'recovered-at-t');
  assert.deepEqual(atT.ids, everyId(beforeT), `exactly the ${beforeT} writes committed before ${pointInTime}`);
  assert.ok(atT.result.reachedAt! < pointInTime, `reached ${atT.result.reachedAt}, before ${pointInTime}`);
  // The time an operator gives as "when it broke" is after the last commit the archive holds:
  // every archived write was committed before it, so all of them are recovered, and the result says the archive ends first.
  const afterEnd = new Date(destroyedAt + 2_000).toISOString();
  const past = await recover(afterEnd, 'recovered-after-end');
  assert.deepEqual(past.ids, latest.ids, `every archived write, as "latest" recovered them`);
  assert.equal(past.result.archiveEndsBeforeTarget, true);
  assert.ok(past.result.reachedAt! < afterEnd && past.result.rpoMs! > 0, `reached ${past.result.reachedAt}, RPO ${past.result.rpoMs} ms against ${afterEnd}`);
  await recordHistory(services, `${setup.config.temporal.taskQueue}-base`, 'base-backup');
  await recordHistory(services, `${setup.config.temporal.taskQueue}-recovered-at-t`, 'point-in-time-recovery');
});
