// Builds the ApplicationFailure for a type in core/errors.ts, so retryability always follows the
// one table instead of being decided at each throw site.
import { ApplicationFailure } from '@temporalio/common';
import { ERRORS, type ErrorType } from '../core/errors.js';

export function fail(type: ErrorType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: !ERRORS[type].retryable,
    details: details === undefined ? undefined : [details],
  });
}
