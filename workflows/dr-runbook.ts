// drRecovery: the backup doc's six-step disaster-recovery runbook as one durable workflow.
// Each step is an activity timed against its budget; `progress` answers at any time; an
// operator can approve, retry or skip a step and abort the recovery. A step that fails past its
// retries does not fail the recovery: the workflow waits for an operator decision. Abort and
// cancellation stop what was started, in cleanup that cannot itself be cancelled. The result is
// a report (per-step time against budget, RTO and RPO verdicts, checklist), also written as JSON
// and Markdown next to the backups.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ChosenBackup, ImageRestoreResult } from '../activities/dr.js';
import { rootFailure } from '../core/alerts.js';
import { checklistPassed, type ChecklistItem } from '../core/checklist.js';
import { DR_STEPS, describeInputIssues, drInputSchema, type DrInput, type DrPlanInput, type DrStep } from '../core/dr-input.js';
import { imageCounts, progressOf, reportMarkdown, rpoVerdict, rtoVerdict, STEP_TITLES, type DrProgress, type DrReport, type StepState } from '../core/dr-report.js';
import { describeNames } from '../core/bounded-names.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors.js';
import { BACKUP_ID, BACKUP_KIND, BACKUP_OUTCOME, DR_OVER_BUDGET, DR_RPO_SECONDS, DR_RTO_SECONDS, DR_STEP } from '../core/search-attributes.js';
import { drOverBudget, drSummary } from '../core/audit-summary.js';
import { recordSummary } from './run-outcome.js';

export const progressQuery = defineQuery<DrProgress>('progress');
export const approveSignal = defineSignal<[]>('approve');
export const retryStepSignal = defineSignal<[{ step: DrStep }]>('retryStep');
export const skipStepSignal = defineSignal<[{ step: DrStep; reason: string }]>('skipStep');
export const abortSignal = defineSignal<[{ reason: string }]>('abort');

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

class Aborted extends Error {}

export async function drRecovery(rawInput: DrInput): Promise<DrReport> {
  const parsed = drInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid drRecovery input: ${describeInputIssues(parsed.error).join('; ')}`, 'ConfigInvalid');
  }
  const input: DrPlanInput = parsed.data;
  const info = workflowInfo();
  const startedAt = new Date().toISOString();
  upsertSearchAttributes([
    { key: BACKUP_KIND, value: 'dr' },
    { key: BACKUP_OUTCOME, value: 'running' },
  ]);

  const state = {
    startedAt,
    backupId: undefined as string | undefined,
    outcome: 'running' as DrProgress['outcome'],
    rtoTargetMs: input.budgets.rto,
    waitingFor: undefined as string | undefined,
    steps: DR_STEPS.map((step): StepState => ({ step, title: STEP_TITLES[step], budgetMs: input.budgets[step], status: 'pending', attempts: 0 })),
  };
  const decisions = new Map<DrStep, { action: 'retry' } | { action: 'skip'; reason: string }>();
  let approved = !input.approval;
  let abortReason: string | undefined;
  let running: CancellationScope | undefined;

  setHandler(progressQuery, () => progressOf(state, new Date()));
  setHandler(approveSignal, () => void (approved = true));
  setHandler(retryStepSignal, ({ step }) => void decisions.set(step, { action: 'retry' }));
  setHandler(skipStepSignal, ({ step, reason }) => {
    decisions.set(step, { action: 'skip', reason });
    if (state.steps.find((s) => s.step === step)?.status === 'running') running?.cancel();
  });
  setHandler(abortSignal, ({ reason }) => {
    abortReason = reason;
    running?.cancel();
  });

  const stepState = (step: DrStep) => state.steps.find((s) => s.step === step) as StepState;

  /** Runs one step: budgeted, retried, and on final failure parked until an operator decides. */
  async function step<T>(name: DrStep, run: (acts: Activities) => Promise<T>): Promise<T | undefined> {
    const s = stepState(name);
    const acts = proxyActivities<Activities>({
      summary: `${s.title} (budget ${Math.round(s.budgetMs / 1000)}s)`,
      startToCloseTimeout: s.budgetMs * input.timeoutFactor,
      heartbeatTimeout: Math.min(60_000, Math.max(10_000, s.budgetMs)),
      retry: { maximumAttempts: input.stepAttempts, initialInterval: '1 second', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
    });
    for (;;) {
      if (abortReason) throw new Aborted(abortReason);
      const decided = decisions.get(name);
      if (decided?.action === 'skip') {
        decisions.delete(name);
        Object.assign(s, { status: 'skipped', skipReason: decided.reason, endedAt: s.endedAt ?? new Date().toISOString() });
        return undefined;
      }
      decisions.delete(name);
      Object.assign(s, { status: 'running', startedAt: s.startedAt ?? new Date().toISOString(), attempts: s.attempts + 1 });
      upsertSearchAttributes([{ key: DR_STEP, value: name }]);
      delete s.endedAt;
      delete s.error;
      try {
        running = new CancellationScope();
        const value = await running.run(() => run(acts));
        Object.assign(s, { status: 'done', endedAt: new Date().toISOString() });
        return value;
      } catch (err) {
        if (abortReason) throw new Aborted(abortReason);
        if (isCancellation(err) && decisions.get(name)?.action !== 'skip') throw err; // the workflow itself is cancelled
        Object.assign(s, { status: 'waiting for operator', error: rootFailure(err).message, endedAt: new Date().toISOString() });
        state.waitingFor = `${s.title} failed: send retryStep or skipStep (or abort)`;
        await condition(() => decisions.has(name) || abortReason !== undefined);
        state.waitingFor = undefined;
      } finally {
        running = undefined;
      }
    }
  }

  async function awaitApproval(name: DrStep): Promise<void> {
    if (approved) return;
    stepState(name).status = 'waiting for approval';
    state.waitingFor = `approval before ${STEP_TITLES[name]} (destructive): send approve`;
    // Only approve (or skipping the step, or abort) ends the wait: a retry is no approval.
    await condition(() => approved || abortReason !== undefined || decisions.get(name)?.action === 'skip');
    state.waitingFor = undefined;
    if (abortReason) throw new Aborted(abortReason);
  }

  let backup: ChosenBackup | undefined;
  let images: ImageRestoreResult | undefined;
  let dbRestored: string | undefined;
  let verify: ChecklistItem[] = [];
  try {
    backup = await quick.drChooseBackup({ ...input.backup });
    state.backupId = backup.backupId;
    upsertSearchAttributes([{ key: BACKUP_ID, value: backup.backupId }]);
    if (patched('dr-target-check')) await quick.drCheckTarget({ target: input.target, overwrite: input.overwrite });

    await step('prepare', (a) => a.drPrepare({ target: input.target, config: backup!.config }));
    await step('startDatabase', (a) => a.drStartDatabase({ target: input.target, overwrite: input.overwrite }));
    await awaitApproval('restoreDatabase');
    dbRestored = await step('restoreDatabase', (a) => a.drRestoreDatabase({ target: input.target, backup: backup! }));
    await awaitApproval('restoreImages');
    images = await step('restoreImages', (a) => a.drRestoreImages({ target: input.target, workflowId: info.workflowId }));
    await step('startApp', (a) => a.drStartApp({ target: input.target }));
    verify = (await step('verify', (a) => a.drVerify({ target: input.target, importWaitMs: input.importWait }))) ?? [];
    state.outcome = 'succeeded';
  } catch (err) {
    state.outcome = err instanceof Aborted || isCancellation(err) ? 'aborted' : 'failed';
    for (const s of state.steps) if (s.status === 'running' || s.status === 'pending' || s.status.startsWith('waiting')) s.status = 'aborted';
    // Nothing half-started is left behind, even when the workflow itself is being cancelled.
    await CancellationScope.nonCancellable(() => quick.drStop({ target: input.target }));
    if (!(err instanceof Aborted)) {
      await CancellationScope.nonCancellable(() => finish(false));
      throw err;
    }
  }
  return CancellationScope.nonCancellable(() => finish(true));

  async function finish(writeReport: boolean): Promise<DrReport> {
    const progress = progressOf(state, new Date());
    const counts = images && imageCounts(images);
    const checklist: ChecklistItem[] = [
      {
        item: 'database restored',
        result: dbRestored ? 'pass' : stepState('restoreDatabase').status === 'skipped' ? 'skip' : 'fail',
        evidence: dbRestored ?? stepState('restoreDatabase').skipReason ?? stepState('restoreDatabase').error ?? 'not run',
      },
      {
        item: 'images present and intact',
        result: images ? (counts!.missing + counts!.corrupt === 0 ? 'pass' : 'fail') : 'skip',
        evidence: images
          ? `${images.checked} live images checked against images.file_hash: ${describeNames(counts!.missing, images.missing)} missing, ${describeNames(counts!.corrupt, images.corrupt)} corrupt; ${describeNames(counts!.rebuilt, images.thumbnailsRebuilt ?? [])} thumbnails rebuilt${images.listFile ? `; all named in ${images.listFile}` : ''}`
          : 'image restore did not run',
      },
      ...verify,
    ];
    const report: DrReport = {
      ...progress,
      rto: rtoVerdict(progress, checklistPassed(checklist)),
      rpo: rpoVerdict(backup?.takenAt, startedAt, input.budgets.rpo),
      checklist,
      images: images ?? { checked: 0, missing: [], corrupt: [], thumbnailsRebuilt: [] },
    };
    upsertSearchAttributes([
      { key: BACKUP_OUTCOME, value: state.outcome },
      { key: DR_RTO_SECONDS, value: Math.round(progress.elapsedMs / 1000) },
    ]);
    recordSummary(drSummary(report), [
      { key: DR_OVER_BUDGET, value: drOverBudget(report) },
      ...(report.rpo.dataAgeMs !== undefined ? [{ key: DR_RPO_SECONDS, value: Math.round(report.rpo.dataAgeMs / 1000) }] : []),
    ]);
    if (writeReport) await quick.drWriteReport({ workflowId: info.workflowId, json: report, markdown: reportMarkdown(report, info.workflowId) });
    return report;
  }
}
