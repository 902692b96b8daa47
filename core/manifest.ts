// The manifest: the catalog entry of one backup (docs/REPOSITORY.md). A backup is good only when
// its manifest exists and says it was verified; health checks, retention and restores read
// manifests, never bare file names. Manifests of an unknown format version are refused.
import { z } from 'zod';
import { BACKUP_PARTS, MANIFEST_FORMAT_VERSION } from './manifest-format.js';

export { BACKUP_PARTS, kindOf, MANIFEST_FORMAT_VERSION, type BackupKind, type BackupPart } from './manifest-format.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must stay inside the repository');

export const artifactSchema = z.object({
  kind: z.enum(['dump', 'config']),
  path: relativePath,
  bytes: z.number().int().nonnegative(),
  sha256,
  encrypted: z.boolean(),
  /** Of the content before encryption: what a restore must get back. */
  plaintextSha256: sha256,
  plaintextBytes: z.number().int().nonnegative(),
});
export type Artifact = z.infer<typeof artifactSchema>;

export const checkSchema = z.object({
  artifact: z.string(),
  check: z.enum(['sha256', 'pg_restore --list', 'decrypt', 'image mirror', 'checklist']),
  ok: z.boolean(),
  detail: z.string(),
});
export type VerificationCheck = z.infer<typeof checkSchema>;

export const manifestSchema = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  backupId: z.string(),
  kind: z.enum(['full', 'database', 'images', 'config', 'partial']),
  parts: z.array(z.enum(BACKUP_PARTS)).min(1),
  source: z.object({
    name: z.string(),
    transport: z.enum(['direct', 'docker']),
    database: z.string(),
    endpoint: z.string(),
  }),
  workflow: z.object({ workflowId: z.string(), runId: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  tools: z.record(z.string(), z.string()),
  encryption: z.object({ enabled: z.boolean(), cipher: z.string().optional() }),
  database: z.object({
    artifact: artifactSchema,
    serverVersion: z.string(),
    tables: z.record(z.string(), z.number().int().nonnegative()),
  }).optional(),
  images: z.object({
    mirror: relativePath,
    increment: relativePath,
    files: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    transferred: z.number().int().nonnegative(),
    movedToIncrement: z.number().int().nonnegative(),
  }).optional(),
  config: z.array(
    z.object({
      name: z.string(),
      source: z.string(),
      /** True when this run took the snapshot; false when an earlier snapshot still matches. */
      changed: z.boolean(),
      artifact: artifactSchema,
    }),
  ),
  verification: z.object({ verifiedAt: z.string(), passed: z.literal(true), checks: z.array(checkSchema) }),
  /** Off-site copies made after this backup, each verified by content. */
  offsite: z
    .array(z.object({ target: z.string(), type: z.enum(['ssh', 'rclone']), copiedAt: z.string(), verified: z.boolean(), detail: z.string() }))
    .optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** Every artifact file a manifest vouches for. */
export function manifestArtifacts(manifest: Manifest): Artifact[] {
  return [...(manifest.database ? [manifest.database.artifact] : []), ...manifest.config.map((c) => c.artifact)];
}
