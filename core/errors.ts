// The one table of failures promptbox-backup reports on purpose. Each entry is an
// ApplicationFailure type (what Temporal history and the Web UI show), whether a retry can fix
// it, and the CLI exit status it maps to. Workflows derive nonRetryableErrorTypes from it, the
// CLI derives its exit switch from it, and docs/operations.md documents it. Codes are stable
// across releases; an unknown failure exits 1.
//
// Pure module: imported by workflows, activities and the client alike.

export interface ErrorSpec {
  readonly exitCode: number;
  readonly retryable: boolean;
  readonly since: string;
  readonly meaning: string;
}

export const ERRORS = {
  ConfigInvalid: {
    exitCode: 3,
    retryable: false,
    since: '0.1.0',
    meaning: 'the configuration file or environment is invalid; the message names every bad field',
  },
  ToolMissing: {
    exitCode: 4,
    retryable: false,
    since: '0.1.0',
    meaning: 'a required program (pg_dump, rsync, gpg, ...) is not installed on the worker',
  },
  PgVersionMismatch: {
    exitCode: 5,
    retryable: false,
    since: '0.1.0',
    meaning: 'the local pg_dump is older than the PostgreSQL server; use the docker transport or a newer client',
  },
  WrongPassphrase: {
    exitCode: 6,
    retryable: false,
    since: '0.1.0',
    meaning: 'the GPG passphrase file does not match the passphrase this repository was created with',
  },
  DatabaseUnreachable: {
    exitCode: 7,
    retryable: true,
    since: '0.1.0',
    meaning: 'the source database did not accept connections (retried with backoff before giving up)',
  },
  DatabaseAuthFailed: {
    exitCode: 8,
    retryable: false,
    since: '0.1.0',
    meaning: 'the source database refused the configured user or password',
  },
  SourceMissing: {
    exitCode: 9,
    retryable: false,
    since: '0.1.0',
    meaning: 'a configured source path (storage root, config file) does not exist',
  },
  RepositoryUnwritable: {
    exitCode: 10,
    retryable: false,
    since: '0.1.0',
    meaning: 'the backup repository cannot be created or written',
  },
  VerificationFailed: {
    exitCode: 11,
    retryable: false,
    since: '0.1.0',
    meaning: 'an artifact failed verification (checksum, pg_restore --list or decryption); it was not recorded as good',
  },
  ArtifactExists: {
    exitCode: 12,
    retryable: false,
    since: '0.1.0',
    meaning: 'an artifact with the same name is already in the repository; it is never overwritten',
  },
  CommandFailed: {
    exitCode: 13,
    retryable: true,
    since: '0.1.0',
    meaning: 'an external command failed for a reason not listed above (its stderr is in the message)',
  },
  AlertDeliveryFailed: {
    exitCode: 14,
    retryable: true,
    since: '0.1.0',
    meaning: 'an alert webhook or success ping did not answer with 2xx (retried)',
  },
  RepositoryBusy: {
    exitCode: 15,
    retryable: false,
    since: '0.1.0',
    meaning: 'another backup or retention run holds the repository lock; this run did nothing',
  },
  RepositoryFull: {
    exitCode: 16,
    retryable: false,
    since: '0.1.0',
    meaning: 'the backup volume ran out of space; nothing earlier was deleted',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorType = keyof typeof ERRORS;

export const EXIT_OK = 0;
export const EXIT_UNKNOWN_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The failure types a Temporal retry policy must not retry. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = Object.entries(ERRORS)
  .filter(([, spec]) => !spec.retryable)
  .map(([type]) => type);

export function isErrorType(value: unknown): value is ErrorType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, value);
}

/** Exit status for a failure type found in a (possibly nested) Temporal failure; unknown -> 1. */
export function exitCodeFor(type: string | undefined): number {
  return isErrorType(type) ? ERRORS[type].exitCode : EXIT_UNKNOWN_FAILURE;
}
