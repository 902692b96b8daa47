// What a backup run returns (and shows in the Web UI): a summary a person can read, with
// paths, sizes, hashes and durations; no secrets.
import type { Artifact, BackupKind, BackupPart, VerificationCheck } from './manifest.js';

export interface StepTiming {
  step: string;
  ms: number;
}

export interface FullBackupResult {
  backupId: string;
  kind: BackupKind;
  parts: BackupPart[];
  /** `unchanged`: a config snapshot run found nothing new and wrote nothing. */
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
