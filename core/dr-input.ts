// What an operator gives drRecovery, validated with zod in the workflow itself so a launch from
// the Temporal CLI or Web UI gets the same clear, field-by-field errors as one from our CLI.
// Secrets are references (file or environment variable) resolved on the worker.
import { z } from 'zod';
import { absolutePath, databaseSchema, duration, secretRef } from './schema-parts.js';

const argv = z.array(z.string().min(1)).min(1);

export const DR_STEPS = ['prepare', 'startDatabase', 'restoreDatabase', 'restoreImages', 'startApp', 'verify'] as const;
export type DrStep = (typeof DR_STEPS)[number];

/** The backup doc's budgets: 30 min, 10 min, 30 min, 3 h, 10 min, 30 min; RTO 4 h, RPO 24 h. */
export const drInputSchema = z
  .object({
    target: z
      .object({
        /** Where the app's files go; .env and docker-compose.yml are restored into it. */
        appDir: absolutePath,
        /** A directory holding the app's files to copy first (e.g. a checkout); optional. */
        appSource: absolutePath.optional(),
        /** Where the originals are restored (the storage root: original/ab/cd/...). */
        storageRoot: absolutePath,
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
      })
      .strict(),
    backup: z
      .object({ backupId: z.string().regex(/^\d{8}_\d{6}$/).optional(), pointInTime: z.string().datetime({ offset: true }).optional() })
      .strict()
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
    /** Wait for the `approve` signal before the destructive restore steps. */
    approval: z.boolean().default(false),
    /** How long verify waits for a dropped image to show up (the app scans every 30 s). */
    importWait: duration.default(120_000),
  })
  .strict();

export type DrInput = z.input<typeof drInputSchema>;
export type DrPlanInput = z.output<typeof drInputSchema>;
