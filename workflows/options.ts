// Every workflow's activity options, in one place. A backup's steps take theirs from the budgets
// the worker's config gives (the plan), so tests can run the whole backup with second-long budgets
// and operators can tune them; the others are fixed here, each with the reason for its numbers.
import { patched, proxyActivities, proxyLocalActivities, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { StepsConfig } from '../config/schema.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors.js';

type StepPolicy = StepsConfig[keyof StepsConfig];

export function stepOptions(policy: StepPolicy, summary: string): ActivityOptions {
  return {
    summary,
    startToCloseTimeout: policy.timeout,
    // Long steps heartbeat: a lost worker is noticed in this time, not after the whole budget.
    heartbeatTimeout: policy.heartbeat,
    retry: {
      maximumAttempts: policy.retry.maximumAttempts,
      initialInterval: policy.retry.initialInterval,
      backoffCoefficient: policy.retry.backoffCoefficient,
      maximumInterval: policy.retry.maximumInterval,
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
  };
}

/** The planning step runs before the worker's budgets are known. */
export const PLAN_OPTIONS: ActivityOptions = {
  summary: 'check tools, sources, repository and passphrase',
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '2 seconds', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
};

/** Recording a run's outcome: small local writes, retried briefly. */
export const JOURNAL_OPTIONS: ActivityOptions = {
  summary: 'record the run outcome in runs/',
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1 second', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
};

/** Alerts: a webhook that is down for a minute must not lose the alert; retries resume delivery. */
export const ALERT_OPTIONS: ActivityOptions = {
  summary: 'send the alert to the webhooks',
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 6, initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Taking and releasing the repository lock: one small file, like the run journal. */
export const LOCK_OPTIONS: ActivityOptions = { ...JOURNAL_OPTIONS, summary: 'repository lock' };

/** The success ping tells a dead man's switch the backup is good; a few tries, then a warning. */
export const SUCCESS_PING_OPTIONS: ActivityOptions = {
  summary: 'ping the success URL',
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
};

/** Quick repository and sandbox work (reads, small writes, deletions) that is safe to repeat. */
const QUICK_REPEATABLE: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 3, initialInterval: '5 seconds', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
};

/** Reading the configured source's name, which a restore test's alerts carry. */
export const SOURCE_NAME_OPTIONS: ActivityOptions = { ...QUICK_REPEATABLE, summary: 'the source name' };

/** Retention: reading manifests and deleting files, both quick and safe to repeat. */
export const RETENTION_POLICY_OPTIONS: ActivityOptions = { ...QUICK_REPEATABLE, summary: 'the retention policy' };
export const RETENTION_LIST_OPTIONS: ActivityOptions = { ...QUICK_REPEATABLE, summary: 'list manifests, increments and the last run outcome' };
export const RETENTION_DELETE_OPTIONS: ActivityOptions = { ...QUICK_REPEATABLE, summary: 'delete expired backups, manifest first' };

/** Gathering health facts re-reads the repository and counts the source: long, heartbeating. */
export const HEALTH_FACTS_OPTIONS: ActivityOptions = {
  summary: 'read manifests, run journal, free space, mirror and source counts',
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3, initialInterval: '10 seconds' },
};

/** The restore checks' budget: also what the progress query reports as the step's budget. */
export const RESTORE_CHECK_TIMEOUT_MS = 6 * 3_600_000;

/** Integrity checks and partial restores re-read whole backups: hours, heartbeating. */
export const RESTORE_CHECK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: RESTORE_CHECK_TIMEOUT_MS,
  // The checks heartbeat every few seconds; a lost worker is noticed within this.
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 2, initialInterval: '30 seconds', nonRetryableErrorTypes: ['ConfigInvalid', 'VerificationFailed', 'WrongPassphrase'] },
};

/** A restore test's own bookkeeping: reading its sandbox definition, recording its result. */
export const SANDBOX_PLAN_OPTIONS: ActivityOptions = { ...QUICK_REPEATABLE, summary: 'read and check the sandbox definition' };
export const RESTORE_TEST_RECORD_OPTIONS: ActivityOptions = { ...QUICK_REPEATABLE, summary: 'record the result in restore-tests/' };

/**
 * Tearing down what a restore test made (scratch database or folder, the sandbox's app, database
 * and files). Runs whatever the test did, so a failed test leaves nothing running or on disk.
 */
export const SANDBOX_TEARDOWN_OPTIONS: ActivityOptions = { ...QUICK_REPEATABLE, summary: 'tear down the scratch space' };

/**
 * The proxy for bookkeeping steps (plan, repository lock, run journal, success ping, staging
 * clean-up, retention policy, source name): short local work that runs as local activities, back to back in the
 * worker. As ordinary activities each cost a server round trip (about 45 ms on the dev server,
 * bench/RESULTS.md), which was most of an incremental backup's time. Runs recorded before this
 * replay with their ordinary activities.
 */
export function bookkeeping(options: ActivityOptions): ActivityInterfaceFor<Activities> {
  if (!patched('local-bookkeeping')) return proxyActivities<Activities>(options);
  const { summary, startToCloseTimeout, retry } = options;
  return proxyLocalActivities<Activities>({ summary, startToCloseTimeout, retry }) as ActivityInterfaceFor<Activities>;
}

// ---- Disaster recovery (workflows/dr-runbook.ts) ----

/** The recovery's own bookkeeping (choose the backup, check the target, stop, write the report). */
export const DR_QUICK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
};

/**
 * A runbook step, timed by its budget: it may overrun the budget (and is reported so) up to
 * `timeoutFactor` times it. It heartbeats, so a lost worker is noticed within a minute, or within
 * the budget when that is shorter, but never under 10 s: a second-long budget would leave a step
 * no time for its first heartbeat. After `stepAttempts` the step waits for an operator decision
 * instead of failing the recovery.
 */
export function drStepOptions(title: string, budgetMs: number, plan: { timeoutFactor: number; stepAttempts: number }): ActivityOptions {
  return {
    summary: `${title} (budget ${Math.round(budgetMs / 1000)}s)`,
    startToCloseTimeout: budgetMs * plan.timeoutFactor,
    heartbeatTimeout: Math.min(60_000, Math.max(10_000, budgetMs)),
    retry: { maximumAttempts: plan.stepAttempts, initialInterval: '1 second', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
  };
}
