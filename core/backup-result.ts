// What a backup run of any kind returns (and shows in the Web UI): a summary a person can read,
// with paths, sizes, hashes and durations; no secrets. Built here from what the run's steps
// reported, so the workflow only gathers the facts.
import type { BackupRun } from './backup-run.js';
import type { Artifact, BackupKind, BackupPart, VerificationCheck } from './manifest.js';

export interface StepTiming {
  step: string;
  ms: number;
}

export interface BackupResult {
  backupId: string;
  kind: BackupKind;
  parts: BackupPart[];
  /** `unchanged`: a config snapshot or image increment run found nothing new and wrote no manifest. */
  outcome: 'succeeded' | 'unchanged';
  source: string;
  repository: string;
  manifest?: string;
  artifacts: Artifact[];
  images?: { mirror: string; increment: string; files: number; bytes: number; transferred: number; movedToIncrement: number };
  configChanged: string[];
  verification: VerificationCheck[];
  warnings: string[];
  retention: { deletedBackups: string[]; error?: string };
  offsite: Array<{ target: string; verified: boolean; detail: string }>;
  bytesWritten: number;
  timings: StepTiming[];
  totalMs: number;
}

/** What the steps reported; an unchanged config snapshot reports only the first three. */
export interface BackupFacts {
  outcome: BackupResult['outcome'];
  config: Array<{ name: string; changed: boolean }>;
  timings: StepTiming[];
  manifest?: string;
  artifacts?: Artifact[];
  /** The image sync's report; only the fields a person reads are kept. */
  images?: NonNullable<BackupResult['images']>;
  verification?: VerificationCheck[];
  warnings?: string[];
  retention?: BackupResult['retention'];
  offsite?: BackupResult['offsite'];
}

export function backupResult(run: BackupRun, facts: BackupFacts, finishedAt: Date): BackupResult {
  const images = facts.images;
  return {
    backupId: run.backupId,
    kind: run.kind,
    parts: run.parts,
    outcome: facts.outcome,
    source: run.plan.source.name,
    repository: run.plan.repository,
    ...(facts.manifest ? { manifest: facts.manifest } : {}),
    artifacts: facts.artifacts ?? [],
    ...(images
      ? {
          images: {
            mirror: images.mirror,
            increment: images.increment,
            files: images.files,
            bytes: images.bytes,
            transferred: images.transferred,
            movedToIncrement: images.movedToIncrement,
          },
        }
      : {}),
    configChanged: facts.config.filter((c) => c.changed).map((c) => c.name),
    verification: facts.verification ?? [],
    warnings: facts.warnings ?? [],
    retention: facts.retention ?? { deletedBackups: [] },
    offsite: facts.offsite ?? [],
    bytesWritten: bytesOf(facts.artifacts ?? []),
    timings: facts.timings,
    totalMs: finishedAt.getTime() - run.startedAt.getTime(),
  };
}

export function bytesOf(artifacts: Artifact[]): number {
  return artifacts.reduce((n, a) => n + a.bytes, 0);
}
