// Builds a run's manifest from its steps' results. Pure, so the workflow can do it and tests can
// check it without a server.
import type { BackupPlan } from '../activities/plan.js';
import type { DumpResult } from '../activities/postgres.js';
import type { ImageSyncResult } from '../activities/rsync.js';
import type { VerificationReport } from '../activities/verify.js';
import { GPG_CIPHER_NAME } from './crypto-names.js';
import type { Artifact, Manifest } from './manifest.js';
import { MANIFEST_FORMAT_VERSION, kindOf, type BackupPart } from './manifest-format.js';
import type { ConfigSnapshotItem, StagedArtifact } from './staged.js';

export interface ManifestParts {
  backupId: string;
  plan: BackupPlan;
  workflow: { workflowId: string; runId: string };
  startedAt: Date;
  finishedAt: Date;
  parts: BackupPart[];
  dump?: DumpResult;
  images?: ImageSyncResult;
  config: ConfigSnapshotItem[];
  staged: StagedArtifact[];
  verification: VerificationReport;
}

export function assembleManifest(p: ManifestParts): Manifest {
  const byPlainPath = new Map<string, Artifact>(p.staged.map((s) => [s.artifact.path, s.artifact]));
  const dumpArtifact = p.staged.find((s) => s.artifact.kind === 'dump')?.artifact;
  if (p.dump && !dumpArtifact) throw new Error('no dump artifact staged');
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    backupId: p.backupId,
    kind: kindOf(p.parts),
    parts: p.parts,
    source: p.plan.source,
    workflow: p.workflow,
    startedAt: p.startedAt.toISOString(),
    finishedAt: p.finishedAt.toISOString(),
    tools: { ...p.plan.tools, ...(p.dump ? { pg_dump: p.dump.pgDumpVersion } : {}) },
    encryption: p.plan.encrypted ? { enabled: true, cipher: GPG_CIPHER_NAME } : { enabled: false },
    ...(p.dump && dumpArtifact
      ? { database: { artifact: dumpArtifact, serverVersion: p.dump.serverVersion, tables: p.dump.tables } }
      : {}),
    ...(p.images
      ? {
          images: {
            mirror: p.images.mirror,
            increment: p.images.increment,
            files: p.images.files,
            bytes: p.images.bytes,
            transferred: p.images.transferred,
            movedToIncrement: p.images.movedToIncrement,
          },
        }
      : {}),
    config: p.config.map((c) => {
      const artifact = c.plain ? byPlainPath.get(c.plain.finalPath) : c.previous;
      if (!artifact) throw new Error(`no artifact for config file ${c.name}`);
      return { name: c.name, source: c.source, changed: c.changed, artifact };
    }),
    verification: { verifiedAt: p.verification.verifiedAt, passed: true, checks: p.verification.checks },
  };
}
