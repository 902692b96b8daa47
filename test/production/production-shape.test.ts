// Covers: our workflows on Temporal in its production shape (local/temporal-production-server.ts:
// the server version docker-compose.temporal.yml runs, PostgreSQL persistence and visibility, the
// compose file's schema and namespace steps) against the real Prompt Box: two worker processes on
// one task queue with one SIGKILLed mid-step, the server restarted mid-run, a full restore test
// (its recovery into a sandbox), a schedule from `schedules apply` firing, and the documented audit
// queries on PostgreSQL visibility.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { execa } from 'execa';
import { freePort, waitFor } from '../../local/ports.js';
import { scheduleId } from '../../client/schedules.js';
import { BACKUP_OUTCOME } from '../../core/search-attributes.js';
import { makeSandbox } from '../../fixtures/dr-sandbox.js';
import type { RealPromptBox } from '../../fixtures/real-promptbox.js';
import type { BackupResult } from '../../core/backup-result.js';
import type { RestoreTestResult } from '../../repository/restore-tests.js';
import { useServices } from '../harness.js';
import { assertSucceeded, finalAttempt, makeConfig, makeRealPromptBox, runBackup, runCli, runWorkflow, scheduledCount, testWorker, type TestSetup } from '../helpers.js';
import { useWorkerProcesses, whileRunning } from '../worker-process.js';

const services = useServices({ production: true });
const workerProcesses = useWorkerProcesses(services);

let sharedApp: Promise<RealPromptBox> | undefined;

/** The real Prompt Box, with a large (sparse) file in its storage so that copying images lasts long enough to interrupt. */
function app(): Promise<RealPromptBox> {
  sharedApp ??= makeRealPromptBox(services, 4).then(async (box) => {
    await execa('truncate', ['-s', '1G', join(box.storageRoot, 'large.bin')]);
    return box;
  });
  return sharedApp;
}

/** A config of its own (repository, task queue) whose image step heartbeats every few seconds, so a lost worker is noticed at once. */
async function configFor(name: string): Promise<TestSetup> {
  return makeConfig(services, await app(), name, {
    overrides: (raw) => {
      raw.steps = { ...raw.steps, images: { timeout: '5m', heartbeat: '3s', retry: { maximumAttempts: 3, initialInterval: '1s' } } };
    },
  });
}

/** Good means: its manifest verified, its run journal and its search attributes say succeeded. */
async function assertRecordedGood(setup: TestSetup, handle: WorkflowHandle, manifest: string): Promise<void> {
  const repo = setup.config.repository.root;
  assert.equal(JSON.parse(await readFile(join(repo, manifest), 'utf8')).verification.passed, true);
  assert.equal(JSON.parse(await readFile(join(repo, 'runs', 'full.json'), 'utf8')).outcome, 'succeeded');
  assert.equal((await handle.describe()).typedSearchAttributes.get(BACKUP_OUTCOME), 'succeeded');
}

/** The filters of the documented audit queries (docs/operations.md), by question. */
async function documentedQueries(): Promise<Map<string, string>> {
  const doc = await readFile(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- audit-queries -->'), doc.indexOf('<!-- /audit-queries -->'));
  const rows = table.split('\n').filter((line) => line.startsWith('| ') && line.includes('`'));
  return new Map(rows.map((row) => {
    const [, question, filter] = row.split('|') as [string, string, string];
    return [question.trim(), /`(.+)`/.exec(filter)![1]!];
  }));
}

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const run of services.client.workflow.list({ query })) ids.push(run.workflowId);
  return ids;
}

/** Runs the documented query for `question` (placeholders filled in) and expects exactly `ids`, newest first. */
async function assertAnswers(question: string, placeholders: Record<string, string>, ids: string[]): Promise<void> {
  const filter = [...(await documentedQueries())].find(([q]) => q.startsWith(question))?.[1];
  assert.ok(filter, `docs/operations.md documents "${question}"`);
  const query = filter.replace(/\{(\w+)\}/g, (_, name: string) => placeholders[name] ?? assert.fail(`undocumented placeholder {${name}}`));
  // Visibility is written shortly after a run closes.
  await waitFor(query, 10_000, async () => JSON.stringify(await listIds(query)) === JSON.stringify(ids)).catch(() => undefined);
  assert.deepEqual(await listIds(query), ids, query);
}

test('two workers on one task queue: the one copying images is killed with SIGKILL, the other finishes the backup and it is recorded good', async () => {
  const setup = await configFor('two workers');
  const startWorker = await workerProcesses(setup, 'two-workers');
  const workers = [startWorker(), startWorker()];
  const handle = await services.client.workflow.start('fullBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'two-workers', args: [{}] });
  await whileRunning(services, handle.workflowId, 'syncImages', true);

  // The worker running the step is whichever took it: its identity is `<pid>@<host>`.
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  const killedIdentity = pending.find((a) => a.activityType?.name === 'syncImages')?.lastWorkerIdentity ?? '';
  const killed = workers.find((w) => killedIdentity.startsWith(`${w.pid}@`));
  const survivor = workers.find((w) => w !== killed);
  assert.ok(killed && survivor, `the step runs on one of the two workers (${killedIdentity})`);
  killed.kill('SIGKILL');
  await killed;

  const result = (await handle.result()) as { manifest: string };
  await assertRecordedGood(setup, handle, result.manifest);
  const events = (await handle.fetchHistory()).events ?? [];
  assert.ok(finalAttempt(events, 'syncImages') >= 2, 'the image copy ran again');
  const copy = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncImages');
  const copiedBy = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(copy?.eventId))?.activityTaskStartedEventAttributes?.identity;
  assert.ok(copiedBy?.startsWith(`${survivor.pid}@`), `the surviving worker finished the image copy (${copiedBy})`);
  assert.equal(scheduledCount(events, 'dumpDatabase'), 1, 'the dump is not repeated');
});

test('the Temporal server stopped and restarted in the middle of a backup: the run resumes and is recorded good', async () => {
  const setup = await configFor('server restart');
  const worker = await testWorker(services, setup);
  const { handle, result } = await worker.runUntil(async () => {
    const started = await services.client.workflow.start('fullBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'server-restart', args: [{}] });
    await whileRunning(services, started.workflowId, 'syncImages');
    const serverBefore = services.temporal.process.pid;
    await services.restartTemporal(2_000);
    assert.notEqual(services.temporal.process.pid, serverBefore, 'a new server process');
    return { handle: started, result: (await started.result()) as { manifest: string } };
  });
  await assertRecordedGood(setup, handle, result.manifest);
});

test('a full restore test recovers the real Prompt Box into a sandbox where every checklist item passes, and the audit query finds its recovery', async () => {
  // An app of its own: the recovery copies every stored file, and the shared one holds 1 GB.
  const box = await makeRealPromptBox(services, 4);
  const sandboxRoot = join(services.dir, 'full-restore');
  await mkdir(sandboxRoot);
  const sandbox = await makeSandbox(box, sandboxRoot, 'full');
  try {
    const setup = await makeConfig(services, box, 'full restore test', {
      overrides: (raw) => void (raw.restoreTests = { full: { sandboxRoot, recovery: sandbox.input as Record<string, unknown> } }),
    });
    assertSucceeded(await runBackup(services, setup));
    const run = await runWorkflow<RestoreTestResult>(services, setup, 'restoreTest', [{ kind: 'full' }]);
    assert.ifError(run.error);
    assert.equal(run.result?.passed, true, JSON.stringify(run.result?.checklist, null, 1));
    assert.ok(run.result.checklist.length > 0 && run.result.checklist.every((c) => c.result === 'pass'));
    assert.deepEqual(await readdir(sandboxRoot), [], 'the sandbox is emptied');
    await assertAnswers('last successful full restore', {}, [`${run.handle.workflowId}-dr`]);
  } finally {
    await sandbox.stop();
  }
});

test('schedules created by `schedules apply` fire on the production server: a database backup every minute runs and is verified', async () => {
  const none = { images: null, config: null, retention: null, health: null, integrity: null, partialRestore: null };
  const setup = await makeConfig(services, await app(), 'schedule fires', {
    encrypted: false,
    overrides: (raw) => void (raw.schedules = { ...none, database: { cron: '* * * * *' } }),
  });
  const applied = await runCli(services, setup, ['schedules', 'apply']);
  assert.equal(applied.exitCode, 0, applied.stderr);
  const schedule = services.client.schedule.getHandle(scheduleId(setup.config, 'database'));
  try {
    const result = await (await testWorker(services, setup)).runUntil(async () => {
      let fired: { workflowId: string; firstExecutionRunId: string } | undefined;
      await waitFor('the every-minute schedule to fire', 90_000, async () => {
        fired = (await schedule.describe()).info.recentActions[0]?.action.workflow;
        return fired !== undefined;
      });
      // One run is all this test needs: a second firing left running would carry the next
      // minute's BackupId into the audit test below and answer its "backup by id" query too.
      await schedule.pause('fired once');
      return (await services.client.workflow.getHandle(fired!.workflowId, fired!.firstExecutionRunId).result()) as BackupResult;
    });
    assert.equal(result.kind, 'database');
    assert.ok(result.verification.some((c) => c.check === 'pg_restore --list' && c.ok), JSON.stringify(result.verification));
  } finally {
    const { runningActions } = (await schedule.describe()).info;
    await schedule.delete();
    await Promise.all(runningActions.map(({ workflow }) => services.client.workflow.getHandle(workflow.workflowId).terminate('schedule test ended')));
    // A BackupId is the second a run started: a backup of the next test starting in the second
    // the fired run did would share it (their repositories differ) and answer its audit query too.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }
});

test('the documented audit queries answer on PostgreSQL visibility: a backup by id, the failed backups this month, the backups over 1 GB', async () => {
  const box = await app();
  const good = await runBackup(services, await makeConfig(services, box, 'audit good', { encrypted: false }));
  const { backupId } = assertSucceeded(good);
  const closedPort = await freePort();
  const failed = await runBackup(services, await makeConfig(services, box, 'audit unreachable database', {
    overrides: (raw) => void Object.assign(raw.source.database, { port: closedPort }),
  }));
  assert.ok(failed.error, 'the backup of an unreachable database failed');
  // BackupBytes, an Int attribute: a config snapshot of a 1.1 GB (sparse) file.
  const bigFile = join(services.dir, 'audit-big.conf');
  await execa('truncate', ['-s', '1100M', bigFile]);
  const large = await runBackup(services, await makeConfig(services, box, 'audit large', { encrypted: false, overrides: (raw) => void (raw.source.configFiles = [bigFile]) }), 'configSnapshot');
  assertSucceeded(large);

  const now = new Date();
  const placeholders = { backupId, monthStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString() };
  await assertAnswers('every run that took or restored one backup', placeholders, [good.handle.workflowId]);
  await assertAnswers('failed backups this month', placeholders, [failed.handle.workflowId]);
  await assertAnswers('backups of one source larger than 1 GB', placeholders, [large.handle.workflowId]);
});
