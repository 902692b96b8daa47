// What a fullBackup run returns (and shows in the Web UI): a summary a person can read, with
// paths, sizes, hashes and durations; no secrets.
import type { Artifact, VerificationCheck } from './manifest.js';

export interface StepTiming {
  step: string;
  ms: number;
}

export interface FullBackupResult {
  backupId: string;
  source: string;
  repository: string;
  manifest: string;
  artifacts: Artifact[];
  images: { mirror: string; increment: string; files: number; bytes: number; transferred: number; movedToIncrement: number };
  configChanged: string[];
  verification: VerificationCheck[];
  warnings: string[];
  cleanup: { deletedBackups: string[]; error?: string };
  bytesWritten: number;
  timings: StepTiming[];
  totalMs: number;
}
