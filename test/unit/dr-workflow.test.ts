// Covers: workflows/dr-runbook.ts (gates, operator signals, budgets, abort and cancellation) with
// STUBBED activities, as Temporal's samples test workflow logic: plain functions registered on a
// Worker, a fresh worker and task queue per test. Runs on Temporal's time-skipping test server
// (`bash scripts/setup.sh test` installs it), so the budgets are the backup doc's, minutes and
// hours, and a step that overruns them by hours takes a second of real time. Nothing real is
// restored.
import { afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Activities } from '../../activities/index.js';
import type { ChosenBackup } from '../../activities/dr.js';
import { startTimeSkippingEnvironment } from '../../local/time-skipping-server.js';
import { CHECKLIST_ITEMS, checklistPassed, type ChecklistItem } from '../../core/checklist.js';
import type { DrInput } from '../../core/dr-input.js';
import type { DrProgress, DrReport } from '../../core/dr-report.js';
import { DR_OVER_BUDGET } from '../../core/search-attributes.js';
import { abortSignal, approveSignal, drRecovery, progressQuery, retryStepSignal, skipStepSignal } from '../../workflows/dr-runbook.js';
import { bundleWorkflows } from '../../worker/workflow-bundle.js';

type DrActivities = Pick<
  Activities,
  'drChooseBackup' | 'drCheckTarget' | 'drPrepare' | 'drStartDatabase' | 'drRestoreDatabase' | 'drRecoverDatabase' | 'drRestoreImages' | 'drStartApp' | 'drVerify' | 'drStop' | 'drWriteReport'
>;

/** What the workflow logged (a refused signal is only logged: signals cannot answer). */
const logged: string[] = [];
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

before(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN', (entry) => void logged.push(entry.message)) });
  const noop = () => undefined;
  bundle = await bundleWorkflows({ trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop });
}, { timeout: 180_000 });

// A server per test (about 0.1 s to start). A step a recovery skips or aborts while it runs leaves
// its activity to end on its own, after the workflow; the test server keeps time from skipping for
// as long as an activity is open, and one whose workflow has closed stays open for good, so it
// would stall every later test that lets time skip.
beforeEach(async () => {
  env = await startTimeSkippingEnvironment();
});

afterEach(async () => {
  await env?.teardown();
});

const INPUT: DrInput = {
  target: {
    appDir: '/srv/recovered',
    storageRoot: '/srv/recovered/storage',
    database: { transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox' },
    admin: { username: 'admin', password: { file: '/etc/promptbox/admin' } },
  },
  // No budgets: the backup doc's (core/dr-input.ts), 10 min to 3 h a step, RTO 4 h, RPO 24 h.
  // One attempt per step: a failure reaches the operator at once, with no retry delay to wait out.
  stepAttempts: 1,
};

const IMAGES_INTACT = { checked: 3, missing: [], corrupt: [], thumbnailsRebuilt: [], missingCount: 0, corruptCount: 0, thumbnailsRebuiltCount: 0 };
const VERIFIED: ChecklistItem[] = CHECKLIST_ITEMS.filter((i) => i !== 'database restored' && i !== 'images present and intact').map((item) => ({ item, result: 'pass', evidence: 'as expected' }));

/** A good backup and a recovery where every step works, unless a test overrides one. */
function stubActivities(overrides: Partial<DrActivities>) {
  const calls: string[] = [];
  const reports: DrReport[] = [];
  const activities: DrActivities = {
    drChooseBackup: async () => ({ backupId: '20261129_030000', takenAt: new Date(Date.now() - 3_600_000).toISOString(), tables: { images: 3 }, config: [] }) as unknown as ChosenBackup,
    drCheckTarget: async () => 'the target is empty',
    drPrepare: async () => 'restored .env, docker-compose.yml',
    drStartDatabase: async () => 'accepting connections after 1 probe(s); the database is empty',
    drRestoreDatabase: async () => '4096 bytes restored; 3 tables with the manifest\'s row counts',
    drRecoverDatabase: async () => ({ summary: 'recovered in a scratch cluster', baseBackup: '20261129_020000' }),
    drRestoreImages: async () => IMAGES_INTACT,
    drStartApp: async () => 'healthy after 1 probe(s)',
    drVerify: async () => VERIFIED,
    drStop: async () => [],
    drWriteReport: async ({ json }) => {
      reports.push(json as DrReport);
      return 'dr-reports/report.md';
    },
    ...overrides,
  };
  const recorded = Object.entries(activities).map(([name, run]) => {
    const called = (...args: unknown[]) => {
      calls.push(name);
      return (run as (...a: unknown[]) => unknown)(...args);
    };
    return [name, called];
  });
  return { activities: Object.fromEntries(recorded), calls, reports };
}

/** Stays running until cancelled, as a step that hangs would. */
async function hangs(): Promise<never> {
  const ctx = Context.current();
  for (;;) {
    ctx.heartbeat();
    await ctx.sleep(100);
  }
}

/**
 * Stays running for `ms` of the test server's time, which skips ahead meanwhile. It heartbeats
 * through the client, which answers only once the server has it, more often than the heartbeat
 * timeout a step with a budget of a minute or more gets (workflows/options.ts); the SDK's own
 * heartbeats are throttled in real time and would reach the server too late.
 */
async function runsFor(ms: number): Promise<void> {
  const { taskToken } = Context.current().info;
  const every = 30_000;
  for (let left = ms; left > 0; left -= every) {
    await env.client.activity.heartbeat(taskToken);
    await env.sleep(Math.min(left, every));
  }
}

type Handle = WorkflowHandle<typeof drRecovery>;

/**
 * Runs one recovery on a fresh worker and task queue named after the test, with `operator`
 * acting on it meanwhile; returns its report or its failure, the activities called and the
 * reports written.
 */
async function recover(title: string, opts: { input?: Partial<DrInput>; activities?: Partial<DrActivities> }, operator: (handle: Handle) => Promise<void> = async () => undefined) {
  const { activities, calls, reports } = stubActivities(opts.activities ?? {});
  const taskQueue = `dr-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 80)}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  // Longer than any recovery here. Awaiting the result skips time: a recovery left waiting for
  // an operator who never comes times out at once instead of hanging the file.
  const handle = await env.client.workflow.start(drRecovery, { taskQueue, workflowId: taskQueue, args: [{ ...INPUT, ...opts.input }], workflowExecutionTimeout: '1 day' });
  const outcome = await worker.runUntil(async () => {
    await operator(handle);
    return handle.result().then((report) => ({ report, error: undefined }), (error: Error) => ({ report: undefined, error }));
  });
  return { handle, calls, reports, ...outcome };
}

/** The progress once `ready` holds (polled as an operator's `dr status --watch` would). */
async function until(handle: Handle, ready: (p: DrProgress) => boolean): Promise<DrProgress> {
  for (let i = 0; i < 200; i += 1) {
    const p = await handle.query(progressQuery);
    if (ready(p)) return p;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the recovery never got there; last progress ${JSON.stringify(await handle.query(progressQuery))}`);
}

async function loggedSoon(text: string): Promise<void> {
  for (let i = 0; i < 200 && !logged.some((l) => l.includes(text)); i += 1) await new Promise((r) => setTimeout(r, 50));
  assert.ok(logged.some((l) => l.includes(text)), `not logged: ${text}`);
}

const byStep = (r: DrReport | DrProgress) => Object.fromEntries(r.steps.map((s) => [s.step, s]));
const statuses = (r: DrReport | DrProgress) => r.steps.map((s) => s.status);

test('with approval the recovery waits before the destructive steps, a retry is no approval, and one approve lets both run', async (t) => {
  const run = await recover(t.name, { input: { approval: true } }, async (handle) => {
    const gate = await until(handle, (p) => p.waitingFor !== undefined);
    assert.equal(gate.waitingFor, 'approval before 3 restore database (destructive): send approve');
    assert.deepEqual(statuses(gate), ['done', 'done', 'waiting for approval', 'pending', 'pending', 'pending']);
    await handle.signal(retryStepSignal, { step: 'restoreDatabase' });
    await loggedSoon('ignored retry: 3 restore database is waiting for approval: a retry is no approval: send approve');
    assert.equal((await handle.query(progressQuery)).waitingFor, gate.waitingFor, 'still waiting after the retry');
    await handle.signal(approveSignal);
  });
  assert.ifError(run.error);
  assert.equal(run.report?.outcome, 'succeeded');
  assert.deepEqual(statuses(run.report!), ['done', 'done', 'done', 'done', 'done', 'done']);
  assert.ok(checklistPassed(run.report!.checklist), JSON.stringify(run.report!.checklist));
  assert.equal(run.report!.checklist.find((c) => c.item === 'database restored')?.evidence, '4096 bytes restored; 3 tables with the manifest\'s row counts');
  assert.match(run.report!.rto.verdict, /^RTO met: /);
  assert.deepEqual(run.reports, [run.report], 'the report written is the one returned');
  assert.equal(run.calls.filter((c) => c === 'drRestoreDatabase').length, 1);
  assert.ok(!run.calls.includes('drStop'), 'nothing stopped after a recovery that worked');
});

test('a step that fails past its retries waits for the operator, and retryStep runs it again to success', async (t) => {
  let starts = 0;
  const run = await recover(t.name, {
    activities: {
      drStartApp: async () => {
        starts += 1;
        if (starts === 1) throw ApplicationFailure.create({ message: 'the app did not answer /health', nonRetryable: true });
        return 'healthy after 1 probe(s)';
      },
    },
  }, async (handle) => {
    const parked = await until(handle, (p) => p.waitingFor !== undefined);
    assert.equal(parked.waitingFor, '5 start application failed: send retryStep or skipStep (or abort)');
    assert.equal(byStep(parked).startApp?.status, 'waiting for operator');
    assert.equal(byStep(parked).startApp?.error, 'the app did not answer /health');
    assert.equal(byStep(parked).verify?.status, 'pending', 'the runbook does not go on past a failed step');
    await handle.signal(retryStepSignal, { step: 'startApp' });
  });
  assert.ifError(run.error);
  assert.equal(run.report?.outcome, 'succeeded');
  const startApp = byStep(run.report!).startApp!;
  assert.deepEqual([startApp.status, startApp.attempts, startApp.error], ['done', 2, undefined]);
  assert.equal(starts, 2);
});

test('skipStep ends a failed step with its reason and the recovery goes on, but without the images it is not verified', async (t) => {
  const run = await recover(t.name, { activities: { drRestoreImages: async () => { throw ApplicationFailure.create({ message: 'mirror unreadable', nonRetryable: true }); } } }, async (handle) => {
    await until(handle, (p) => byStep(p).restoreImages?.status === 'waiting for operator');
    await handle.signal(skipStepSignal, { step: 'restoreImages', reason: 'images copied by hand' });
  });
  assert.ifError(run.error);
  assert.equal(run.report?.outcome, 'succeeded');
  const images = byStep(run.report!).restoreImages!;
  assert.deepEqual([images.status, images.skipReason, images.error], ['skipped', 'images copied by hand', 'mirror unreadable']);
  assert.deepEqual(run.report!.checklist.find((c) => c.item === 'images present and intact'), { item: 'images present and intact', result: 'skip', evidence: 'image restore did not run' });
  assert.match(run.report!.rto.verdict, /^RTO NOT MET \(the checklist failed: the app is not verified working\)/);
  assert.ok(run.calls.includes('drVerify'), 'the steps after the skipped one ran');
});

test('skipStep on a running step cancels its activity and the recovery moves on without it', async (t) => {
  const run = await recover(t.name, { activities: { drStartApp: hangs } }, async (handle) => {
    await until(handle, (p) => byStep(p).startApp?.status === 'running');
    await handle.signal(skipStepSignal, { step: 'startApp', reason: 'started by hand' });
  });
  assert.ifError(run.error);
  assert.equal(run.report?.outcome, 'succeeded');
  assert.deepEqual([byStep(run.report!).startApp?.status, byStep(run.report!).startApp?.skipReason], ['skipped', 'started by hand']);
  assert.equal(byStep(run.report!).verify?.status, 'done');
  const events = (await run.handle.fetchHistory()).events ?? [];
  assert.ok(events.some((e) => e.activityTaskCancelRequestedEventAttributes), 'the server recorded the activity cancelled');
});

test('abort at the approval gate stops what was started, aborts every unfinished step and still writes the report', async (t) => {
  const run = await recover(t.name, { input: { approval: true } }, async (handle) => {
    await until(handle, (p) => p.waitingFor?.startsWith('approval before 3') ?? false);
    await handle.signal(abortSignal, { reason: 'drill over' });
  });
  assert.ifError(run.error);
  assert.equal(run.report?.outcome, 'aborted');
  assert.deepEqual(statuses(run.report!), ['done', 'done', 'aborted', 'aborted', 'aborted', 'aborted']);
  assert.equal(run.report!.waitingFor, undefined);
  assert.match(run.report!.rto.verdict, /^RTO NOT MET \(recovery aborted\)/);
  assert.deepEqual(run.report!.checklist.slice(0, 2).map((c) => [c.item, c.result, c.evidence]), [
    ['database restored', 'fail', 'not run'],
    ['images present and intact', 'skip', 'image restore did not run'],
  ]);
  assert.equal(run.calls.filter((c) => c === 'drStop').length, 1);
  assert.ok(!run.calls.includes('drRestoreDatabase'));
  assert.deepEqual(run.reports, [run.report]);
});

test('abort during a running step cancels its activity and stops what was started', async (t) => {
  const run = await recover(t.name, { activities: { drRestoreImages: hangs } }, async (handle) => {
    await until(handle, (p) => byStep(p).restoreImages?.status === 'running');
    await handle.signal(abortSignal, { reason: 'wrong backup' });
  });
  assert.ifError(run.error);
  assert.equal(run.report?.outcome, 'aborted');
  assert.deepEqual(statuses(run.report!), ['done', 'done', 'done', 'aborted', 'aborted', 'aborted']);
  assert.equal(run.calls.filter((c) => c === 'drStop').length, 1);
  assert.ok(!run.calls.includes('drStartApp'));
  const events = (await run.handle.fetchHistory()).events ?? [];
  assert.ok(events.some((e) => e.activityTaskCancelRequestedEventAttributes), 'the server recorded the activity cancelled');
});

test('a step slower than its budget is done but reported over budget, and a missed RTO says so', async (t) => {
  const run = await recover(t.name, {
    activities: {
      drRestoreImages: async () => {
        await runsFor(4.5 * 3_600_000);
        return IMAGES_INTACT;
      },
    },
  });
  assert.ifError(run.error);
  const restoreImages = byStep(run.report!).restoreImages!;
  assert.deepEqual([restoreImages.status, restoreImages.overBudget], ['done', true]);
  assert.ok(restoreImages.elapsedMs! >= 4.5 * 3_600_000, `${restoreImages.elapsedMs}`);
  assert.deepEqual(run.report!.steps.filter((s) => s.overBudget).map((s) => s.step), ['restoreImages'], 'the other steps kept to their budgets');
  assert.equal(run.report!.rto.met, false);
  assert.match(run.report!.rto.verdict, /^RTO MISSED: 4h30m\d*s? of 4h; over budget: 4 restore images \(4h30m\d*s? of 3h\)$/);
  assert.equal((await run.handle.describe()).typedSearchAttributes.get(DR_OVER_BUDGET), true);
});

test('cancelling the recovery while it waits stops what was started and ends it cancelled, with no report written', async (t) => {
  const run = await recover(t.name, { activities: { drStartDatabase: async () => { throw ApplicationFailure.create({ message: 'no database', nonRetryable: true }); } } }, async (handle) => {
    await until(handle, (p) => p.waitingFor !== undefined);
    await handle.cancel();
  });
  assert.ok(run.error instanceof WorkflowFailedError, String(run.error));
  assert.ok(run.error.cause instanceof CancelledFailure, String(run.error.cause));
  assert.equal(run.calls.filter((c) => c === 'drStop').length, 1);
  assert.deepEqual(run.reports, []);
});

test('a walTo recovery recovers the database in a scratch cluster instead of restoring a dump, lays the images back to that moment, and an abort discards the scratch cluster', async (t) => {
  const walTo = '2026-11-29T12:00:00.000Z';
  const seen: Record<string, unknown> = {};
  const wal = { to: walTo, baseBackup: '20261129_020000' };
  const activities: Partial<DrActivities> = {
    drChooseBackup: async (input) => {
      seen.choose = input;
      return { backupId: wal.baseBackup, takenAt: '2026-11-29T02:05:00.000Z', config: [], wal, imagesTakenAt: '2026-11-29T11:50:00.000Z' };
    },
    drRecoverDatabase: async (input) => {
      seen.recover = input.wal;
      return { summary: 'recovered to 2026-11-29T11:59:58.000Z in a scratch cluster', baseBackup: wal.baseBackup, reachedAt: '2026-11-29T11:59:58.000Z' };
    },
    drRestoreImages: async (input) => {
      seen.imagesAsOf = input.asOf;
      return IMAGES_INTACT;
    },
  };
  const run = await recover(t.name, { input: { backup: { walTo } }, activities });
  assert.ifError(run.error);
  assert.equal(run.report?.outcome, 'succeeded');
  assert.ok(!run.calls.includes('drRestoreDatabase'), 'no dump restored');
  assert.deepEqual([seen.choose, seen.recover, seen.imagesAsOf], [{ walTo }, wal, walTo]);
  assert.equal(run.report!.backupId, wal.baseBackup);
  assert.deepEqual(run.report!.rpo.pointInTime, { target: walTo, databaseReachedAt: '2026-11-29T11:59:58.000Z', databaseRpoMs: 2_000, imagesAsOf: '2026-11-29T11:50:00.000Z', imagesRpoMs: 600_000 });
  assert.equal(run.report!.rpo.dataAgeMs, 600_000, 'the larger of the two');

  const stopped: unknown[] = [];
  const aborted = await recover(`${t.name} aborted`, { input: { backup: { walTo } }, activities: { ...activities, drRecoverDatabase: hangs, drStop: async (input) => {
    stopped.push(input.wal);
    return [];
  } } }, async (handle) => {
    await until(handle, (p) => byStep(p).restoreDatabase?.status === 'running');
    await handle.signal(abortSignal, { reason: 'wrong moment' });
  });
  assert.equal(aborted.report?.outcome, 'aborted');
  assert.deepEqual(stopped, [wal], 'the cleanup names the scratch cluster to discard');
  assert.match(aborted.report!.rpo.verdict, /^RPO unknown: the database was not recovered from the WAL archive/);
});
