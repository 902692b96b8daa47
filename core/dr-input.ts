// What an operator gives drRecovery, validated with zod in the workflow itself so a launch from
// the Temporal CLI or Web UI gets the same clear, field-by-field errors as one from our CLI (which
// validates first, so that a refused input never reaches history). Secrets are references (file or
// environment variable) resolved on the worker.
import { z } from 'zod';
import { ENV_NAME, SECRET_NAME, URL_WITH_PASSWORD } from './env-file.js';
import { absolutePath, databaseSchema, duration, s3Bucket, secretRef } from './schema-parts.js';

const argv = z.array(z.string().min(1)).min(1);
const isoTime = z.string().datetime({ offset: true });

/** A directory a recovery fills: never the filesystem root. */
const notRoot = absolutePath.refine((p) => p.replace(/\/+$/, '') !== '', 'must not be the filesystem root');

/**
 * Secrets (SECRET_NAME, or a URL with a password) must come as references, never inline in
 * history. The target's environment, overriding what the restored .env says (database URL, storage and
 * import paths, listen address...). Plain values for what is not secret, references for what is.
 */
const environment = z
  .record(z.string().regex(ENV_NAME, 'must be an environment variable name'), z.union([z.string(), secretRef]))
  .superRefine((vars, ctx) => {
    for (const [name, value] of Object.entries(vars)) {
      if (typeof value !== 'string') continue;
      if (/[\r\n]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'a value cannot span lines' });
      if (SECRET_NAME.test(name) || URL_WITH_PASSWORD.test(value)) {
        // The value itself is not echoed: it may be the secret.
        ctx.addIssue({ code: 'custom', path: [name], message: 'looks like a secret: give it as {"file": ...} or {"env": ...}, never inline' });
      }
    }
  });

export { DR_STEPS, type DrStep } from './dr-steps.js';

/** The backup doc's budgets: 30 min, 10 min, 30 min, 3 h, 10 min, 30 min; RTO 4 h, RPO 24 h. */
export const drInputSchema = z
  .object({
    target: z
      .object({
        /** Where the app's files go; .env and docker-compose.yml are restored into it. */
        appDir: notRoot,
        /** A directory holding the app's files to copy first (e.g. a checkout); optional. */
        appSource: absolutePath.optional(),
        /**
         * Where originals and thumbnails are restored: a directory (the app's STORAGE_PATH:
         * ab/cd/<sha>.png, thumbnails/...) or, instead, a bucket (`s3`): exactly one of the two.
         */
        storageRoot: notRoot.optional(),
        /** A bucket filled through the S3 API (the app's S3_BUCKET); created when missing unless `createBucket` is false. */
        s3: s3Bucket.extend({ createBucket: z.boolean().default(true) }).optional(),
        /** The new database: a docker compose service, or a server reached directly. */
        database: databaseSchema,
        /** argv run in appDir; default: the backup doc's `docker compose up -d db`. */
        startDatabase: argv.default(['docker', 'compose', 'up', '-d', 'db']),
        /** argv run in appDir; default `docker compose up -d`. */
        startApp: argv.default(['docker', 'compose', 'up', '-d']),
        /** argv lists run in appDir on abort or cancellation, so nothing half-started is left. */
        stop: z.array(argv).default([['docker', 'compose', 'down']]),
        appUrl: z.string().url().default('http://localhost:8080'),
        admin: z.object({ username: z.string().min(1), password: secretRef }).strict(),
        /** The app's watched import folder; default appDir/import. */
        importDir: absolutePath.optional(),
        /**
         * Written to appDir/.env.recovery, beside the restored .env (left as the backup has it):
         * what differs on this host. The start command reads both, later file winning (e.g.
         * `docker compose --env-file .env --env-file .env.recovery up -d`).
         */
        environment: environment.default({}),
      })
      .strict()
      // Exactly one place for the images; checked even beside other fields' mistakes, so one attempt names them all.
      .superRefine((t, ctx) => {
        if (t.storageRoot === undefined && t.s3 === undefined) {
          ctx.addIssue({ code: 'custom', path: ['storageRoot'], message: 'give where the images go: "storageRoot" (a directory) or "s3" (a bucket)' });
        }
        if (t.storageRoot !== undefined && t.s3 !== undefined) ctx.addIssue({ code: 'custom', path: ['s3'], message: 'give either "storageRoot" or "s3", not both' });
      }, { when: (payload) => typeof payload.value === 'object' && payload.value !== null }),
    /**
     * Which data: by default the newest verified dump. `backupId` names a backup; `pointInTime`
     * picks the newest dump taken at or before a time (the database as that dump had it, up to a
     * day older). `walTo` recovers the database from the WAL archive to that very moment instead
     * (a base backup plus the WAL up to it, replayed in a scratch cluster on the worker and copied
     * into the target), and the images to the same moment; `scratchDir` is where that scratch
     * cluster lives (default the worker's temporary directory; it needs room for the database).
     */
    backup: z
      .object({
        backupId: z.string().regex(/^\d{8}_\d{6}$/).optional(),
        pointInTime: isoTime.optional(),
        walTo: z
          .string()
          .refine((v) => v === 'latest' || isoTime.safeParse(v).success, 'must be "latest" or an ISO 8601 time with its offset, e.g. 2026-11-30T08:15:00Z')
          .optional(),
        scratchDir: absolutePath.optional(),
      })
      .strict()
      // Every clash named at once, each at the field that clashes.
      .superRefine((b, ctx) => {
        for (const other of ['backupId', 'pointInTime'] as const) {
          if (b.walTo !== undefined && b[other] !== undefined) {
            ctx.addIssue({ code: 'custom', path: ['walTo'], message: `give either "${other}" (a dump) or "walTo" (the WAL archive up to a moment), not both` });
          }
        }
        if (b.scratchDir !== undefined && b.walTo === undefined) ctx.addIssue({ code: 'custom', path: ['scratchDir'], message: 'only a "walTo" recovery uses a scratch cluster: give "walTo" too, or drop "scratchDir"' });
      })
      .default({}),
    budgets: z
      .object({
        prepare: duration.default(30 * 60_000),
        startDatabase: duration.default(10 * 60_000),
        restoreDatabase: duration.default(30 * 60_000),
        restoreImages: duration.default(3 * 3_600_000),
        startApp: duration.default(10 * 60_000),
        verify: duration.default(30 * 60_000),
        rto: duration.default(4 * 3_600_000),
        rpo: duration.default(24 * 3_600_000),
      })
      .strict()
      .prefault({}),
    /**
     * A step's activity timeout is its budget times this factor: a step may run over its budget
     * (and is reported so) but not forever.
     */
    timeoutFactor: z.number().min(1).default(2),
    /** Retries of each step before the workflow stops and waits for an operator decision. */
    stepAttempts: z.number().int().min(1).default(3),
    /**
     * Restore over existing data: a non-empty app dir, storage or database, or the source's own
     * places. Off by default: a recovery fills empty places only.
     */
    overwrite: z.boolean().default(false),
    /** Wait for the `approve` signal before the destructive restore steps. */
    approval: z.boolean().default(false),
    /** How long verify waits for a dropped image to show up (the app scans every 30 s). */
    importWait: duration.default(120_000),
  })
  .strict();

export type DrInput = z.input<typeof drInputSchema>;
export type DrPlanInput = z.output<typeof drInputSchema>;

/**
 * One line per refused field, for `dr start` and for the workflow's own failure. The value is never
 * quoted: an input is often refused because a secret was typed inline, and this text goes to the
 * terminal and into Temporal history. zod's messages name types, limits and expected values only,
 * and the custom ones here and in core/schema-parts.ts are written not to echo what they refuse
 * (test/unit/dr-report.test.ts puts a secret in every field to check).
 */
export function describeInputIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
}
