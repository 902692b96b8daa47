// restoreTest: a backup that has never been restored is a hope, not a backup. Three kinds, each
// on its own schedule: weekly integrity (everything retained re-hashed and re-read), monthly
// partial restore (the database into a scratch database and a sample of originals into a scratch
// directory, alternating by month), quarterly full restore (the whole DR runbook into a fresh
// sandbox, torn down afterwards). Results are kept in restore-tests/ and failures alert.
import { CancellationScope, executeChild, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { CHECKLIST_ITEMS, CHECKLIST_ITEMS_BEFORE_THUMBNAILS, checklistPassed } from '../core/checklist.js';
import { scratchNameFor } from '../core/scratch-name.js';
import { BACKUP_KIND } from '../core/search-attributes.js';
import type { RestoreTestOutcome, RestoreTestResult } from '../repository/restore-tests.js';
import { drRecovery } from './dr-runbook.js';
import { bookkeeping, RESTORE_CHECK_OPTIONS, RESTORE_CHECK_TIMEOUT_MS, RESTORE_TEST_RECORD_OPTIONS, RETENTION_POLICY_OPTIONS, SANDBOX_PLAN_OPTIONS, SANDBOX_TEARDOWN_OPTIONS, SOURCE_NAME_OPTIONS } from './options.js';
import { recordFailure, recordSuccess, recordSummary } from './run-outcome.js';
import { trackRunProgress, type RunProgressTracker } from './run-progress.js';

export interface RestoreTestInput {
  kind: 'integrity' | 'partial' | 'full';
  /** Partial restores alternate by month; name one to run it now. */
  partial?: 'database' | 'images';
}

const checks = proxyActivities<Activities>(RESTORE_CHECK_OPTIONS);
const { fullRestorePlan } = proxyActivities<Activities>(SANDBOX_PLAN_OPTIONS);
const { recordRestoreTest } = proxyActivities<Activities>(RESTORE_TEST_RECORD_OPTIONS);
const teardown = proxyActivities<Activities>(SANDBOX_TEARDOWN_OPTIONS);

export async function restoreTest(input: RestoreTestInput): Promise<RestoreTestResult> {
  const info = workflowInfo();
  const startedAt = new Date();
  upsertSearchAttributes([{ key: BACKUP_KIND, value: `restore-test-${input.kind}` }]);
  const progress = trackRunProgress('read the repository settings', 1);
  const source = await sourceName();
  let outcome: RestoreTestOutcome;
  try {
    outcome = await run(input, info.workflowId, info.runId, startedAt, progress);
  } catch (err) {
    await recordFailure('restore-test', source, err);
    throw err;
  }
  // Unique per run: two tests started in the same second must not overwrite each other's record.
  const id = `${outcome.kind}-${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${info.runId.slice(-8)}`;
  const result: RestoreTestResult = { id, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), ...outcome };
  await recordRestoreTest({ id, result });
  if (result.passed) {
    recordSummary(`${outcome.kind} restore test passed: ${result.checked} checked, record ${id}`);
    await recordSuccess('restore-test', 'succeeded');
  } else {
    await recordFailure(
      'restore-test',
      source,
      new Error(`${result.failureCount ?? result.failures.length} check(s) failed`),
      undefined,
      `${outcome.kind} restore test FAILED: ${result.failureCount ?? result.failures.length} problem(s)${result.failuresFile ? `, all listed in ${result.failuresFile}` : ''}`,
      result.failures.slice(0, 10).map((f) => `${f.artifact}: ${f.check}: ${f.detail}`),
    );
  }
  return result;
}

/** The name alerts carry. Runs recorded before the sourceName activity read it from the retention policy. */
async function sourceName(): Promise<string> {
  if (patched('source-name-activity')) return bookkeeping(SOURCE_NAME_OPTIONS).sourceName();
  return (await bookkeeping(RETENTION_POLICY_OPTIONS).retentionPolicy()).source;
}

async function run(input: RestoreTestInput, workflowId: string, runId: string, startedAt: Date, progress: RunProgressTracker): Promise<RestoreTestOutcome> {
  const which = input.partial ?? (startedAt.getUTCMonth() % 2 === 0 ? 'database' : 'images');
  const title = input.kind === 'integrity' ? 'integrity check' : input.kind === 'partial' ? `partial restore of the ${which}` : 'full restore (DR runbook in a sandbox)';
  return progress.step(title, () => {
    if (input.kind !== 'full') progress.budget(RESTORE_CHECK_TIMEOUT_MS);
    return runChecks(input, which, workflowId, runId, startedAt);
  });
}

async function runChecks(input: RestoreTestInput, which: 'database' | 'images', workflowId: string, runId: string, startedAt: Date): Promise<RestoreTestOutcome> {
  if (input.kind === 'integrity') return checks.integrityCheck();
  if (input.kind === 'partial') {
    // Runs recorded before names were unique per run keep the name they created, so that their
    // clean-up drops what they made.
    const scratch = patched('scratch-name-per-run')
      ? scratchNameFor(workflowId, runId)
      : `pbb_restore_test_${workflowId.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`.slice(0, 60);
    if (which === 'database') {
      try {
        return await checks.partialDatabaseRestore({ scratch });
      } finally {
        await CancellationScope.nonCancellable(() => teardown.dropScratchDatabase({ scratch }));
      }
    }
    try {
      return await checks.partialImageRestore({ scratch, seed: startedAt.getTime() % 2 ** 31 });
    } finally {
      await CancellationScope.nonCancellable(() => teardown.removeScratchDir({ scratch }));
    }
  }
  // Validated on the worker: an invalid sandbox definition fails as ConfigInvalid, naming fields.
  const plan = await fullRestorePlan();
  const target = plan.target;
  try {
    const report = await executeChild(drRecovery, { workflowId: `${workflowId}-dr`, args: [plan.recovery] });
    // Drills recorded before thumbnails were verified are judged as they were then.
    const required = patched('checklist-thumbnails') ? CHECKLIST_ITEMS : CHECKLIST_ITEMS_BEFORE_THUMBNAILS;
    return {
      kind: 'full',
      passed: report.outcome === 'succeeded' && checklistPassed(report.checklist, required),
      checklist: report.checklist,
      failures: report.checklist.filter((c) => c.result !== 'pass').map((c) => ({ artifact: c.item, check: 'checklist' as const, ok: false, detail: c.evidence })),
      checked: report.checklist.length,
    };
  } finally {
    // Torn down whatever happened: nothing of the sandbox is left running or on disk.
    await CancellationScope.nonCancellable(async () => {
      await teardown.drStop({ target });
      await teardown.clearSandbox({ sandboxRoot: plan.sandboxRoot });
    });
  }
}
