// Activity options per backup step, built from the budgets the worker's config gives (the plan),
// so tests can run the whole backup with second-long budgets and operators can tune them.
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

/** Retention reads manifests and deletes files; both are quick and safe to repeat. */
export const RETENTION_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 3, initialInterval: '5 seconds', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
};

/** Reading the retention policy (and the source's name): bookkeeping, for retention and restore tests. */
export const POLICY_OPTIONS: ActivityOptions = { ...RETENTION_OPTIONS, summary: 'the retention policy' };

/**
 * The proxy for bookkeeping steps (plan, repository lock, run journal, success ping, staging
 * clean-up, retention policy): short local work that runs as local activities, back to back in the
 * worker. As ordinary activities each cost a server round trip (about 45 ms on the dev server,
 * bench/RESULTS.md), which was most of an incremental backup's time. Runs recorded before this
 * replay with their ordinary activities.
 */
export function bookkeeping(options: ActivityOptions): ActivityInterfaceFor<Activities> {
  if (!patched('local-bookkeeping')) return proxyActivities<Activities>(options);
  const { summary, startToCloseTimeout, retry } = options;
  return proxyLocalActivities<Activities>({ summary, startToCloseTimeout, retry }) as ActivityInterfaceFor<Activities>;
}
