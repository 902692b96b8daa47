// One backup run's context: what its steps share once planning is done (which parts, under which
// backup id, from which source into which repository, for which Temporal run). Pure, so the
// decisions made from it are tested without a server.
import type { BackupPlan } from '../activities/plan.js';
import type { BackupKind, BackupPart } from './manifest.js';
import { backupTime } from '../repository/layout.js';

/** The input of every backup workflow (fullBackup, databaseBackup, imageBackup, configSnapshot). */
export interface BackupInput {
  /** Free text shown in the result and logs, e.g. "before upgrade to 2.0". */
  reason?: string;
  /** Skip the GFS retention run that follows a successful backup. */
  skipRetention?: boolean;
}

export interface BackupRun {
  backupId: string;
  kind: BackupKind;
  parts: BackupPart[];
  input: BackupInput;
  plan: BackupPlan;
  /** Recorded in the manifest and named in alerts. */
  workflow: { workflowId: string; runId: string };
  startedAt: Date;
}

/**
 * The run's RPO figure: the age of the newest good backup of its data (the dump when it has one)
 * at the moment this one became good; none for a repository's first backup.
 */
export function rpoSeconds(run: BackupRun, goodAt: Date): number | undefined {
  const previous = run.plan.previousGood?.[run.parts[0] as BackupPart];
  return previous ? Math.round((goodAt.getTime() - backupTime(previous).getTime()) / 1000) : undefined;
}
