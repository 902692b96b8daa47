// Activity options per backup step, built from the budgets the worker's config gives (the plan),
// so tests can run the whole backup with second-long budgets and operators can tune them.
import type { ActivityOptions } from '@temporalio/workflow';
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
