// What can be configured, in one place. Secrets are never values here: they are references
// (an environment variable name or a file path) that activities resolve on the worker, so a
// config object can be logged, sent to a workflow or shown in an error without leaking.
import { z } from 'zod';
import { absolutePath, databaseSchema, duration, s3Bucket, secretRef, type SecretRef } from '../core/schema-parts.js';
import { resolveImageSchedule } from './image-schedule.js';

export { databaseSchema, secretRef, type SecretRef };

export type DatabaseConfig = z.infer<typeof databaseSchema>;

// Each field has its own default: a config that sets only one (say the first interval) keeps the
// step's number of attempts, rather than falling back to a generic one.
const retry = (attempts: number) =>
  z
    .object({
      maximumAttempts: z.number().int().min(1).default(attempts),
      initialInterval: duration.default(5_000),
      backoffCoefficient: z.number().min(1).default(2),
      maximumInterval: duration.default(300_000),
    })
    .strict()
    .prefault({});

const step = (timeout: number, attempts: number, heartbeat?: number) =>
  z
    .object({
      timeout: duration.default(timeout),
      heartbeat: heartbeat === undefined ? duration.optional() : duration.default(heartbeat),
      retry: retry(attempts),
    })
    .strict()
    .prefault({});

// Budgets of each backup step. Long steps heartbeat so a lost worker is noticed within the
// heartbeat timeout rather than the whole step budget.
export const stepsSchema = z
  .object({
    prepare: step(60_000, 3),
    dump: step(3_600_000, 5, 60_000),
    images: step(6 * 3_600_000, 5, 120_000),
    configSnapshot: step(300_000, 3),
    offsite: step(6 * 3_600_000, 3, 120_000),
    encrypt: step(3_600_000, 3, 60_000),
    verify: step(3_600_000, 3, 60_000),
    commit: step(300_000, 5),

  })
  .strict()
  .prefault({});
export type StepsConfig = z.infer<typeof stepsSchema>;
export type StepName = keyof StepsConfig;

const cron = z.string().regex(/^\S+( \S+){4}$/, 'must be a 5-field cron expression, e.g. "0 3 * * *"');
// null disables a schedule (it is deleted on the next `schedules apply`).
const scheduleEntry = (cronDefault: string) =>
  z.union([z.null(), z.object({ cron: cron.default(cronDefault) }).strict()]).default({ cron: cronDefault });

export const schedulesSchema = z
  .object({
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone, e.g. "Europe/Berlin"')
      .default('UTC'),
    /** Runs missed while the server was down are started if they are at most this late. */
    catchupWindow: duration.default(3_600_000),
    database: scheduleEntry('0 3 * * *'),
    // No default here: it depends on pitr.enabled (config/image-schedule.ts, applied below).
    images: z.union([z.null(), z.object({ cron: cron.optional() }).strict()]).optional(),
    config: scheduleEntry('0 * * * *'),
    retention: scheduleEntry('0 5 * * *'),
    health: scheduleEntry('15 * * * *'),
    integrity: scheduleEntry('0 4 * * 0'),
    partialRestore: scheduleEntry('0 4 1 * *'),
    // Quarterly, and only when restoreTests.full says where the sandbox is.
    fullRestore: z.union([z.null(), z.object({ cron: cron.default('0 5 1 1,4,7,10 *') }).strict()]).default(null),
    // Weekly, and only with pitr.enabled: the starting point of point-in-time recovery.
    baseBackup: scheduleEntry('0 2 * * 0'),
  })
  .strict()
  .prefault({});
export type SchedulesConfig = z.infer<typeof schedulesSchema>;

export const alertsSchema = z
  .object({
    /** Each receives a JSON POST with a Slack-compatible `text`. URLs can hold tokens: they stay on the worker. */
    webhooks: z.array(z.object({ url: z.string().url() }).strict()).default([]),
    /** healthchecks.io-style URL fetched after each successful backup. */
    pingUrl: z.string().url().optional(),
    timeout: duration.default(10_000),
  })
  .strict()
  .prefault({});

export const healthSchema = z
  .object({
    /** The newest verified dump must be younger than this (RPO plus an hour of slack). */
    maxDumpAge: duration.default(25 * 3_600_000),
    minDumpBytes: z.number().int().min(0).default(10_240),
    /** A dump outside median x (1 +/- band) of the last `anomalyWindow` dumps is an anomaly. */
    anomalyBand: z.number().gt(0).default(0.5),
    anomalyWindow: z.number().int().min(2).default(7),
    minFreeBytes: z.number().int().min(0).default(5 * 1024 ** 3),
  })
  .strict()
  .prefault({});
export type HealthConfig = z.infer<typeof healthSchema>;

export const PROMPTBOX_TABLES = ['_sqlx_migrations', 'images', 'showcases', 'showcase_images', 'search_presets', 'smart_folders', 'jobs', 'image_events'];

export const restoreTestsSchema = z
  .object({
    /**
     * Where the partial restore test creates (and drops) its scratch database: a server and a
     * user allowed to CREATE DATABASE. Default: the source database's server and user.
     */
    scratchDatabase: databaseSchema.optional(),
    /**
     * Where the partial image test makes (and removes) its scratch bucket when the images live in a
     * bucket: a server and keys allowed to create and delete buckets. Default: the source's.
     */
    scratchBucket: s3Bucket.pick({ endpoint: true, region: true, accessKey: true, secretKey: true }).strict().optional(),
    /** Originals restored and decoded by the partial image test. */
    imageSample: z.number().int().min(1).default(20),
    /** A restored dump missing any of these tables fails the test, whatever the manifest says. */
    expectedTables: z.array(z.string().min(1)).default(PROMPTBOX_TABLES),
    /** Parallel hashing workers of the integrity check; default: the number of cores. */
    parallelism: z.number().int().min(1).optional(),
    /**
     * The quarterly full restore: a drRecovery input (docs/disaster-recovery.md) whose appDir
     * and storageRoot lie inside sandboxRoot; everything in sandboxRoot is deleted after the test.
     */
    full: z.object({ sandboxRoot: absolutePath, recovery: z.record(z.string(), z.unknown()) }).strict().optional(),
  })
  .strict()
  .prefault({});
export type RestoreTestsConfig = z.infer<typeof restoreTestsSchema>;

const offsiteName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,40}$/, 'must be lowercase letters, digits, "-" or "_"');

/** Off-site copies of the whole repository, made after every verified backup. */
export const offsiteSchema = z.array(
  z.discriminatedUnion('type', [
    z
      .object({
        type: z.literal('ssh'),
        name: offsiteName,
        /** rsync destination, `user@host:/path`. */
        destination: z.string().regex(/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\/\S+$/, 'must look like user@host:/absolute/path'),
        port: z.number().int().min(1).max(65535).default(22),
        /** The private key; never a password prompt (BatchMode). */
        identityFile: absolutePath,
        /** The host must be in this file: no trust on first use. */
        knownHostsFile: absolutePath,
      })
      .strict(),
    z
      .object({
        type: z.literal('rclone'),
        name: offsiteName,
        /** An rclone remote and path, e.g. `b2crypt:promptbox`; a crypt remote encrypts names and data. */
        remote: z.string().regex(/^[A-Za-z0-9_-]+:\S*$/, 'must be an rclone remote, e.g. "cloud:promptbox"'),
        /** rclone.conf holding the remote (its secrets stay in that file). */
        configFile: absolutePath,
        transfers: z.number().int().min(1).default(4),
        /**
         * `check` compares hashes, `cryptcheck` does so through a crypt remote, `download` reads
         * every file back (the only way for remotes that keep no hashes, e.g. WebDAV).
         */
        verify: z.enum(['check', 'cryptcheck', 'download']).default('check'),
        excludes: z.array(z.string().min(1)).default([]),
      })
      .strict(),
  ]),
);
export type OffsiteTarget = z.infer<typeof offsiteSchema>[number];

// The metrics endpoint has no authentication, so it binds to loopback only: Prometheus (or an
// agent) on the same host scrapes it, or a reverse proxy exposes it deliberately. IP literals
// only, because the SDK's exporter binds a socket address and does not resolve names.
const loopbackHostPort = z
  .string()
  .regex(/^(127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}|\[::1\]):([1-9]\d{0,4})$/, 'must be a loopback address and port, e.g. "127.0.0.1:9464" or "[::1]:9464"')
  .refine((a) => Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

/** Prometheus metrics of the worker (the SDK's and ours) at http://ADDRESS/metrics. */
export const metricsSchema = z
  .object({
    address: loopbackHostPort,
    /** How often our gauges are re-read from the repository (they also refresh after each run). */
    refreshInterval: duration.default(60_000),
  })
  .strict();
export type MetricsConfig = z.infer<typeof metricsSchema>;

/**
 * Point-in-time recovery (docs/configuration.md#point-in-time-recovery): a continuous WAL archive
 * of the source by streaming replication (pg_receivewal through a physical replication slot) and
 * physical base backups. Direct transport only: the worker connects to the server's port.
 */
export const pitrSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** The physical replication slot, created when missing; default `promptbox_backup_<source name>`. */
    slot: z.string().regex(/^[a-z0-9_]{1,63}$/, 'must be 1 to 63 lowercase letters, digits or "_" (a replication slot name)').optional(),
    /** How long one streaming attempt runs before the archiver starts the next (bounds its history). */
    streamFor: duration.default(3_600_000),
    /** A worker lost mid-stream is noticed within this; the next attempt takes over. */
    heartbeat: duration.default(30_000),
    /** The longest wait between attempts while the source is away (backoff doubles up to it). */
    maxRetryInterval: duration.default(60_000),
    /** The health check's limit on the archive's lag. */
    maxLag: duration.default(120_000),
    /** The newest base backups, kept with every WAL segment after them: any time from the oldest one's end is reachable. */
    keepBaseBackups: z.number().int().min(1).default(2),
    /**
     * Older base backups kept, the newest of each ISO week and of each month (schedules.timezone),
     * with only the WAL that makes each consistent: a restore point at its end (core/wal-retention.ts).
     */
    keepWeeklyBaseBackups: z.number().int().min(0).default(4),
    keepMonthlyBaseBackups: z.number().int().min(0).default(3),
  })
  .strict();
export type PitrConfig = z.infer<typeof pitrSchema>;

/**
 * Where the app keeps originals and thumbnails: a directory (`STORAGE_BACKEND=fs`) or an S3 bucket
 * (the default deployment: MinIO), read through the S3 API. Keys are `ab/cd/<sha256>.<ext>` and
 * `thumbnails/ab/cd/<sha256>.webp` from the root or the bucket (below `prefix`).
 */
export const s3SourceSchema = s3Bucket;
export type S3Source = z.infer<typeof s3SourceSchema>;

const storageSchema = z
  .object({
    root: absolutePath.optional(),
    s3: s3SourceSchema.optional(),
    // rsync (directory) or rclone (bucket) patterns relative to the storage root. Thumbnails are
    // backed up: the app cannot regenerate them.
    excludes: z.array(z.string().min(1)).default(['*.tmp']),
  })
  .strict()
  // One object with both keys rather than a union: a mistake inside `s3` is reported at its own
  // field (source.storage.s3.bucket), where a union would only say "invalid input".
  .superRefine((s, ctx) => {
    if (s.root === undefined && s.s3 === undefined) ctx.addIssue({ code: 'custom', message: 'give the image storage: "root" (a directory) or "s3" (a bucket)' });
    if (s.root !== undefined && s.s3 !== undefined) ctx.addIssue({ code: 'custom', path: ['s3'], message: 'give either "root" or "s3", not both' });
  })
  .transform((s): { root: string; excludes: string[] } | { s3: S3Source; excludes: string[] } =>
    s.s3 ? { s3: s.s3, excludes: s.excludes } : { root: s.root as string, excludes: s.excludes },
  );
export type StorageSource = z.infer<typeof storageSchema>;

export const configSchema = z
  .object({
    source: z
      .object({
        // Names the instance in artifact names, workflow ids and search attributes.
        name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, "-" or "_"'),
        database: databaseSchema,
        storage: storageSchema,
        configFiles: z.array(absolutePath).default([]),
      })
      .strict(),
    repository: z.object({ root: absolutePath }).strict(),
    encryption: z
      .discriminatedUnion('enabled', [
        z.object({ enabled: z.literal(false) }).strict(),
        z.object({ enabled: z.literal(true), passphraseFile: absolutePath }).strict(),
      ])
      .default({ enabled: false }),
    retention: z
      .object({
        daily: z.number().int().min(0).default(7),
        weekly: z.number().int().min(0).default(4),
        monthly: z.number().int().min(0).default(12),
        imageIncrementDays: z.number().int().min(1).default(30),
        configSnapshotDays: z.number().int().min(1).default(30),
      })
      .strict()
      .prefault({}),
    temporal: z
      .object({
        address: z.string().min(1).default('localhost:7233'),
        namespace: z.string().min(1).default('default'),
        taskQueue: z.string().min(1).default('promptbox-backup'),
        webUi: z.string().url().optional(),
        /** A 256-bit key file: workflow inputs and results are AES-256-GCM ciphertext in history. */
        payloadKeyFile: absolutePath.optional(),
      })
      .strict()
      .prefault({}),
    steps: stepsSchema,
    schedules: schedulesSchema,
    alerts: alertsSchema,
    health: healthSchema,
    restoreTests: restoreTestsSchema,
    offsite: offsiteSchema.default([]),
    metrics: metricsSchema.optional(),
    pitr: pitrSchema.prefault({}),
    logging: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
        file: absolutePath.optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .transform(resolveImageSchedule);

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
