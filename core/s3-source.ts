// Decisions for backing up images from an S3 bucket with rclone: the remote's environment, the
// arguments, what its JSON log says was copied or moved aside, and what a failure means to the
// user. Pure: the activity (activities/s3-sync.ts) does the I/O.
import type { S3Source } from '../config/schema.js';
import type { ErrorType } from './errors.js';

/** Where a bucket is, without its keys: the source's (config) or a recovery target's (DR input). */
export type S3Place = Pick<S3Source, 'endpoint' | 'bucket' | 'prefix' | 'region'>;

/** The rclone remote the source bucket is reached through, defined only in rclone's environment. */
export const SOURCE_REMOTE = 'PBSOURCE';
/** The config field a failure against the source names. */
export const SOURCE_FIELD = 'source.storage.s3';

/**
 * rclone's whole environment: the worker's without rclone's and AWS's own variables (a stray
 * RCLONE_CONFIG_* or AWS_CA_BUNDLE changes or breaks the remote: SOURCE.md), plus the remote. The
 * keys travel here, never as arguments, which `ps` shows to every user.
 */
export function rcloneRemoteEnv(base: NodeJS.ProcessEnv, s3: S3Place, keys: { accessKey: string; secretKey: string }, remote = SOURCE_REMOTE): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !name.startsWith('RCLONE_') && !name.startsWith('AWS_')) env[name] = value;
  }
  const prefix = `RCLONE_CONFIG_${remote}_`;
  Object.assign(env, {
    [`${prefix}TYPE`]: 's3',
    [`${prefix}PROVIDER`]: 'Other',
    [`${prefix}ENDPOINT`]: s3.endpoint,
    [`${prefix}ACCESS_KEY_ID`]: keys.accessKey,
    [`${prefix}SECRET_ACCESS_KEY`]: keys.secretKey,
    ...(s3.region ? { [`${prefix}REGION`]: s3.region } : {}),
  });
  return env;
}

/** `PBSOURCE:bucket/prefix`: the storage root inside the bucket. */
export function remotePath(s3: S3Place, remote = SOURCE_REMOTE): string {
  const prefix = (s3.prefix ?? '').replace(/\/+$/, '');
  return `${remote}:${s3.bucket}${prefix ? `/${prefix}` : ''}`;
}

// No rclone.conf is read: the remote is the environment's, and a user's config cannot shadow it.
// One attempt per run of rclone: the step's retry policy decides how often an unreachable server
// is tried again, and a retry is visible in the workflow's history.
export const RCLONE_COMMON = ['--config=/dev/null', '--retries=1', '--low-level-retries=3', '--contimeout=10s', '--timeout=60s'];

/**
 * `rclone sync` of the bucket into the mirror; what it replaces or deletes is moved into the day's
 * increment (--backup-dir), as rsync's --backup-dir does for a directory. Server modification
 * times are compared from the listing, so unchanged objects cost no request each. The JSON log
 * (one object per line) goes to a file in the run's staging area: a retry appends to it, so what
 * every attempt copied is checked.
 */
export function rcloneSyncArgs(s3: S3Place, mirror: string, increment: string, excludes: string[], logFile: string): string[] {
  return [
    'sync',
    ...RCLONE_COMMON,
    `--backup-dir=${increment}`,
    '--use-server-modtime',
    // One listing request per 1,000 keys instead of one per directory (Prompt Box stores ab/cd/<sha>:
    // about a directory per object), which was most of an unchanged sync's time (bench/README.md).
    // rclone holds the whole listing in its memory, about a kilobyte per object.
    '--fast-list',
    '--use-json-log',
    '--verbose',
    `--log-file=${logFile}`,
    ...excludes.map((pattern) => `--exclude=${pattern}`),
    '--',
    remotePath(s3),
    mirror,
  ];
}

/**
 * Lists the top of the storage root with the server's answers dumped to stderr: rclone reports
 * both a missing bucket and (on some servers) an unknown access key as "directory not found",
 * and only the S3 error code tells them apart.
 */
export function rcloneProbeArgs(s3: S3Place, remote = SOURCE_REMOTE): string[] {
  return ['lsjson', ...RCLONE_COMMON, '--max-depth=1', '--dump=responses', '--', remotePath(s3, remote)];
}

/** Objects and bytes below the storage root, excluded keys left out: the health check's count of the source. */
export function rcloneSizeArgs(s3: S3Place, excludes: string[]): string[] {
  return ['size', '--json', ...RCLONE_COMMON, ...excludes.map((pattern) => `--exclude=${pattern}`), '--', remotePath(s3)];
}

export function parseSize(stdout: string): { files: number; bytes: number } {
  const { count, bytes } = JSON.parse(stdout) as { count: number; bytes: number };
  return { files: count, bytes };
}

export type RcloneEvent = { kind: 'copied' | 'moved'; object: string };

/** A copy into the mirror, or a file of the mirror moved into the increment (replaced or deleted). */
export function rcloneEvent(line: string): RcloneEvent | undefined {
  let entry: { msg?: unknown; object?: unknown; objectType?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return undefined;
  }
  if (typeof entry.object !== 'string' || typeof entry.msg !== 'string') return undefined;
  // Objects over --multi-thread-cutoff (250 MB) are copied in parallel parts: "Multi-thread Copied (new)".
  if (/^(Multi-thread )?Copied\b/.test(entry.msg)) return { kind: 'copied', object: entry.object };
  // A replaced or deleted mirror file is moved (a rename) into --backup-dir first.
  if (entry.msg.startsWith('Moved (server-side)') && entry.objectType === '*local.Object') return { kind: 'moved', object: entry.object };
  return undefined;
}

/** What a failed rclone run against a bucket means, by the S3 error code or network error in its output; `field` is the one to fix. */
export function s3Failure(output: string, s3: S3Place, field = SOURCE_FIELD): { type: ErrorType; message: string } | undefined {
  if (/\b(InvalidAccessKeyId|XAdminUserNotFound)\b/.test(output)) {
    return { type: 'ConfigInvalid', message: `${field}.accessKey: ${s3.endpoint} does not know this access key` };
  }
  if (/\bSignatureDoesNotMatch\b/.test(output)) {
    return { type: 'ConfigInvalid', message: `${field}.secretKey: ${s3.endpoint} rejected the signature: the secret key does not belong to the access key` };
  }
  if (/\bNoSuchBucket\b/.test(output)) {
    return { type: 'SourceMissing', message: `${field}.bucket: bucket ${s3.bucket} does not exist at ${s3.endpoint}` };
  }
  if (/\bAccessDenied\b/.test(output)) {
    return { type: 'ConfigInvalid', message: `${field}.accessKey: ${s3.endpoint} denies this access key access to bucket ${s3.bucket}` };
  }
  const network = /(connection refused|no such host|i\/o timeout|connection reset by peer|no route to host|TLS handshake timeout)/.exec(output);
  if (network) {
    return { type: 'CommandFailed', message: `${field}.endpoint: the S3 server at ${s3.endpoint} did not answer (${network[1]})` };
  }
  return undefined;
}
