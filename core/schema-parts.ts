// zod building blocks shared by the config file schema and workflow input schemas.
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A positive number of milliseconds, or a human duration ("90s", "30m", "3h"). */
export const duration = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : parseDuration(value);
  if (ms === undefined || ms <= 0) {
    // The value is not quoted back: a recovery input's error goes into Temporal history, and what
    // was typed into the wrong field may be a secret.
    ctx.addIssue({ code: 'custom', message: 'not a duration (use milliseconds, or e.g. "90s", "30m", "3h")' });
    return z.NEVER;
  }
  return ms;
});

export const absolutePath = z.string().min(1).refine((p) => p.startsWith('/'), 'must be an absolute path');

/** A secret is never a value: an environment variable name or a file, read on the worker. */
export const secretRef = z.union(
  [
    z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }).strict(),
    z.object({ file: absolutePath }).strict(),
  ],
  { error: 'must be {"env": "NAME"} or {"file": "/absolute/path"}, never the secret itself' },
);
export type SecretRef = z.infer<typeof secretRef>;

/**
 * A bucket on an S3-compatible server, its keys as references: the image source (config) and a
 * recovery's target (DR input) alike.
 */
export const s3Bucket = z
  .object({
    endpoint: z.string().regex(/^https?:\/\/[^\s/@]+\/?$/, 'must be an http(s) URL of the S3 server, e.g. "http://127.0.0.1:9000", without a path or credentials'),
    // S3 bucket naming rules: one that begins with "-" could never be read as an option either.
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3 to 63 lowercase letters, digits, "." or "-")'),
    /** Keys below this prefix are the storage root, e.g. "promptbox/"; none by default. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/?$/, 'must be a key prefix like "images/" (no leading "/", no "..", no spaces)')
      .refine((p) => !p.split('/').includes('..') && !p.split('/').includes('.'), 'must not contain "." or ".." segments')
      .optional(),
    region: z.string().regex(/^[a-z0-9-]+$/, 'must be a region name like "us-east-1"').optional(),
    accessKey: secretRef,
    secretKey: secretRef,
  })
  .strict();

/**
 * A user or database name, which the PostgreSQL tools get as arguments: one beginning with "-"
 * would be read as an option (`--file=/x` makes pg_dump write a plaintext dump there). A database
 * name holding "=" or a postgresql:// prefix is read by libpq as a connection string, which can
 * point the tools (and the password) at another server.
 */
function pgName(kind: 'user' | 'database') {
  return z
    .string()
    .min(1)
    .superRefine((name, ctx) => {
      if (name.startsWith('-')) ctx.addIssue({ code: 'custom', message: 'must not begin with "-": the tools would read it as an option' });
      else if (kind === 'database' && (name.includes('=') || /^postgres(ql)?:\/\//i.test(name))) {
        ctx.addIssue({ code: 'custom', message: 'must be a database name, not a connection string ("=" or postgresql://)' });
      }
    });
}

const directDatabase = z
  .object({
    transport: z.literal('direct'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(5432),
    user: pgName('user'),
    database: pgName('database'),
    password: secretRef.optional(),
    /**
     * The PostgreSQL client tools (pg_dump, pg_restore, psql) to use, and the only ones: refused
     * when older than the server. Default: the server's major version (or newer) found among
     * .tools/postgresql-N/bin, /usr/lib/postgresql/N/bin and PATH.
     */
    clientBinDir: absolutePath.optional(),
  })
  .strict();

// As the backup doc does it: `docker exec promptbox-db-1 pg_dump -U promptbox -Fc promptbox`.
// pg_dump then runs inside the container and always matches the server's version.
const dockerDatabase = z
  .object({
    transport: z.literal('docker'),
    container: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a docker container name'),
    user: pgName('user'),
    database: pgName('database'),
    dockerCommand: z.string().min(1).default('docker'),
  })
  .strict();

export const databaseSchema = z.discriminatedUnion('transport', [directDatabase, dockerDatabase]);
